/// A captured SIP message as HEP3, the Homer encapsulation protocol version 3
/// (what Kamailio's siptrace, rtpengine and FreeSWITCH send to a Homer
/// collector): "HEP3", the total length, then chunks of vendor 0 (generic),
/// type, length (with its 6-byte head) and value, all big-endian.
public enum HEP3Packet {
    /// Where a message went from and to: an IPv4 (4 bytes) or IPv6 (16 bytes) address and a port.
    public struct Endpoint: Sendable, Equatable {
        public var address: [UInt8]
        public var port: UInt16
        public init(address: [UInt8], port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    public enum Transport: UInt8, Sendable { case tcp = 6, udp = 17 }

    /// Chunk types of the generic vendor.
    enum Chunk: UInt16 {
        case family = 1, transport = 2, sourceIPv4 = 3, destinationIPv4 = 4, sourceIPv6 = 5, destinationIPv6 = 6
        case sourcePort = 7, destinationPort = 8, seconds = 9, microseconds = 10, protocolType = 11, agentID = 12
        case payload = 15, correlationID = 17
    }

    /// The packet for `payload` (a SIP message) sent from `source` to `destination` at
    /// `time` (µs since the Unix epoch); nil when the two addresses are not of one family or the
    /// packet would be over 64 KiB. `correlationID` is the SIP Call-ID (what Homer groups by).
    public static func encode(_ payload: [UInt8], from source: Endpoint, to destination: Endpoint, transport: Transport,
                              time: UInt64, agentID: UInt32, correlationID: String?) -> [UInt8]? {
        let v4 = source.address.count == 4 && destination.address.count == 4
        guard v4 || (source.address.count == 16 && destination.address.count == 16) else { return nil }
        var body: [UInt8] = []
        func chunk(_ type: Chunk, _ value: [UInt8]) {
            body += be(UInt16(0)) + be(type.rawValue) + be(UInt16(truncatingIfNeeded: value.count + 6)) + value
        }
        chunk(.family, [v4 ? 2 : 10])
        chunk(.transport, [transport.rawValue])
        chunk(v4 ? .sourceIPv4 : .sourceIPv6, source.address)
        chunk(v4 ? .destinationIPv4 : .destinationIPv6, destination.address)
        chunk(.sourcePort, be(source.port))
        chunk(.destinationPort, be(destination.port))
        chunk(.seconds, be(UInt32(truncatingIfNeeded: time / 1_000_000)))
        chunk(.microseconds, be(UInt32(truncatingIfNeeded: time % 1_000_000)))
        chunk(.protocolType, [1])   // SIP
        chunk(.agentID, be(agentID))
        if let correlationID { chunk(.correlationID, Array(correlationID.utf8)) }
        let total = 6 + body.count + 6 + payload.count
        guard total <= Int(UInt16.max) else { return nil }
        chunk(.payload, payload)
        return Array("HEP3".utf8) + be(UInt16(total)) + body
    }

    private static func be<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
