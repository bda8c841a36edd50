import NIOCore
import NIOPosix
import ShellSupport
import SIP

/// The SIP server's name (RFC 3263): the lookups its locator asks for run on
/// NIO's thread pool and their answers come back to the service's loop (the
/// targets and their failover are the core's).
extension SIPService {
    /// How long the start waits for the first lookup before the role starts anyway.
    static let firstLookupBound = TimeAmount.seconds(15)

    /// The first lookup, before the role starts: its first requests go to a target.
    func locateFirst() -> EventLoopFuture<Void> {
        guard core.failover?.locator.targets.isEmpty == true else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        firstLookup = promise
        loop.scheduleTask(in: Self.firstLookupBound) { self.firstLookupDone() }
        locate(now: Self.now())
        return promise.futureResult
    }

    /// Runs the lookups due now, each on the thread pool; their answers come back here.
    func locate(now: UInt64) {
        guard let queries = core.failover?.locator.poll(now: now) else { return }
        for query in queries {
            NIOThreadPool.singleton.runIfActive(eventLoop: loop) { DNSLookup.run(query) }.whenComplete { result in
                let answer = (try? result.get()) ?? .failed
                if answer == .failed { self.logger.notice("DNS: no answer for \(query)") }
                let before = self.core.failover?.locator.targets
                self.core.failover?.locator.answered(query, answer, now: Self.now())
                if let after = self.core.failover?.locator.targets, after != before {
                    self.logger.info("SIP server \(self.settings.server?.host ?? ""): targets \(after.map(\.description).joined(separator: ", "))")
                }
                if self.core.failover?.locator.isLooking == false { self.firstLookupDone() }
                self.locate(now: Self.now())          // the lookup's next step: the SRV targets' addresses
                self.afterWork()
            }
        }
    }

    private func firstLookupDone() {
        guard let promise = firstLookup else { return }
        firstLookup = nil
        if core.failover?.locator.targets.isEmpty == true {
            logger.error("SIP server \(settings.server?.host ?? ""): its name leads nowhere yet; looking again later")
        }
        promise.succeed()
    }
}
