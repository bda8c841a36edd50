import WireInput

/// Typed views of the attributes the gateway negotiates.

/// `a=setup` (RFC 4145 §4).
public enum DTLSSetup: String, Sendable {
    case active, passive, actpass, holdconn
}

/// `a=rtpmap:<pt> <name>/<clock>[/<channels>]`
public struct RTPMap: Equatable, Sendable {
    public var payloadType: UInt8
    public var name: String
    public var clockRate: UInt32
    public var channels: Int?

    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: Int? = nil) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
    }

    init?(_ value: String) {
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pt = WireNumber.exact(parts[0], as: UInt8.self), pt < 128 else { return nil }
        let enc = parts[1].split(separator: "/")
        guard enc.count >= 2, let clock = WireNumber.exact(enc[1], as: UInt32.self) else { return nil }
        self.init(payloadType: pt, name: String(enc[0]), clockRate: clock,
                  channels: enc.count > 2 ? WireNumber.exact(enc[2], as: UInt8.self).map(Int.init) : nil)
    }

    var value: String {
        "\(payloadType) \(name)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// `a=fingerprint:<hash-func> <hex:pairs>` (RFC 8122 §5).
public struct Fingerprint: Equatable, Sendable {
    public var algorithm: String
    public var value: String

    public init(algorithm: String, value: String) {
        self.algorithm = algorithm.lowercased()
        self.value = value.uppercased()
    }

    init?(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        self.init(algorithm: String(parts[0]), value: String(parts[1]))
    }
}

/// `a=crypto:<tag> <suite> inline:<key||salt base64>[|...]` (RFC 4568 §9.1).
public struct CryptoAttribute: Equatable, Sendable {
    public var tag: Int
    public var suite: String
    public var keyParams: String

    public init(tag: Int, suite: String, keyParams: String) {
        self.tag = tag
        self.suite = suite
        self.keyParams = keyParams
    }

    init?(_ value: String) {
        let f = value.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count >= 3, let tag = Int(f[0]) else { return nil }
        self.init(tag: tag, suite: String(f[1]), keyParams: String(f[2]))
    }

    /// The key and salt of the first `inline:` key parameter.
    public var inlineKey: [UInt8]? {
        guard keyParams.hasPrefix("inline:") else { return nil }
        let b64 = keyParams.dropFirst("inline:".count).split(separator: "|").first.map(String.init) ?? ""
        return Base64.decode(b64)
    }
}

extension Array where Element == Attribute {
    public func first(_ name: String) -> String? { first { $0.name == name }?.value }
    public func all(_ name: String) -> [String] { filter { $0.name == name }.compactMap(\.value) }
    public func has(_ name: String) -> Bool { contains { $0.name == name } }
}

extension MediaDescription {
    public var rtpMaps: [RTPMap] { attributes.all("rtpmap").compactMap(RTPMap.init) }

    /// fmtp parameters of a payload type, e.g. ["useinbandfec": "1"].
    public func formatParameters(_ payloadType: UInt8) -> [String: String] {
        for value in attributes.all("fmtp") {
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, UInt8(parts[0]) == payloadType else { continue }
            var params: [String: String] = [:]
            for p in parts[1].split(separator: ";") {
                let (key, value) = p.splitOnce("=")
                params[key.trimmingSpaces] = value?.trimmingSpaces ?? ""
            }
            return params
        }
        return [:]
    }

    public var direction: MediaDirection {
        attributes.lazy.compactMap { MediaDirection(rawValue: $0.name) }.first ?? .sendrecv
    }

    public var mid: String? { attributes.first("mid") }
    public var candidates: [Candidate] { attributes.all("candidate").compactMap(Candidate.init) }
    public var cryptos: [CryptoAttribute] { attributes.all("crypto").compactMap(CryptoAttribute.init) }
    public var isRejected: Bool { port == 0 }
}

extension SessionDescription {
    /// A media-level attribute, or the session-level one when the section has none.
    public func attribute(_ name: String, in m: MediaDescription) -> String? {
        m.attributes.first(name) ?? attributes.first(name)
    }

    public func fingerprints(in m: MediaDescription) -> [Fingerprint] {
        let own = m.attributes.all("fingerprint")
        return (own.isEmpty ? attributes.all("fingerprint") : own).compactMap(Fingerprint.init)
    }

    public func setup(in m: MediaDescription) -> DTLSSetup? {
        attribute("setup", in: m).flatMap(DTLSSetup.init)
    }

    /// The mids of `a=group:BUNDLE`.
    public var bundle: [String] {
        guard let g = attributes.all("group").first(where: { $0.hasPrefix("BUNDLE") }) else { return [] }
        return g.split(separator: " ").dropFirst().map(String.init)
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
