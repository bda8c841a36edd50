import GatewayCore
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
    public func beginDrain() async { await onUserAgent { $0.drain(now: $1) } }

    /// Ends every call (BYE), signs every session out and unregisters every user.
    public func endAll() async { await onUserAgent { $0.endAll(now: $1) } }

    /// `step` given to the user agent's core on its loop, and what it decided carried out.
    private func onUserAgent(_ step: @escaping @Sendable (UserAgentCore, UInt64) -> Void) async {
        guard let ua else { return }
        try? await ua.loop.submit {
            step(ua.core, SIPService.now())
            ua.drive()
        }.get()
    }

    public func drainState() async -> DrainState {
        guard let ua else { return DrainState(calls: 0, idle: true) }
        return (try? await ua.loop.submit {
            DrainState(calls: ua.core.model?.callCount ?? 0, idle: ua.core.isIdle)
        }.get()) ?? DrainState(calls: 0, idle: true)
    }

    /// Stops the event loops (once the HTTP server has stopped).
    public func stop() async {
        try? await group.shutdownGracefully()
    }
}
