/// Attribute types (RFC 8489 §18.3, RFC 8445 §16.1) and their values.
extension STUNAttribute {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A
    /// Types the gateway understands; any other below 0x8000 is refused with 420.
    static let understood: Set<UInt16> = [mappedAddress, username, messageIntegrity, errorCode, unknownAttributes,
                                          xorMappedAddress, priority, useCandidate, 0x001C /* MESSAGE-INTEGRITY-SHA256 */,
                                          0x001D /* PASSWORD-ALGORITHM */, 0x001E /* USERHASH */]

    public static func username(_ name: String) -> STUNAttribute { STUNAttribute(type: username, value: Array(name.utf8)) }

    public static func priority(_ p: UInt32) -> STUNAttribute { STUNAttribute(type: priority, value: p.bigEndianBytes) }

    public static var useCandidateFlag: STUNAttribute { STUNAttribute(type: useCandidate, value: []) }

    public static func controlling(_ tiebreaker: UInt64) -> STUNAttribute {
        STUNAttribute(type: iceControlling, value: tiebreaker.bigEndianBytes)
    }

    public static func controlled(_ tiebreaker: UInt64) -> STUNAttribute {
        STUNAttribute(type: iceControlled, value: tiebreaker.bigEndianBytes)
    }

    /// ERROR-CODE (§14.8): class and number, then a UTF-8 reason.
    public static func error(_ code: Int, _ reason: String) -> STUNAttribute {
        STUNAttribute(type: errorCode, value: [0, 0, UInt8(code / 100), UInt8(code % 100)] + Array(reason.utf8))
    }

    public static func unknown(_ types: [UInt16]) -> STUNAttribute {
        STUNAttribute(type: unknownAttributes, value: types.flatMap { $0.bigEndianBytes })
    }

    /// XOR-MAPPED-ADDRESS (§14.2) for an IPv4 (4 bytes) or IPv6 (16 bytes) address.
    public static func xorMapped(address: [UInt8], port: UInt16, transactionID: [UInt8]) -> STUNAttribute {
        let mask = STUNMessage.magicCookie.bigEndianBytes + transactionID
        let family: UInt8 = address.count == 4 ? 0x01 : 0x02
        let xport = port ^ UInt16(STUNMessage.magicCookie >> 16)
        let xaddr = address.enumerated().map { $0.element ^ mask[$0.offset] }
        return STUNAttribute(type: xorMappedAddress, value: [0, family] + xport.bigEndianBytes + xaddr)
    }
}

extension STUNMessage {
    public var username: String? {
        attribute(STUNAttribute.username).map { String(decoding: $0.value, as: UTF8.self) }
    }

    public var priority: UInt32? {
        attribute(STUNAttribute.priority).flatMap { $0.value.count == 4 ? UInt32(bigEndianBytes: $0.value) : nil }
    }

    public var hasUseCandidate: Bool { attribute(STUNAttribute.useCandidate) != nil }

    public var iceControlling: UInt64? {
        attribute(STUNAttribute.iceControlling).flatMap { $0.value.count == 8 ? UInt64(bigEndianBytes: $0.value) : nil }
    }

    public var iceControlled: UInt64? {
        attribute(STUNAttribute.iceControlled).flatMap { $0.value.count == 8 ? UInt64(bigEndianBytes: $0.value) : nil }
    }

    public var errorCode: Int? {
        attribute(STUNAttribute.errorCode).flatMap { $0.value.count >= 4 ? Int($0.value[2] & 7) * 100 + Int($0.value[3]) : nil }
    }

    /// The XOR-MAPPED-ADDRESS as (address bytes, port).
    public var xorMappedAddress: (address: [UInt8], port: UInt16)? {
        guard let v = attribute(STUNAttribute.xorMappedAddress)?.value, v.count == 8 || v.count == 20 else { return nil }
        let mask = STUNMessage.magicCookie.bigEndianBytes + transactionID
        let port = UInt16(bigEndianBytes: Array(v[2..<4])) ^ UInt16(STUNMessage.magicCookie >> 16)
        let address = v[4...].enumerated().map { $0.element ^ mask[$0.offset] }
        return (address, port)
    }

    /// Comprehension-required attributes the gateway does not understand.
    public var unknownRequiredAttributes: [UInt16] {
        attributes.map(\.type).filter { $0 < 0x8000 && !STUNAttribute.understood.contains($0) }
    }
}

extension FixedWidthInteger {
    var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }

    init(bigEndianBytes bytes: [UInt8]) {
        self = bytes.reduce(0) { $0 << 8 | Self($1) }
    }
}
