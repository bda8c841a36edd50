import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

/// The gateway as a service of the lifecycle: it serves until the service
/// group's graceful shutdown (SIGTERM, SIGINT), then drains - new sessions and
/// calls refused, calls up left to end for `drainTimeout` at most (a second
/// signal cuts that short), the rest ended, every user unregistered - and
/// stops.
struct GatewayService: Service {
    let server: GatewayServer
    let drainTimeout: Duration
    let logger: Logger
    /// How long the un-REGISTERs and BYEs of the end may take to be answered.
    static let farewell = Duration.seconds(5)

    func run() async throws {
        try? await gracefulShutdown()   // cancelled: end at once, as cleanly
        let calls = await server.drainState().calls
        logger.notice("draining: \(calls) calls up, ending them in at most \(drainTimeout)")
        await server.beginDrain()
        let secondSignal = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { return }
        }
        await waitUntil(ContinuousClock.now + drainTimeout, orUntil: secondSignal) { await server.drainState().calls == 0 }
        let left = await server.drainState().calls
        if left > 0 { logger.notice("drain over: ending \(left) calls") }
        await server.endAll()
        await waitUntil(ContinuousClock.now + Self.farewell, orUntil: nil) { await server.drainState().idle }
        secondSignal.cancel()
        logger.notice("stopped")
    }

    /// Returns when `done` holds, at `deadline`, or when `interrupt` ends (checked every 100 ms).
    private func waitUntil(_ deadline: ContinuousClock.Instant, orUntil interrupt: Task<Void, Never>?,
                           _ done: () async -> Bool) async {
        let interrupted = InterruptFlag()
        let watcher = interrupt.map { task in Task { await task.value; await interrupted.set() } }
        defer { watcher?.cancel() }
        while ContinuousClock.now < deadline, !(await interrupted.isSet), !(await done()) {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

private actor InterruptFlag {
    private(set) var isSet = false
    func set() { isSet = true }
}
