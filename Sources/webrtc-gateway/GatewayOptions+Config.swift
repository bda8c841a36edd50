import ArgumentParser
import Foundation
import Gateway
import Logging

extension GatewayOptions {
    /// The gateway's configuration from these options; a ValidationError names the option at fault.
    func gatewayConfig() throws -> GatewayServer.Config {
        var config = GatewayServer.Config()
        let httpAt = try Self.hostPort(http, "--http")
        (config.httpHost, config.httpPort) = (httpAt.0, Int(httpAt.1))
        config.httpsCertificate = httpsCert
        config.httpsKey = httpsKey
        config.httpNames = httpName
        config.allowedOrigins = allowedOrigin
        if let instanceId {
            guard (1...40).contains(instanceId.utf8.count), instanceId.utf8.allSatisfy({ b in
                (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || b == 45 || b == 95
            }) else { throw ValidationError("--instance-id takes letters, digits, - and _ (at most 40)") }
            config.instanceID = instanceId
        }
        for proxy in trustedProxy where !Self.isIPAddress(proxy) {
            throw ValidationError("--trusted-proxy takes an IP address, got \(proxy)")
        }
        config.trustedProxies = trustedProxy
        config.pollExpirySeconds = try Self.within(pollExpiry, 1...3600, "--poll-expiry")
        config.pollHoldSeconds = try Self.within(pollHold, 1...600, "--poll-hold")
        config.anonymousDestinations = anonymousCallsTo
        config.maxSessions = try Self.within(maxSessions, 1...1_000_000, "--max-sessions")
        config.maxSessionsPerSource = try Self.within(maxSessionsPerSource, 1...100_000, "--max-sessions-per-source")
        config.idleTimeoutSeconds = try Self.within(idleTimeout, 30...3600, "--idle-timeout")
        config.webSocketPingSeconds = try Self.within(wsPing, 1...3600, "--ws-ping")
        guard attachedDataPrefix.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else {
            throw ValidationError("--attached-data-prefix takes the start of a header name")
        }
        config.attachedDataPrefix = attachedDataPrefix

        config.mediaIP = mediaIp
        config.mediaAdvertise = mediaAdvertise ?? publicIp
        config.sipMediaAdvertise = sipMediaAdvertise ?? publicIp
        config.sipAdvertise = sipAdvertise ?? publicIp
        let ports = rtpPorts.split(separator: "-")
        guard ports.count == 2, let low = UInt16(ports[0]), let high = UInt16(ports[1]), low <= high, low > 0 else {
            throw ValidationError("--rtp-ports wants LOW-HIGH, got \(rtpPorts)")
        }
        config.rtpPorts = low...high
        config.opusComplexity = Int32(try Self.within(opusComplexity, 0...10, "--opus-complexity"))

        let sipAt = try Self.hostPort(sipListen, "--sip-listen")
        (config.sipListenHost, config.sipListenPort) = (sipAt.0, Int(sipAt.1))
        if var server = sipServer {
            if let scheme = ["tcp:", "udp:", "tls:"].first(where: { server.lowercased().hasPrefix($0) }) {
                config.sipServerTransport = String(scheme.dropLast())
                server = String(server.dropFirst(scheme.count))
            }
            if server.contains(":") && !server.hasSuffix("]") {
                let (host, port) = try Self.hostPort(server, "--sip-server")
                config.sipServer = (host, port)
            } else {
                // No port: a name is looked up by SRV (RFC 3263 §4.2); an address takes the transport's default port.
                config.sipServer = (server.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                                    config.sipServerTransport == "tls" ? 5061 : 5060)
                config.sipServerPortGiven = false
            }
        }
        config.sipTLSPort = try sipTlsPort.map { try Self.within($0, 0...65535, "--sip-tls-port") }
        config.sipTLSCertificate = sipTlsCert
        config.sipTLSKey = sipTlsKey
        config.sipTLSTrust = sipTlsTrust
        config.sipDomain = sipDomain
        config.sipAccounts = try (register + Self.secretLines(registerFile, "--register-file")).map { try Self.account($0, "--register") }
        config.embeddedAccounts = try (sipAccount + Self.secretLines(sipAccountFile, "--sip-account-file"))
            .map { try Self.account($0, "--sip-account") }
        config.sipTrustedPeers = sipTrustedPeer
        config.registerExpires = try Self.within(registerExpires, 10...86_400, "--register-expires")
        config.sipKeepAliveSeconds = try Self.within(sipKeepalive, 0...3600, "--sip-keepalive")
        config.sipProbeSeconds = try Self.within(sipProbe, 0...3600, "--sip-probe")
        config.sipIdleTimeoutSeconds = try Self.within(sipIdleTimeout, 30...86_400, "--sip-idle-timeout")
        config.maxCallRate = try Self.within(maxCallRate, 1...100_000, "--max-call-rate")
        config.ringTimeoutSeconds = try Self.within(ringTimeout, 5...3600, "--ring-timeout")
        config.sipSRTP = sipSrtp
        config.dtmfInfo = dtmfInfo

        config.drainTimeoutSeconds = try Self.within(drainTimeout, 0...86_400, "--drain-timeout")
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level wants trace, debug, info, notice, warning, error or critical")
        }
        config.logLevel = level
        guard logFormat == "text" || logFormat == "json" else { throw ValidationError("--log-format wants text or json") }
        config.logJSON = logFormat == "json"
        config.sipTrace = sipTrace
        config.hep = try hep.map { let (host, port) = try Self.hostPort($0, "--hep"); return (host, port) }
        config.testRoutes = testRoutes
        return config
    }

