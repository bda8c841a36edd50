import ArgumentParser
import Foundation
import Yams

/// Where the options come from, later ones overriding earlier ones: the
/// configuration file (`--config`, or WEBRTC_GATEWAY_CONFIG), the environment
/// (WEBRTC_GATEWAY_HTTP=..., WEBRTC_GATEWAY_SIP_SRTP=true; a repeatable
/// option's values separated by commas), the command line. All become one argument list.
enum ConfigurationSources {
    static let environmentPrefix = "WEBRTC_GATEWAY_"
    /// The options that may be given more than once: in the environment, commas separate their values.
    static let repeatable: Set<String> = ["http-name", "allowed-origin", "anonymous-calls-to", "register", "sip-account",
                                          "sip-trusted-peer"]

    /// The arguments of the file and the environment, then `commandLine`'s.
    static func arguments(commandLine: [String], environment: [String: String]) throws -> [String] {
        var rest = commandLine
        var file = environment[environmentPrefix + "CONFIG"]
        if let i = rest.firstIndex(of: "--config") {
            guard i + 1 < rest.count else { throw ValidationError("--config needs a file") }
            file = rest[i + 1]
            rest.removeSubrange(i...(i + 1))
        }
        let fromFile = try file.map { try fileArguments($0) } ?? []
        return try fromFile + environmentArguments(environment) + rest
    }

    /// A YAML file of `name: value` (a list for a repeatable option, true/false for a flag); the
    /// older `name = value` lines are still read.
    static func fileArguments(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read --config \(path)") }
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch { node = nil }
        if node == nil && !text.contains("=") { return [] }   // empty, or only comments
        guard let entries = node as? [String: Any] else {
            FileHandle.standardError.write(Data("""
                webrtc-gateway: \(path) is in the old `name = value` form: it is still read, but write it as YAML \
                (`name: value`; `--print-config` writes the whole configuration so)\n
                """.utf8))
            return try legacyArguments(text, path)
        }
        return try entries.sorted { $0.key < $1.key }.flatMap { name, value in try arguments(name, value, path) }
    }

    private static func arguments(_ name: String, _ value: Any, _ origin: String) throws -> [String] {
        guard !["config", "print-config", "help", "version", "media-demo"].contains(name) else {
            throw ValidationError("\(origin): \(name) is not an option a configuration sets")
        }
        switch value {
        case let flag as Bool: return flag ? ["--" + name] : []
        case let list as [Any]: return list.flatMap { ["--" + name, "\($0)"] }
        case is NSNull: return []
        default: return ["--" + name, "\(value)"]
        }
    }

    private static func legacyArguments(_ text: String, _ path: String) throws -> [String] {
        var out: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = (raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "")
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("\(path):\(number + 1): want `name = value`") }
            let value = parts.count == 2 ? parts[1] : ""
            out += try arguments(name, typed(value.isEmpty ? "true" : value, name), "\(path):\(number + 1)")
        }
        return out
    }

    /// A value written as text: true/false a flag's, a repeatable option's values separated by commas.
    private static func typed(_ value: String, _ name: String) -> Any {
        if value == "true" { return true }
        if value == "false" { return false }
        if repeatable.contains(name) { return value.split(separator: ",").map { String($0) } as [Any] }
        return value
    }

    private static func environmentArguments(_ environment: [String: String]) throws -> [String] {
        try environment.filter { $0.key.hasPrefix(environmentPrefix) && $0.key != environmentPrefix + "CONFIG" }
            .sorted { $0.key < $1.key }
            .flatMap { key, value -> [String] in
                let name = key.dropFirst(environmentPrefix.count).lowercased().replacingOccurrences(of: "_", with: "-")
                return try arguments(name, typed(value, name), key)
            }
    }
}
