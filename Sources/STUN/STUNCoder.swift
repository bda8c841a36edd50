import CGatewayTLS

/// Wire encoding and decoding of STUN messages, with MESSAGE-INTEGRITY
/// (HMAC-SHA1, RFC 8489 §14.5) and FINGERPRINT (§14.7).
public enum STUNCoder {
    public static let maxAttributes = 64
    static let fingerprintXOR: UInt32 = 0x5354_554E

    /// Whether a datagram looks like STUN: first two bits zero, the magic
    /// cookie, a length that is a multiple of four and fits (RFC 7983 §7).
    public static func isSTUN(_ bytes: [UInt8]) -> Bool {
        bytes.count >= STUNMessage.headerLength && bytes[0] & 0xC0 == 0 &&
            UInt32(bigEndianBytes: Array(bytes[4..<8])) == STUNMessage.magicCookie &&
            Int(UInt16(bigEndianBytes: Array(bytes[2..<4]))) + STUNMessage.headerLength == bytes.count &&
            bytes.count % 4 == 0
    }

    /// Encodes `message`, appending MESSAGE-INTEGRITY with `integrityKey`
    /// (the ICE password for short-term credentials) and FINGERPRINT.
    public static func encode(_ message: STUNMessage, integrityKey: [UInt8]?, fingerprint: Bool = true) -> [UInt8] {
        var body: [UInt8] = []
        for a in message.attributes { append(a, to: &body) }
        var out = header(message, bodyLength: body.count) + body
        if let key = integrityKey {
            setLength(&out, body.count + 24)
            let mac = hmac(key: key, Array(out))
            append(STUNAttribute(type: STUNAttribute.messageIntegrity, value: mac), to: &out)
        }
        if fingerprint {
            setLength(&out, out.count - STUNMessage.headerLength + 8)
            let crc = CRC32.checksum(out[...]) ^ fingerprintXOR
            append(STUNAttribute(type: STUNAttribute.fingerprint, value: crc.bigEndianBytes), to: &out)
        }
        return out
    }

    /// Decodes and checks a message. With `integrityKey`, MESSAGE-INTEGRITY
    /// must be present and verify; FINGERPRINT, when present, must verify.
    public static func decode(_ bytes: [UInt8], integrityKey: [UInt8]? = nil) throws(STUNError) -> STUNMessage {
        guard isSTUN(bytes) else { throw .notSTUN }
        let (method, messageClass) = STUNMessage.split(UInt16(bigEndianBytes: Array(bytes[0..<2])))
        var attributes: [STUNAttribute] = []
        var offset = STUNMessage.headerLength
        var integrityAt: Int?
        var fingerprintSeen = false
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .truncated }
            let type = UInt16(bigEndianBytes: Array(bytes[offset..<offset + 2]))
            let length = Int(UInt16(bigEndianBytes: Array(bytes[offset + 2..<offset + 4])))
            let start = offset + 4
            guard bytes.count - start >= length else { throw .truncated }
            let value = Array(bytes[start..<start + length])
            guard !fingerprintSeen else { throw .malformedAttribute(type: type) } // nothing after FINGERPRINT
            switch type {
            case STUNAttribute.messageIntegrity:
                guard length == 20, integrityAt == nil else { throw .malformedAttribute(type: type) }
                integrityAt = offset
            case STUNAttribute.fingerprint:
                guard length == 4 else { throw .malformedAttribute(type: type) }
                var signed = Array(bytes[0..<offset])
                setLength(&signed, offset + 8 - STUNMessage.headerLength)
                guard CRC32.checksum(signed[...]) ^ fingerprintXOR == UInt32(bigEndianBytes: value) else {
                    throw .badFingerprint
                }
                fingerprintSeen = true
            default:
                // Attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored (§14.5).
                if integrityAt == nil {
                    guard attributes.count < maxAttributes else { throw .tooManyAttributes }
                    attributes.append(STUNAttribute(type: type, value: value))
                }
            }
            offset = start + (length + 3) & ~3
        }
        guard offset == bytes.count else { throw .truncated }
        if let key = integrityKey {
            guard let at = integrityAt else { throw .missingIntegrity }
            var signed = Array(bytes[0..<at])
            setLength(&signed, at + 24 - STUNMessage.headerLength)
            guard hmac(key: key, signed) == Array(bytes[at + 4..<at + 24]) else { throw .badIntegrity }
        }
        return STUNMessage(method: method, class: messageClass, transactionID: Array(bytes[8..<20]),
                           attributes: attributes)
    }

    private static func header(_ m: STUNMessage, bodyLength: Int) -> [UInt8] {
        m.messageType.bigEndianBytes + UInt16(bodyLength).bigEndianBytes + STUNMessage.magicCookie.bigEndianBytes
            + m.transactionID
    }

    private static func append(_ a: STUNAttribute, to out: inout [UInt8]) {
        out += a.type.bigEndianBytes + UInt16(a.value.count).bigEndianBytes + a.value
        out += [UInt8](repeating: 0, count: (4 - a.value.count % 4) % 4)
    }

    private static func setLength(_ bytes: inout [UInt8], _ length: Int) {
        bytes[2] = UInt8(length >> 8)
        bytes[3] = UInt8(length & 0xFF)
    }

    static func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        let rc = gwm_hmac_sha1(key, key.count, data, data.count, &out)
        precondition(rc == 0, "HMAC-SHA1 is always available in libcrypto")
        return out
    }
}
