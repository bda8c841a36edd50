/// A direction of media (RFC 3264 §6.1): as SDP declares it, and as the
/// media bridge sends to and takes from a leg.
public enum MediaDirection: String, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction the other side should declare in reply (RFC 3264 §6.1).
    public var reversed: MediaDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        default: self
        }
    }
}
