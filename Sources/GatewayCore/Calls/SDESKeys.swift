import MediaCore
import SDP
import Identifiers

/// SDES-SRTP keys of one leg (RFC 4568): ours, made from the system's CSPRNG,
/// and the peer's from its a=crypto line.
public struct SDESKeys: Sendable {
    public let attribute: CryptoAttribute      // ours, for our SDP
    public let suite: SRTPSuite
    public let send: [UInt8]
    public private(set) var receive: [UInt8]?

    private init(tag: Int, suite: SRTPSuite) {
        self.suite = suite
        send = Random.bytes(suite.keyLength)
        attribute = CryptoAttribute(tag: tag, suite: suite, key: send)
    }

    /// Our offer: AES_CM_128_HMAC_SHA1_80 (the suite every SDES peer has), tag 1.
    public static func offering() -> SDESKeys { SDESKeys(tag: 1, suite: .aesCM128HMACSHA1_80) }

    /// Our answer to the peer's crypto line: its tag and suite, a key of ours;
    /// nil when its key does not fit the suite.
    public static func answering(_ theirs: CryptoAttribute) -> SDESKeys? {
        guard let suite = SRTPSuite(rawValue: theirs.suite) else { return nil }
        return SDESKeys(tag: theirs.tag, suite: suite).answered(by: theirs)
    }

    /// With the peer's key from its answer (or offer); nil when it does not fit.
    public func answered(by theirs: CryptoAttribute) -> SDESKeys? {
        guard theirs.suite == attribute.suite, let key = theirs.inlineKey, key.count == send.count else { return nil }
        var keys = self
        keys.receive = key
        return keys
    }
}
