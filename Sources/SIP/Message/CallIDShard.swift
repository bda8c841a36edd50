/// Which of `count` shards a SIP datagram belongs to, by its Call-ID, found
/// without parsing the message: a server whose transactions and dialogs are
/// spread over several event loops routes each datagram by it, so every
/// message of a call (requests both ways, their responses, retransmissions,
/// CANCEL and ACK) reaches the loop that holds the call.
///
/// Only the header section is searched (up to the first empty line), for a
/// line `Call-ID` or its compact form `i` (any case, optional white space
/// before the colon); its value, trimmed, is hashed (FNV-1a), byte for byte
/// as RFC 3261 §20.8 compares Call-IDs. A datagram without one goes to shard
/// 0, which parses it and answers what is wrong with it. Reads within bounds
/// only: any bytes are safe.
public enum CallIDShard {
    public static func of(_ datagram: [UInt8], among count: Int) -> Int {
        guard count > 1, let value = callID(in: datagram) else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in datagram[value] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(count))
    }

    /// The bounds of the first Call-ID header's trimmed value, if the header section has one.
    static func callID(in bytes: [UInt8]) -> Range<Int>? {
        var line = bytes.startIndex
        while line < bytes.endIndex {
            let end = bytes[line...].firstIndex(of: 10) ?? bytes.endIndex
            var content = end
            if content > line, bytes[content - 1] == 13 { content -= 1 }
            if content == line, line != bytes.startIndex { return nil } // the empty line: the body follows
            if let value = value(of: bytes, line: line..<content) { return value }
            line = end + 1
        }
        return nil
    }

    /// The trimmed value of `line` when it is a Call-ID header line.
    private static func value(of bytes: [UInt8], line: Range<Int>) -> Range<Int>? {
        guard let colon = bytes[line].firstIndex(of: 58) else { return nil }
        var nameEnd = colon
        while nameEnd > line.lowerBound, isBlank(bytes[nameEnd - 1]) { nameEnd -= 1 }
        guard isCallID(bytes[line.lowerBound..<nameEnd]) else { return nil }
        var start = colon + 1
        var end = line.upperBound
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        return start < end ? start..<end : nil
    }

    private static let longName = Array("call-id".utf8)

    private static func isCallID(_ name: ArraySlice<UInt8>) -> Bool {
        if name.count == 1 { return name.first.map { $0 | 0x20 } == UInt8(ascii: "i") }
        return name.count == longName.count && zip(name, longName).allSatisfy { $0 | 0x20 == $1 }
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 }
}
