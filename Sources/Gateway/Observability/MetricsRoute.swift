import Foundation
import GatewayCore
import HTTPEdge
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import ShellSupport
import SIP

/// GET /metrics: the Prometheus text exposition. The gauges are read from the
/// cores on the user agent's loop when the scrape comes; counts kept
/// elsewhere as totals (refusals, browser-leg packets) become counters here.
struct MetricsRoute: Sendable {
    let metrics: GatewayMetrics
    let ua: UserAgent
    let manager: CallManager
    let ports: MediaPortPool
    let registry: SessionRegistry
    /// The totals already counted into the counters, by series.
    private let counted = NIOLockedValueBox<[String: Int]>([:])

    init(metrics: GatewayMetrics, ua: UserAgent, manager: CallManager, ports: MediaPortPool, registry: SessionRegistry) {
        self.metrics = metrics
        self.ua = ua
        self.manager = manager
        self.ports = ports
        self.registry = registry
    }

    func handle(_ request: RouteRequest, on loop: EventLoop) -> EventLoopFuture<RouteResponse>? {
        guard request.method == .GET, request.path == "/metrics" else { return nil }
        let ua = self.ua, manager = self.manager
        return ua.loop.submit { () -> RouteResponse in
            self.gauges(ua: ua, model: manager.model)
            self.totals()
            return RouteResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: self.metrics.registry.emitToBuffer())
        }
    }

    private func gauge(_ name: String, _ labels: [(String, String)] = [], help: String, _ value: Int) {
        metrics.registry.gauge(name, labels: labels, help: help).set(Double(value))
    }

    private func gauges(ua: UserAgent, model: CallModel) {
        gauge("gateway_sessions", help: "Signaling sessions open (WebSocket and long-poll)", model.sessions.count)
        gauge("gateway_signed_in_users", help: "Users signed in", model.sessions.signedInUsers)
        var phases = Dictionary(uniqueKeysWithValues: Call.Phase.names.map { ($0, 0) })
        for call in model.allCalls { phases[call.phase.name, default: 0] += 1 }
        for (phase, count) in phases {
            gauge("gateway_calls", [("state", phase)], help: "Calls now, by state", count)
        }
        var states = Dictionary(uniqueKeysWithValues: RegistrationClient.State.names.map { ($0, 0) })
        for (_, state) in ua.core.registrations.states { states[state.name, default: 0] += 1 }
        for (state, count) in states {
            gauge("gateway_registrations", [("state", state)], help: "Users the gateway keeps registered on the SIP server, by state", count)
        }
        gauge("gateway_sip_dialogs", help: "SIP dialogs of calls the user agent answered", ua.counts.dialogs)
        gauge("gateway_media_ports_free", help: "Media ports free for new call legs", ports.freeCount)
        gauge("gateway_ready", help: "1 when /readyz answers ready", ua.core.isReady ? 1 : 0)
        gauge("gateway_draining", help: "1 once a drain has begun", model.isDraining ? 1 : 0)
        if ua.core.probe.isOn {
            gauge("gateway_sip_server_reachable", help: "1 when the SIP server answered the last OPTIONS probe",
                  ua.core.probe.reachable == true ? 1 : 0)
        }
    }

    /// Totals counted elsewhere, added to their counters by what grew since the last scrape.
    private func totals() {
        var series: [(key: String, name: String, labels: [(String, String)], help: String, total: Int)] = [
            ("packets", "gateway_browser_leg_packets_total", [], "Packets the browser legs took (SRTP and STUN)",
             Int(clamping: registry.browserPackets)),
            ("retransmissions", "gateway_sip_retransmissions_total", [],
             "SIP requests and responses the user agent sent again (RFC 3261 timers A, E, G)",
             Int(clamping: ua.service.transactions.retransmissions)),
        ]
        for (reason, count) in manager.refusals.snapshot {
            series.append(("refused " + reason, "gateway_refusals_total", [("reason", reason)],
                           "What the gateway refused at one of its limits, by reason", count))
        }
        counted.withLockedValue { counted in
            for s in series {
                let grown = s.total - counted[s.key, default: 0]
                let counter = metrics.registry.counter(s.name, labels: s.labels, help: s.help)
                if grown > 0 { counter.increment(by: Int64(grown)) }
                counted[s.key] = s.total
            }
        }
    }
}

extension Call.Phase {
    /// Every phase's name, as the `state` label says it.
    static let names = ["offering", "calling", "ringing", "answering", "awaiting-ack", "answered", "held"]

    var name: String {
        switch self {
        case .offering: "offering"
        case .calling: "calling"
        case .ringing: "ringing"
        case .answering: "answering"
        case .awaitingAnswerInACK: "awaiting-ack"
        case .answered(let hold): hold.byBrowser || hold.byPeer ? "held" : "answered"
        case .ended: "ended"
        }
    }
}

extension RegistrationClient.State {
    static let names = ["idle", "registering", "registered", "failed", "unregistered"]

    var name: String {
        switch self {
        case .idle: "idle"
        case .registering: "registering"
        case .registered: "registered"
        case .failed: "failed"
        case .unregistered: "unregistered"
        }
    }
}