    private static func within(_ value: Int, _ range: ClosedRange<Int>, _ option: String) throws -> Int {
        guard range.contains(value) else {
            throw ValidationError("\(option) wants \(range.lowerBound)-\(range.upperBound), got \(value)")
        }
        return value
    }

    private static func hostPort(_ value: String, _ option: String) throws -> (String, UInt16) {
        guard let colon = value.lastIndex(of: ":"), let port = UInt16(value[value.index(after: colon)...]) else {
            throw ValidationError("\(option) wants HOST:PORT, got \(value)")
        }
        return (String(value[..<colon]), port)
    }

    private static func account(_ value: String, _ option: String) throws -> (user: String, password: String) {
        guard let colon = value.firstIndex(of: ":") else { throw ValidationError("\(option) wants USER:PASSWORD") }
        return (String(value[..<colon]), String(value[value.index(after: colon)...]))
    }

    /// The USER:PASSWORD lines of a secrets file (blank lines and # comments aside).
    private static func secretLines(_ path: String?, _ option: String) throws -> [String] {
        guard let path else { return [] }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("\(option): cannot read \(path)") }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// Every option and its effective value, passwords masked: what --print-config shows.
    var effective: [(String, ConfigValue)] {
        func masked(_ accounts: [String]) -> ConfigValue {
            .list(accounts.map { $0.split(separator: ":", maxSplits: 1).first.map { "\($0):***" } ?? "***" })
        }
        func text(_ value: String?) -> ConfigValue { value.map { .text($0) } ?? .none }
        return [
            ("http", .text(http)), ("https-cert", text(httpsCert)), ("https-key", text(httpsKey)), ("http-name", .list(httpName)),
            ("allowed-origin", .list(allowedOrigin)), ("instance-id", text(instanceId)), ("trusted-proxy", .list(trustedProxy)),
            ("poll-expiry", .number(pollExpiry)), ("poll-hold", .number(pollHold)),
            ("anonymous-calls-to", .list(anonymousCallsTo)), ("max-sessions", .number(maxSessions)),
            ("max-sessions-per-source", .number(maxSessionsPerSource)), ("idle-timeout", .number(idleTimeout)), ("ws-ping", .number(wsPing)),
            ("attached-data-prefix", .text(attachedDataPrefix)), ("media-ip", .text(mediaIp)),
            ("media-advertise", text(mediaAdvertise)), ("sip-media-advertise", text(sipMediaAdvertise)),
            ("public-ip", text(publicIp)), ("rtp-ports", .text(rtpPorts)), ("opus-complexity", .number(opusComplexity)),
            ("sip-listen", .text(sipListen)),
            ("sip-advertise", text(sipAdvertise)), ("sip-server", text(sipServer)), ("sip-tls-port", sipTlsPort.map { .number($0) } ?? .none),
            ("sip-tls-cert", text(sipTlsCert)), ("sip-tls-key", text(sipTlsKey)), ("sip-tls-trust", text(sipTlsTrust)),
            ("sip-domain", text(sipDomain)), ("register", masked(register)), ("register-file", text(registerFile)),
            ("sip-account", masked(sipAccount)), ("sip-account-file", text(sipAccountFile)),
            ("sip-trusted-peer", .list(sipTrustedPeer)), ("register-expires", .number(registerExpires)),
            ("sip-keepalive", .number(sipKeepalive)), ("sip-probe", .number(sipProbe)), ("sip-idle-timeout", .number(sipIdleTimeout)),
            ("max-call-rate", .number(maxCallRate)), ("ring-timeout", .number(ringTimeout)), ("sip-srtp", .flag(sipSrtp)),
            ("dtmf-info", .flag(dtmfInfo)), ("drain-timeout", .number(drainTimeout)), ("log-level", .text(logLevel)),
            ("log-format", .text(logFormat)), ("sip-trace", .flag(sipTrace)), ("hep", text(hep)), ("test-routes", .flag(testRoutes)),
        ]
    }
}

/// A value of the configuration as a file writes it.
enum ConfigValue {
    case none, text(String), number(Int), flag(Bool), list([String])

    /// The YAML of one `name: value` entry (strings quoted as JSON does, which YAML reads).
    func yaml(_ name: String) -> String {
        func quoted(_ s: String) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            return (try? String(decoding: encoder.encode(s), as: UTF8.self)) ?? "\"\""
        }
        switch self {
        case .none: return "# \(name):"
        case .text(let s): return "\(name): \(quoted(s))"
        case .number(let n): return "\(name): \(n)"
        case .flag(let b): return "\(name): \(b)"
        case .list(let l): return l.isEmpty ? "\(name): []" : "\(name):\n" + l.map { "  - \(quoted($0))" }.joined(separator: "\n")
        }
    }
}
