import Foundation

/// One message of the long-poll transport (the Genesys WebRTC Gateway's wire
/// protocol, docs/SIGNALING.md): a word, then optionally a space and a JSON
/// object - `RSMP {"messageType":"OFFER",...}`, `BYE`, `EVENT-HOLD`,
/// `JSON {...}` (this gateway's own protocol carried over long-poll).
public struct LongPollMessage: Equatable, Sendable {
    public enum Word: String, Sendable, CaseIterable {
        case rsmp = "RSMP", sdp = "SDP", bye = "BYE", invite = "INVITE"
        case eventTalk = "EVENT-TALK", eventHold = "EVENT-HOLD"
        case infoMap = "INFO-MAP", infoPeer = "INFO-PEER"
        case getStats = "GET-STATS", putStats = "PUT-STATS"
        case error = "ERROR"
        /// The WebSocket protocol's JSON messages, for clients that speak it over long-poll.
        case json = "JSON"
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty, tooLarge, unknownWord(String), badJSON(String), notUTF8
        public var description: String {
            switch self {
            case .empty: "empty message"
            case .tooLarge: "message over \(LongPollMessage.maxLength) bytes"
            case .unknownWord(let w): "unknown message word \(w)"
            case .badJSON(let w): "\(w) needs one JSON object after the word"
            case .notUTF8: "message is not UTF-8"
            }
        }
    }

    public static let maxLength = 64 * 1024

    public var word: Word
    /// The JSON object after the word (nil when the word has none).
    public var object: [String: JSONValue]?

    public init(_ word: Word, _ object: [String: JSONValue]? = nil) {
        self.word = word
        self.object = object
    }

    /// Words that carry a JSON object (the others may carry one, or text).
    static let needsObject: Set<Word> = [.rsmp, .sdp, .json, .putStats]

    public init(parsing bytes: [UInt8]) throws(ParseError) {
        guard bytes.count <= Self.maxLength else { throw .tooLarge }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8 }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .empty }
        let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" })
        let wordText = String(trimmed[..<(space ?? trimmed.endIndex)])
        guard let word = Word(rawValue: wordText.uppercased()) else { throw .unknownWord(String(wordText.prefix(32))) }
        self.word = word
        let rest = space.map { trimmed[$0...].trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        if rest.isEmpty {
            guard !Self.needsObject.contains(word) else { throw .badJSON(word.rawValue) }
            object = nil
            return
        }
        if rest.first == "{", let parsed = JSONValue.object(parsing: rest.utf8) {
            object = parsed
        } else if Self.needsObject.contains(word) {
            throw .badJSON(word.rawValue)
        } else if Self.formEncoded.contains(word) {
            object = FormEncoding.fields(rest).mapValues(JSONValue.string)
        } else {
            object = ["text": .string(rest)]     // ERROR and GET-STATS may carry plain text
        }
        if Self.formEncoded.contains(word), let pairs = object {
            // Form data is text pairs, written as they would be (a JSON object too): what parses is what is sent.
            let normal = FormEncoding.fields(FormEncoding.encoded(pairs)).mapValues(JSONValue.string)
            object = normal.isEmpty ? nil : normal
        }
    }

    /// Words whose data is form-encoded (`INFO-MAP a=1&b=x+y`: the Genesys
    /// client writes it with jQuery's `$.param`, and reads it that way).
    static let formEncoded: Set<Word> = [.infoMap, .infoPeer]

    /// The message as it goes on the wire.
    public var text: String {
        guard let object else { return word.rawValue }
        if Self.formEncoded.contains(word) {
            let pairs = FormEncoding.encoded(object)
            return pairs.isEmpty ? word.rawValue : word.rawValue + " " + pairs
        }
        return word.rawValue + " " + JSONValue.object(object).jsonText
    }
}
