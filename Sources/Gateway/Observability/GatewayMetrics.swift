import GatewayCore
import Prometheus
import SIP
import SignalingProtocol

/// The gateway's Prometheus metrics (GET /metrics). Label values come from
/// the gateway's own vocabularies (end causes, SIP methods it knows, reasons
/// it refuses for), never from what a peer wrote, so the series stay few.
/// Counters and histograms are fed as things happen; gauges are read from the
/// cores when a scrape comes (`GatewayMetrics+Scrape`).
final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let setup: DurationHistogram
    private let talk: DurationHistogram
    private let loopDelay: DurationHistogram
    private let firstAudio: DurationHistogram

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        setup = registry.durationHistogram(
            "gateway_call_setup_seconds",
            buckets: [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
                      .seconds(5), .seconds(10), .seconds(30), .seconds(60)],
            help: "From a call's start (the browser's request, or the INVITE) to its answer")
        talk = registry.durationHistogram(
            "gateway_call_talk_seconds",
            buckets: [.seconds(5), .seconds(30), .seconds(60), .seconds(180), .seconds(600), .seconds(1800), .seconds(3600)],
            help: "From a call's answer to its end")
        firstAudio = registry.durationHistogram(
            "gateway_time_to_first_audio_seconds",
            buckets: [.milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
                      .seconds(10), .seconds(30)],
            help: "From a browser leg's offer to the first audio the gateway sent to the browser")
        loopDelay = registry.durationHistogram(
            "gateway_event_loop_delay_seconds",
            buckets: [.microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .seconds(1)],
            help: "How late the user agent's event loop ran a task scheduled for a given time (sampled every second)")
    }

    /// A call ended: counted by direction, cause and the SIP class that ended it.
    func callEnded(_ record: CallModel.CallRecord) {
        let sipClass = record.sipCode >= 100 && record.sipCode < 700 ? "\(record.sipCode / 100)xx" : "none"
        registry.counter("gateway_calls_ended_total",
                             labels: [("direction", record.direction.rawValue), ("cause", record.cause.rawValue), ("sip_class", sipClass)],
                             help: "Calls ended, by direction, the cause the page saw and the class of the SIP status that ended them")
            .increment()
        if let setup = record.setup { self.setup.record(.microseconds(Int64(clamping: setup))) }
        if let answered = record.answeredAt { talk.record(.microseconds(Int64(clamping: record.endedAt &- answered))) }
    }

    /// A SIP message the user agent sent or received, by method (requests) or status class (responses).
    func sip(_ message: SIPMessage, received: Bool) {
        let kind: (String, String) = switch message {
        case .request(let r): ("method", Self.knownMethods.contains(r.method) ? r.method.name : "other")
        case .response(let r): ("class", "\(min(max(r.statusCode / 100, 1), 6))xx")
        }
        let name = kind.0 == "method" ? "gateway_sip_requests_total" : "gateway_sip_responses_total"
        registry.counter(name, labels: [("direction", received ? "in" : "out"), kind],
                             help: kind.0 == "method" ? "SIP requests of the gateway's user agent, by direction and method"
                                 : "SIP responses of the gateway's user agent, by direction and status class")
            .increment()
    }

    func eventLoopDelay(_ late: Duration) { loopDelay.record(late) }

    /// A call's media settled: relayed (both legs share a codec) or transcoded.
    func mediaSettled(relaying: Bool) {
        registry.counter("gateway_calls_media_total", labels: [("mode", relaying ? "relay" : "transcode")],
                             help: "Calls whose media settled, relayed or transcoded").increment()
    }

    /// A browser leg that failed: it could not open (`open`, cause `offer`: a bad offer, no port), or it was
    /// lost after (`lost`, cause ice, dtls, consent or max-length).
    func browserLegFailed(stage: String, cause: String) {
        registry.counter("gateway_browser_leg_failures_total", labels: [("stage", stage), ("cause", cause)],
                             help: "Browser legs that could not open (offer), or were lost after (ice, dtls, consent, max-length)")
            .increment()
    }

    /// A call's media quality at its end, by leg kind: its MOS, and what arrived, was lost or concealed.
    func callQuality(_ report: CallQualityReport) {
        if let micros = report.timeToFirstAudio { firstAudio.record(.microseconds(Int64(clamping: micros))) }
        for (kind, leg) in [("browser", report.browser), ("sip", report.sip)] {
            guard let leg else { continue }
            let labels = [("leg", kind)]
            if let mos = leg.mos {
                registry.valueHistogram("gateway_call_mos", labels: labels, buckets: [1, 2, 3, 3.5, 4, 4.2, 4.4, 4.5],
                                            help: "Each call's estimated MOS (simplified E-model) of the stream from each leg, at its end")
                    .record(mos)
                registry.valueHistogram("gateway_call_jitter_seconds", labels: labels, buckets: Self.delayBuckets,
                                        help: "Each call's interarrival jitter (RFC 3550) of the stream from each leg, at its end")
                    .record(Double(leg.jitterMicros) / 1e6)
            }
            if let roundTrip = leg.roundTripMicros {
                registry.valueHistogram("gateway_call_round_trip_seconds", labels: labels, buckets: Self.delayBuckets,
                                        help: "Each call's round trip to each leg (from RTCP), at its end")
                    .record(Double(roundTrip) / 1e6)
            }
            for (name, value, help) in [
                ("gateway_media_packets_received_total", leg.packetsReceived, "RTP packets taken from each leg kind, of ended calls"),
                ("gateway_media_packets_sent_total", leg.packetsSent, "RTP packets sent to each leg kind, of ended calls"),
                ("gateway_media_bytes_received_total", leg.bytesReceived, "RTP payload bytes taken from each leg kind, of ended calls"),
                ("gateway_media_bytes_sent_total", leg.bytesSent, "RTP payload bytes sent to each leg kind, of ended calls"),
                ("gateway_media_packets_lost_total", leg.lost, "RTP packets of each leg kind's streams that never came, of ended calls"),
                ("gateway_media_concealed_frames_total", leg.concealedFrames, "Audio frames concealed (PLC) in each leg kind's streams"),
                ("gateway_srtp_auth_failures_total", leg.srtpAuthFailures, "Packets that failed SRTP authentication, by leg kind"),
            ] {
                registry.counter(name, labels: labels, help: help).increment(by: Int64(clamping: value))
            }
        }
    }

    private static let delayBuckets = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]
    private static let knownMethods: Set<SIPMethod> = [.invite, .ack, .bye, .cancel, .options, .info, .update, .register]
}

/// The registry's metrics by their whole name and help (its descriptor form, without splitting off the unit).
extension PrometheusCollectorRegistry {
    func counter(_ name: String, labels: [(String, String)] = [], help: String) -> Counter {
        makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func gauge(_ name: String, labels: [(String, String)] = [], help: String) -> Gauge {
        makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    func durationHistogram(_ name: String, buckets: [Duration], help: String) -> DurationHistogram {
        makeDurationHistogram(descriptor: Self.descriptor(name, help), buckets: buckets)
    }

    func valueHistogram(_ name: String, labels: [(String, String)], buckets: [Double], help: String) -> ValueHistogram {
        makeValueHistogram(descriptor: Self.descriptor(name, help), labels: labels, buckets: buckets)
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
