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
        guard let locator, peer == settings.server else { return peer }
        return locator.target(now: Self.now())
    }

    /// Whether SIP from `host` is the SIP server's: an address its name resolved to.
    func isServerAddress(_ host: String) -> Bool { locator?.knownAddresses.contains(host) ?? false }

    /// A request to `peer` timed out, could not be carried, or got a 503: when `peer` is one of the
    /// server's targets, the next one is tried first (RFC 3263 §4.3).
    func serverTargetFailed(_ peer: SIPPeer, now: UInt64, why: String) {
        guard var locator, locator.targets.count > 1, locator.targets.contains(peer) else { return }
        locator.failed(peer, now: now)
        self.locator = locator
        let next = locator.target(now: now).map { "\($0)" } ?? "none"
        logger.warning("SIP server \(settings.server?.host ?? ""): target \(peer) failed (\(why)), next \(next)")
    }

    /// The first lookup, before the role starts: its first requests go to a target.
    func locateFirst() -> EventLoopFuture<Void> {
        guard let locator, locator.targets.isEmpty else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        firstLookup = promise
        loop.scheduleTask(in: Self.firstLookupBound) { self.firstLookupDone() }
        locate(now: Self.now())
        return promise.futureResult
    }

    /// Runs the lookups due now, each on the thread pool; their answers come back here.
    func locate(now: UInt64) {
        guard let queries = locator?.poll(now: now) else { return }
        for query in queries {
            NIOThreadPool.singleton.runIfActive(eventLoop: loop) { DNSLookup.run(query) }.whenComplete { result in
                let answer = (try? result.get()) ?? .failed
                if answer == .failed { self.logger.notice("DNS: no answer for \(query)") }
                let before = self.locator?.targets
                self.locator?.answered(query, answer, now: Self.now())
                if let after = self.locator?.targets, after != before {
                    self.logger.info("SIP server \(self.settings.server?.host ?? ""): targets \(after.map(\.description).joined(separator: ", "))")
                }
                if self.locator?.isLooking == false { self.firstLookupDone() }
                self.locate(now: Self.now())          // the lookup's next step: the SRV targets' addresses
                self.afterWork()
            }
        }
    }

    private func firstLookupDone() {
        guard let promise = firstLookup else { return }
        firstLookup = nil
        if locator?.targets.isEmpty == true {
            logger.error("SIP server \(settings.server?.host ?? ""): its name leads nowhere yet; looking again later")
        }
        promise.succeed()
    }
}

extension SIPService {
    static let maxRetryable = 10_000

    /// Sends `request` again, in a new transaction, to the next target not passed over (RFC 3263 §4.3);
    /// its answer reaches the role under `original`'s key. False when no target but `failed` is left.
    func retryAtNextTarget(_ request: SIPRequest, after failed: SIPPeer, as original: TransactionKey, now: UInt64) -> Bool {
        guard let server = settings.server, let next = locator?.unblockedTarget(now: now), next != failed,
              let top = request.headers.values("Via").first, var via = try? Via(parsing: top) else { return false }
        via.parameters.removeAll { $0.name.lowercased() == "branch" }
        via.parameters.insert(SIPParameter(name: "branch", value: Via.magicCookie + Random.token(16)), at: 0)
        var retry = request
        var vias = retry.headers.values("Via")
        vias[0] = via.description
        retry.headers.remove("Via")
        for value in vias { retry.headers.add("Via", value) }
        let known = retriedAs.removeValue(forKey: original) ?? original
        let (key, outputs) = startTransaction(retry, to: server)
        retriedAs[key] = known
        handle(outputs, now: now)
        return true
    }

    /// The key the role knows for a transaction (a retry's is its first attempt's).
    func roleKey(_ key: TransactionKey, final: Bool) -> TransactionKey {
        guard let known = retriedAs[key] else { return key }
        if final { retriedAs[key] = nil }
        return known
    }
}
