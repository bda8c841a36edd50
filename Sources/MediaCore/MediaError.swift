import CGatewayMedia

/// A failure reported by the C media core. The one place where gwm_status
/// codes become Swift errors.
public struct MediaError: Error, Equatable, CustomStringConvertible {
    public let status: Int32

    public var description: String { String(cString: gwm_strerror(status)) }

    /// Throws when `status` is an error (negative); returns it otherwise.
    @discardableResult
    public static func check(_ status: Int32) throws(MediaError) -> Int32 {
        if status < 0 { throw MediaError(status: status) }
        return status
    }

    public static let authenticationFailed = MediaError(status: GWM_ERR_AUTH.rawValue)
    public static let replay = MediaError(status: GWM_ERR_REPLAY.rawValue)
    public static let malformed = MediaError(status: GWM_ERR_MALFORMED.rawValue)
    public static let truncated = MediaError(status: GWM_ERR_TRUNCATED.rawValue)
}
