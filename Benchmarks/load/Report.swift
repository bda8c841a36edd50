import Foundation

/// What one browser measured, read on its loop.
struct Snapshot: Sendable {
    let user: String
    let isUp: Bool
    let failure: String?
    let answeredAt: UInt64?
    let setupMs: Double?
    let firstAudioMs: Double?
    let expected: Int
    let lost: Int
    let received: Int
    let jitterMs: Double
    let roundTrips: [Double]

    /// Seconds since the browser's counters started.
    let windowSeconds: Double

    static func take(_ browsers: [SimulatedBrowser]) async -> [Snapshot] {
        let box = Collected()
        await onTheirLoops(browsers) { b, now in box.append(Snapshot(b, now: now)) }
        return box.snapshots
    }

    /// Snapshots gathered on the loops, one loop after another.
    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Snapshot] = []
        func append(_ s: Snapshot) { lock.withLock { list.append(s) } }
        var snapshots: [Snapshot] { lock.withLock { list } }
    }

    init(_ b: SimulatedBrowser, now: UInt64) {
        windowSeconds = Double(now &- b.probe.windowStartedAt) / 1e6
        user = b.user
        isUp = b.isUp
        failure = b.failure
        answeredAt = b.answeredAt
        let start = b.callStartedAt
        setupMs = zip(start, b.answeredAt).map { Double($1 &- $0) / 1000 }
        firstAudioMs = zip(start, b.probe.firstReceivedAt).map { Double($1 &- $0) / 1000 }
        expected = b.probe.expected
        lost = b.probe.lost
        received = b.probe.received
        jitterMs = b.probe.jitterMs
        roundTrips = b.probe.roundTrips
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? { a.flatMap { a in b.map { (a, $0) } } }

/// The table the generator prints, one row per step.
enum Report {
    static func header(codec: String, through: String) -> String {
        let kind = codec == "pcmu" ? "relayed (PCMU both legs)" : "transcoded (Opus to the browser, PCMU to SIP)"
        return """
            calls through \(through), \(kind), 50 packets/s each way; setup = call to answered, first audio = call to the first packet back;
            jitter as RFC 3550 computes it per call; round trip = browser -> gateway -> echo -> gateway -> browser
             calls    up failed  calls/s   setup p50/p95 ms  1st audio p50/p95 ms  CPU ms/call-s   loss %  back/s   jitter p50/p99 ms  round trip p50/p99 ms  KiB/call
            """
    }

    /// `back/s` is the packets each call got back per second of its window (50 when the gateway keeps up).
    static func row(calls: Int, up: Int, failed: Int, callsPerSecond: Double, new: [Snapshot], all: [Snapshot],
                    cpuMsPerCallSecond: Double, kibPerCall: Double) -> String {
        let live = all.filter(\.isUp)
        let expected = live.reduce(0) { $0 + $1.expected }, lost = live.reduce(0) { $0 + $1.lost }
        let loss = expected > 0 ? Double(lost) * 100 / Double(expected) : 0
        let back = packetsBack(all)
        func pair(_ values: [Double], _ a: Double, _ b: Double) -> String {
            values.isEmpty ? "-" : "\(f(percentile(values, a))) / \(f(percentile(values, b)))"
        }
        return [pad(calls, 6), pad(up, 5), pad(failed, 6), pad(f(callsPerSecond), 8),
                pad(pair(new.compactMap(\.setupMs), 50, 95), 18), pad(pair(new.compactMap(\.firstAudioMs), 50, 95), 21),
                pad(f(cpuMsPerCallSecond, 3), 14), pad(f(loss, 3), 8), pad(f(back), 7), pad(pair(live.map(\.jitterMs), 50, 99), 18),
                pad(pair(live.flatMap(\.roundTrips), 50, 99), 22), pad(f(kibPerCall, 0), 9)].joined(separator: " ")
    }

    /// The packets a call got back per second of its window, over the calls up.
    static func packetsBack(_ all: [Snapshot]) -> Double {
        let live = all.filter(\.isUp)
        let window = live.reduce(0) { $0 + $1.windowSeconds }
        return window > 0 ? Double(live.reduce(0) { $0 + $1.received }) / window : 0
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        let index = min(max(Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1, 0), sorted.count - 1)
        return sorted[index]
    }

    static func f(_ x: Double, _ digits: Int = 1) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (x * scale).rounded() / scale
        return digits == 0 ? String(Int(r)) : String(r)
    }

    static func pad(_ value: some CustomStringConvertible, _ width: Int) -> String {
        let s = value.description
        return String(repeating: " ", count: max(width - s.count, 0)) + s
    }
}
