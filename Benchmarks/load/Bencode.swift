/// Bencode (BitTorrent's encoding), which rtpengine's ng control protocol speaks: byte strings, integers,
/// lists and dictionaries.
enum Bencode: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case list([Bencode])
    case dictionary([String: Bencode])

    var bytes: [UInt8] {
        switch self {
        case .string(let s): Array("\(s.utf8.count):".utf8) + Array(s.utf8)
        case .integer(let i): Array("i\(i)e".utf8)
        case .list(let l): [UInt8(ascii: "l")] + l.flatMap(\.bytes) + [UInt8(ascii: "e")]
        case .dictionary(let d):
            [UInt8(ascii: "d")] + d.keys.sorted().flatMap { Bencode.string($0).bytes + (d[$0]?.bytes ?? []) } + [UInt8(ascii: "e")]
        }
    }

    subscript(key: String) -> Bencode? { if case .dictionary(let d) = self { d[key] } else { nil } }

    var text: String? { if case .string(let s) = self { s } else { nil } }

    /// One value from `bytes` at `index` (moved past it); nil when malformed.
    static func decode(_ bytes: [UInt8], _ index: inout Int) -> Bencode? {
        guard index < bytes.count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "i"):
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: "e")),
                  let value = Int(String(decoding: bytes[(index + 1)..<end], as: UTF8.self)) else { return nil }
            index = end + 1
            return .integer(value)
        case UInt8(ascii: "l"), UInt8(ascii: "d"):
            let isList = bytes[index] == UInt8(ascii: "l")
            index += 1
            var items: [Bencode] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "e") {
                guard let item = decode(bytes, &index) else { return nil }
                items.append(item)
            }
            guard index < bytes.count else { return nil }
            index += 1
            if isList { return .list(items) }
            guard items.count % 2 == 0 else { return nil }
            var d: [String: Bencode] = [:]
            for pair in stride(from: 0, to: items.count, by: 2) {
                guard let key = items[pair].text else { return nil }
                d[key] = items[pair + 1]
            }
            return .dictionary(d)
        default:
            guard let colon = bytes[index...].firstIndex(of: UInt8(ascii: ":")),
                  let length = Int(String(decoding: bytes[index..<colon], as: UTF8.self)), length >= 0,
                  colon + 1 + length <= bytes.count else { return nil }
            index = colon + 1 + length
            return .string(String(decoding: bytes[(colon + 1)..<index], as: UTF8.self))
        }
    }
}
