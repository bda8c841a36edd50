import MediaCore
import NIOConcurrencyHelpers
import ShellSupport

/// What is known of a browser media session, for the test routes, the logs
/// and the measurements of the interop tests.
public struct SessionStatus: Sendable, Codable {
    public var id: String
    public var state = "waiting"          // waiting, connected, failed, closed
    public var reason: String?
    public var refusals: [String] = []
    public var selectedAddress: String?
    public var srtpProfile: Int32?
    /// Microseconds from the offer's arrival to the first SRTP packet sent to the browser.
    public var offerToFirstSRTPUs: UInt64?
    public var packetsFromBrowser: UInt64 = 0
    public var packetsToBrowser: UInt64 = 0
    public var authFailures: UInt64 = 0
    /// Datagrams toward the browser its socket could not take at once (dropped, not queued).
    public var socketDrops: UInt64 = 0
    /// How the media arrived from the browser and from the SIP side (as last published).
    public var browserQuality: LegQuality?
    public var sipQuality: LegQuality?
}

/// Live sessions by id. Thread-safe.
public final class SessionRegistry: Sendable {
    private let sessions = NIOLockedValueBox<[String: SessionStatus]>([:])
    private let maxRefusals = 8

    public init() {}

    public func update(_ id: String, _ change: (inout SessionStatus) -> Void) {
        sessions.withLockedValue { all in
            var s = all[id] ?? SessionStatus(id: id)
            change(&s)
            if s.refusals.count > maxRefusals { s.refusals.removeFirst(s.refusals.count - maxRefusals) }
            all[id] = s
        }
    }

    public func status(_ id: String) -> SessionStatus? { sessions.withLockedValue { $0[id] } }

    /// Forgets a session some time after it ended (the tests read it after the end).
    public func remove(_ id: String) { sessions.withLockedValue { $0[id] = nil } }

    public var count: Int { sessions.withLockedValue { $0.count } }

    /// Datagrams in and out on the browser legs of the sessions still known
    /// (as last published: every half second while media flows).
    public var browserPackets: UInt64 {
        sessions.withLockedValue { $0.values.reduce(0) { $0 + $1.packetsFromBrowser + $1.packetsToBrowser } }
    }
}
