#if canImport(Glibc)
import Glibc
#endif

/// Every call holds about three sockets (the browser leg's port, the SIP
/// leg's RTP and RTCP): the default limit of 1,024 open files stops a gateway
/// at about 330 calls. At start the soft limit is raised to the hard one.
enum OpenFileLimit {
    static let socketsPerCall = 3
    /// Listeners, SIP connections, the log and the like.
    static let reserved = 64

    /// Raises the soft limit to the hard one; returns both the limit it had and the one it has.
    static func raise() -> (was: UInt64, now: UInt64) {
        var limit = rlimit()
        guard getrlimit(openFiles, &limit) == 0 else { return (0, 0) }
        let was = UInt64(limit.rlim_cur)
        limit.rlim_cur = limit.rlim_max
        guard setrlimit(openFiles, &limit) == 0 else { return (was, was) }
        return (was, UInt64(limit.rlim_cur))
    }

    /// How many calls the open files leave room for.
    static func calls(_ files: UInt64) -> UInt64 { files > UInt64(reserved) ? (files - UInt64(reserved)) / UInt64(socketsPerCall) : 0 }

    private static var openFiles: __rlimit_resource_t { __rlimit_resource_t(RLIMIT_NOFILE.rawValue) }
}
