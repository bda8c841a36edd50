import ArgumentParser
import Foundation
import Logging
import MediaCore
import NIOCore
import NIOPosix
import WebRTC

/// The load generator: simulated browsers (our own STUN, DTLS client and
/// SRTP) call a number through the gateway in steps, and each step prints
/// what the gateway cost and what the calls got. Run by Benchmarks/gateway-load.
@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway-load",
                                                    abstract: "Calls through a gateway in steps; prints a table.")

    @Option(help: "The gateway's HTTP address (host:port).") var gateway = "127.0.0.1:18080"
    @Option(help: "The gateway's process id (its CPU and memory are read from /proc).") var pid: Int32
    @Option(help: "Calls up at each step, comma-separated.") var steps = "25,50,100"
    @Option(help: "Seconds each step is measured.") var hold = 10
    @Option(help: "New calls per second while a step ramps up.") var rate = 20
    @Option(help: "pcmu (relayed by the gateway) or opus (transcoded).") var codec = "pcmu"
    @Option(help: "The number called (the far end echoes).") var to = "echo"
    @Option(help: "Event loops of the generator.") var threads = 1
    @Option(help: "Measure rtpengine instead: its ng control address (host:port); --pid is then rtpengine's.")
    var rtpengine: String?

    func run() async throws {
        let counts = steps.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        guard !counts.isEmpty, counts == counts.sorted(), rate > 0, hold > 0 else {
            throw ValidationError("--steps wants rising counts; --rate and --hold above 0")
        }
        guard codec == "pcmu" || codec == "opus" else { throw ValidationError("--codec is pcmu or opus") }
        let process = GatewayProcess(pid: pid)
        guard process.cpuSeconds() != nil else { throw ValidationError("no process \(pid)") }
        let payload: MediaProbe.Payload = codec == "pcmu" ? .pcmuProbe : .opus(try Self.opusFrames())
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(threads, 1))
        let identity = try DTLSIdentity()
        var logger = Logger(label: "gateway-load")
        logger.logLevel = .critical
        let pacer = Pacer()
        var control: RTPEngineControl?
        if let address = rtpengine {
            let parts = address.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--rtpengine wants host:port") }
            control = try await RTPEngineControl.connect(to: String(parts[0]), port: port, group: group)
        }
        let baseline = process.residentKiB() ?? 0
        var browsers: [SimulatedBrowser] = []
        var tasks: [Task<Void, Never>] = []
        var summary: [String] = []

        emit(Report.header(codec: codec, through: control == nil ? "the gateway" : "rtpengine"))
        for target in counts {
            var added: [SimulatedBrowser] = []
            let rampStart = SimulatedBrowser.now()
            for i in browsers.count..<target {
                let b = SimulatedBrowser(user: "load\(i)", loop: group.next(), identity: identity, payload: payload)
                added.append(b)
                browsers.append(b)
                await pacer.add(b)
                if let control {
                    tasks.append(Task { await b.run(rtpengine: control) })
                } else {
                    tasks.append(Task { await b.run(gateway: gateway, password: "load", to: to, logger: logger) })
                }
                try await Task.sleep(for: .microseconds(1_000_000 / rate))
            }
            let limit = SimulatedBrowser.now() + 30_000_000
            var settled: [Snapshot] = []
            while SimulatedBrowser.now() < limit {
                settled = await Snapshot.take(added)
                if settled.allSatisfy({ $0.isUp || $0.failure != nil }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let rampSeconds = Double((settled.compactMap(\.answeredAt).max() ?? rampStart) - rampStart) / 1e6
            await onTheirLoops(browsers) { b, now in b.resetCounters(now: now) }
            let cpu0 = process.cpuSeconds() ?? 0, t0 = SimulatedBrowser.now()
            try await Task.sleep(for: .seconds(hold))
            let cpu1 = process.cpuSeconds() ?? 0, t1 = SimulatedBrowser.now()
            let all = await Snapshot.take(browsers)
            let up = all.filter(\.isUp).count
            let newUsers = Set(added.map(\.user))
            let cpu = up > 0 ? (cpu1 - cpu0) * 1000 / (Double(up) * Double(t1 - t0) / 1e6) : 0
            emit(Report.row(calls: target, up: up, failed: all.filter { $0.failure != nil }.count,
                             callsPerSecond: rampSeconds > 0 ? Double(settled.filter(\.isUp).count) / rampSeconds : 0,
                             new: all.filter { newUsers.contains($0.user) }, all: all,
                             cpuMsPerCallSecond: cpu,
                             kibPerCall: up > 0 ? ((process.residentKiB() ?? 0) - baseline) / Double(up) : 0))
            if let why = all.compactMap(\.failure).first { emit("   first failure: \(why)") }
            summary.append("\(target):\(Report.f(cpu, 3)):\(Report.f(Report.packetsBack(all)))")
        }
        // For scripts: each step's calls, CPU per call-second and packets back per second.
        emit("summary \(codec) " + summary.joined(separator: " "))
        for b in browsers { await b.hangUp() }
        for t in tasks { await t.value }
        try await group.shutdownGracefully()
    }

    /// A second of a 440 Hz tone as Opus frames, sent over and over.
    static func opusFrames() throws -> [[UInt8]] {
        let encoder = try AudioEncoder(codec: .opus, sampleRate: 48000)
        var tone = SineTone(frequency: 440, sampleRate: 48000)
        return try (0..<50).map { _ in try encoder.encode(tone.next(960)) }
    }
}

/// One 20 ms timer per event loop for all its browsers (not one per call).
actor Pacer {
    private var tickers: [ObjectIdentifier: Ticker] = [:]

    func add(_ browser: SimulatedBrowser) async {
        let key = ObjectIdentifier(browser.loop)
        let ticker: Ticker
        if let known = tickers[key] {
            ticker = known
        } else {
            ticker = Ticker()
            tickers[key] = ticker
            browser.loop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { _ in
                let now = SimulatedBrowser.now()
                for b in ticker.browsers { b.tick(now: now) }
            }
        }
        try? await browser.loop.submit { ticker.browsers.append(browser) }.get()
    }

    /// The browsers one loop's timer ticks; touched only on that loop.
    final class Ticker: @unchecked Sendable { var browsers: [SimulatedBrowser] = [] }
}

/// A line to standard output at once (a row as soon as it is measured, through a pipe too).
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `body` for every browser on its own loop, one hop per loop (a busy loop delays them all alike).
func onTheirLoops(_ browsers: [SimulatedBrowser], _ body: @escaping @Sendable (SimulatedBrowser, UInt64) -> Void) async {
    var byLoop: [ObjectIdentifier: (EventLoop, [SimulatedBrowser])] = [:]
    for b in browsers { byLoop[ObjectIdentifier(b.loop), default: (b.loop, [])].1.append(b) }
    for (loop, list) in byLoop.values {
        try? await loop.submit {
            let now = SimulatedBrowser.now()
            for b in list { body(b, now) }
        }.get()
    }
}
