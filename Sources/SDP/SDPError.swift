/// Why an SDP could not be parsed or negotiated.
public enum SDPError: Error, Equatable, Sendable {
    case tooLarge(limit: Int)
    case malformedLine(number: Int, reason: String)
    case missingLine(Character)
    case unsupportedVersion(String)
    /// Nothing in the offer can be answered (no usable audio section, no common codec, ...).
    case notAcceptable(String)
}
