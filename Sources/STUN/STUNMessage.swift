/// A STUN message (RFC 8489 §5):
///
///     0                   1                   2                   3
///    |0 0|     STUN Message Type     |         Message Length        |
///    |                         Magic Cookie                          |
///    |                     Transaction ID (96 bits)                  |
///    |   attributes: type (16) | length (16) | value, padded to 32 bits |
public struct STUNMessage: Equatable, Sendable {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20

    public enum Class: UInt16, Sendable {
        case request = 0x0000, indication = 0x0010, success = 0x0100, error = 0x0110
    }

    public static let bindingMethod: UInt16 = 0x0001

    public var method: UInt16
    public var messageClass: Class
    public var transactionID: [UInt8]
    /// Attributes in wire order, MESSAGE-INTEGRITY and FINGERPRINT excluded
    /// (they are computed on encoding and checked on decoding).
    public var attributes: [STUNAttribute]

    public init(method: UInt16 = bindingMethod, class messageClass: Class, transactionID: [UInt8],
                attributes: [STUNAttribute] = []) {
        precondition(transactionID.count == 12, "a STUN transaction ID has 96 bits")
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// The 14-bit method and 2-bit class interleaved as RFC 8489 §5 lays them out.
    var messageType: UInt16 {
        let m = method
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | messageClass.rawValue
    }

    static func split(_ type: UInt16) -> (method: UInt16, class: Class) {
        let method = (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2)
        return (method, Class(rawValue: type & 0x0110)!)
    }

    public func attribute(_ type: UInt16) -> STUNAttribute? { attributes.first { $0.type == type } }
}

/// One attribute as type and raw value; typed readers and makers are in STUNAttribute+Types.
public struct STUNAttribute: Equatable, Sendable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// RFC 8489 §14: types below 0x8000 must be understood.
    public var isComprehensionRequired: Bool { type < 0x8000 }
}

public enum STUNError: Error, Equatable, Sendable {
    case notSTUN
    case truncated
    case malformedAttribute(type: UInt16)
    case tooManyAttributes
    case badFingerprint
    case badIntegrity
    case missingIntegrity
}
