import NIOCore

/// Once a second, how late the event loop ran a task scheduled for a given
/// time: the loop's own delay, which every call and SIP message on it shares.
struct EventLoopDelaySampler: Sendable {
    let loop: EventLoop
    let metrics: GatewayMetrics

    func start() {
        let due = NIODeadline.now() + .seconds(1)
        loop.scheduleTask(deadline: due) {
            let late = NIODeadline.now() - due
            metrics.eventLoopDelay(.nanoseconds(max(late.nanoseconds, 0)))
            start()
        }
    }
}
