/// Why a call ended, as the page sees it (`ended.cause`, the library's
/// `Error.code`, the Genesys `errorType`).
public enum EndCause: String, Sendable, CaseIterable {
    case hangup, busy, unavailable, timeout, cancelled, rejected, forbidden, redirected, failed
    case notFound = "not-found", notAcceptable = "not-acceptable", serverError = "server-error"
    case mediaLost = "media-lost", signedOut = "signed-out"
    /// The gateway ended the call as it shut down (its drain time was over).
    case shutdown

    /// The one table from a SIP final status to the cause the page sees.
    public init(sipStatus code: Int) {
        self = switch code {
        case 200..<300: .hangup
        case 404, 484, 604: .notFound
        case 486, 600: .busy
        case 480: .unavailable       // Temporarily Unavailable: not registered, or does not take calls now
        case 408: .timeout
        case 487: .cancelled
        case 603: .rejected
        case 401, 403, 407: .forbidden
        case 415, 488, 606: .notAcceptable
        case 300..<400: .redirected
        case 500..<600: .serverError
        default: .failed
        }
    }
}
