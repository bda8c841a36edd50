/// An IP address and UDP port, independent of any socket library so that the
/// protocol cores stay sans-IO.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    public let ip: [UInt8]       // 4 bytes (IPv4) or 16 (IPv6)
    public let port: UInt16

    public init(ip: [UInt8], port: UInt16) {
        precondition(ip.count == 4 || ip.count == 16, "an IP address has 4 or 16 bytes")
        self.ip = ip
        self.port = port
    }

    /// Parses "a.b.c.d" or an IPv6 literal (without brackets).
    public init?(host: String, port: UInt16) {
        if let v4 = Self.parseIPv4(host) {
            self.init(ip: v4, port: port)
        } else if let v6 = Self.parseIPv6(host) {
            self.init(ip: v6, port: port)
        } else {
            return nil
        }
    }

    public var host: String {
        if ip.count == 4 { return ip.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    public var description: String { ip.count == 4 ? "\(host):\(port)" : "[\(host)]:\(port)" }

    static func parseIPv4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let bytes = parts.compactMap { UInt8($0) }
        return bytes.count == 4 ? bytes : nil
    }

    static func parseIPv6(_ s: String) -> [UInt8]? {
        let halves = s.splitOnce("::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            part.isEmpty ? [] : part.split(separator: ":", omittingEmptySubsequences: false).map { UInt16($0, radix: 16) }
                .reduce(into: [UInt16]?([])) { acc, g in if let g, acc != nil { acc!.append(g) } else { acc = nil } }
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
        let missing = 8 - head.count - tail.count
        guard halves.count == 2 ? missing >= 1 : missing == 0 else { return nil }
        let all = head + [UInt16](repeating: 0, count: halves.count == 2 ? missing : 0) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

extension String {
    /// Splits at every occurrence of `separator` (no Foundation needed).
    func splitOnce(_ separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: separator) {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
