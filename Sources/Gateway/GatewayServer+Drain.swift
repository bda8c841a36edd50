import NIOCore
import SIPEndpoint

/// Shutting down without cutting calls: the drain's steps, each carried out on
/// the user agent's loop by its core (`UserAgentCore.drain`, `endAll`,
/// `isIdle`). The service lifecycle (the executable) orders them in time.
extension GatewayServer {
    /// What the drain waits for.
    public struct DrainState: Sendable {
        /// Calls still up.
        public var calls: Int
        /// No call, placed call or registration left (the un-REGISTERs answered).
        public var idle: Bool
    }

    /// The gateway stops taking sessions, sign-ins and calls (new INVITEs get 503 with
    /// Retry-After) and says it is not ready; calls up go on.
    public func beginDrain() async {
        guard let ua else { return }
        try? await ua.loop.submit {
            ua.core.drain(now: SIPService.now())
            ua.drive()
        }.get()
    }

    /// Ends every call (BYE), signs every session out and unregisters every user.
    public func endAll() async {
        guard let ua else { return }
        try? await ua.loop.submit {
            ua.core.endAll(now: SIPService.now())
            ua.drive()
        }.get()
    }

    public func drainState() async -> DrainState {
        guard let ua else { return DrainState(calls: 0, idle: true) }
        return (try? await ua.loop.submit {
            DrainState(calls: ua.core.model?.callCount ?? 0, idle: ua.core.isIdle)
        }.get()) ?? DrainState(calls: 0, idle: true)
    }

    /// Closes every listener and connection and stops the event loops.
    public func stop() async {
        try? await channel?.close().get()
        try? await group.shutdownGracefully()
    }
}
