import NIOCore
import NIOPosix
import ShellSupport
import SIP

/// The SIP server's targets (RFC 3263): requests for the server go to the
/// target its name leads to now; a target that fails is passed over; the
/// lookups run on NIO's thread pool and come back to the service's loop.
extension SIPService {
    /// How long the start waits for the first lookup before the role starts anyway.
    static let firstLookupBound = TimeAmount.seconds(15)

    /// Where a message for `peer` goes: for the SIP server, the target its name leads to now
    /// (nil while none is known); for anyone else, `peer` itself.
    func hop(_ peer: SIPPeer) -> SIPPeer? {
        guard let failover else { return peer }
        return failover.destination(peer, now: Self.now())
    }

    /// Whether SIP from `host` is the SIP server's: an address its name resolved to.
    func isServerAddress(_ host: String) -> Bool { failover?.locator.knownAddresses.contains(host) ?? false }

    /// The key under which a response goes to the role; nil when the request went again to the next target.
    func afterAnswer(_ status: SIPStatus, key: TransactionKey, now: UInt64) -> TransactionKey? {
        guard let result = failover?.response(status, key: key, now: now, branch: Random.token(16)) else { return key }
        return carryOut(result, why: "503", now: now)
    }

    /// The key under which a timeout goes to the role; nil when the request went again to the next target.
    func afterTimeout(_ key: TransactionKey, at peer: SIPPeer, now: UInt64) -> TransactionKey? {
        guard let result = failover?.timedOut(key, at: peer, now: now, branch: Random.token(16)) else { return key }
        return carryOut(result, why: "no answer", now: now)
    }

    private func carryOut(_ result: (ServerFailover.Outcome, ServerFailover.Failure?), why: String, now: UInt64) -> TransactionKey? {
        log(result.1, why: why)
        switch result.0 {
        case .deliver(let key): return key
        case .retry(let request):
            guard let server = settings.server else { return nil }
            let (_, outputs) = startTransaction(request, to: server)
            handle(outputs, now: now)
            return nil
        }
    }

    func log(_ failure: ServerFailover.Failure?, why: String) {
        guard let failure else { return }
        let next = failure.next.map { "\($0)" } ?? "none"
        logger.warning("SIP server \(settings.server?.host ?? ""): target \(failure.target) failed (\(why)), next \(next)")
    }

    /// The first lookup, before the role starts: its first requests go to a target.
    func locateFirst() -> EventLoopFuture<Void> {
        guard failover?.locator.targets.isEmpty == true else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        firstLookup = promise
        loop.scheduleTask(in: Self.firstLookupBound) { self.firstLookupDone() }
        locate(now: Self.now())
        return promise.futureResult
    }

    /// Runs the lookups due now, each on the thread pool; their answers come back here.
    func locate(now: UInt64) {
        guard let queries = failover?.locator.poll(now: now) else { return }
        for query in queries {
            NIOThreadPool.singleton.runIfActive(eventLoop: loop) { DNSLookup.run(query) }.whenComplete { result in
                let answer = (try? result.get()) ?? .failed
                if answer == .failed { self.logger.notice("DNS: no answer for \(query)") }
                let before = self.failover?.locator.targets
                self.failover?.locator.answered(query, answer, now: Self.now())
                if let after = self.failover?.locator.targets, after != before {
                    self.logger.info("SIP server \(self.settings.server?.host ?? ""): targets \(after.map(\.description).joined(separator: ", "))")
                }
                if self.failover?.locator.isLooking == false { self.firstLookupDone() }
                self.locate(now: Self.now())          // the lookup's next step: the SRV targets' addresses
                self.afterWork()
            }
        }
    }

    private func firstLookupDone() {
        guard let promise = firstLookup else { return }
        firstLookup = nil
        if failover?.locator.targets.isEmpty == true {
            logger.error("SIP server \(settings.server?.host ?? ""): its name leads nowhere yet; looking again later")
        }
        promise.succeed()
    }
}
