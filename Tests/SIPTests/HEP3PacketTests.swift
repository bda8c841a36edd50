import SIP
import Testing

@Suite struct HEP3PacketTests {
    /// The chunks of a packet, by type: (vendor, type) -> value.
    private func chunks(_ packet: [UInt8]) throws -> [UInt16: [UInt8]] {
        #expect(Array(packet.prefix(4)) == Array("HEP3".utf8))
        let total = Int(packet[4]) << 8 | Int(packet[5])
        #expect(total == packet.count)
        var out: [UInt16: [UInt8]] = [:], at = 6
        while at < packet.count {
            let vendor = UInt16(packet[at]) << 8 | UInt16(packet[at + 1])
            let type = UInt16(packet[at + 2]) << 8 | UInt16(packet[at + 3])
            let length = Int(packet[at + 4]) << 8 | Int(packet[at + 5])
            #expect(vendor == 0 && length >= 6 && at + length <= packet.count)
            out[type] = Array(packet[at + 6 ..< at + length])
            at += length
        }
        return out
    }

    @Test func anIPv4UDPMessageCarriesItsAddressesTimeAndPayload() throws {
        let sip = Array("OPTIONS sip:a@b SIP/2.0\r\n\r\n".utf8)
        let packet = try #require(HEP3Packet.encode(sip, from: .init(address: [192, 0, 2, 1], port: 5060),
                                                     to: .init(address: [198, 51, 100, 7], port: 5080), transport: .udp,
                                                     time: 1_700_000_000_123_456, agentID: 42, correlationID: "call-1"))
        let c = try chunks(packet)
        #expect(c[1] == [2] && c[2] == [17] && c[11] == [1])
        #expect(c[3] == [192, 0, 2, 1] && c[4] == [198, 51, 100, 7])
        #expect(c[7] == [0x13, 0xC4] && c[8] == [0x13, 0xD8])
        #expect(c[9] == [0x65, 0x53, 0xF1, 0x00] && c[10] == [0x00, 0x01, 0xE2, 0x40])   // 1700000000 s, 123456 µs
        #expect(c[12] == [0, 0, 0, 42] && c[17] == Array("call-1".utf8) && c[15] == sip)
    }

    @Test func ipv6AndTCPAndWhatCannotBeEncoded() throws {
        let v6a = [UInt8](repeating: 0, count: 15) + [1], v6b = [UInt8](repeating: 0xfe, count: 16)
        let packet = try #require(HEP3Packet.encode([1, 2, 3], from: .init(address: v6a, port: 1), to: .init(address: v6b, port: 2),
                                                     transport: .tcp, time: 0, agentID: 0, correlationID: nil))
        let c = try chunks(packet)
        #expect(c[1] == [10] && c[2] == [6] && c[5] == v6a && c[6] == v6b && c[17] == nil)
        // Mixed families, and a payload that would pass the 16-bit length: nothing.
        #expect(HEP3Packet.encode([], from: .init(address: [1, 2, 3, 4], port: 1), to: .init(address: v6b, port: 2),
                                  transport: .udp, time: 0, agentID: 0, correlationID: nil) == nil)
        #expect(HEP3Packet.encode([UInt8](repeating: 0, count: 65_500), from: .init(address: [1, 2, 3, 4], port: 1),
                                  to: .init(address: [1, 2, 3, 4], port: 2), transport: .udp, time: 0, agentID: 0,
                                  correlationID: nil) == nil)
    }
}
