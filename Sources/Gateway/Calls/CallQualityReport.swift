import MediaCore
import SignalingProtocol

/// A call's media quality as the page, the log and the metrics see it: for
/// each leg, how the stream from it arrived (as last published by the leg,
/// every half second).
struct CallQualityReport {
    var browser: LegQuality?
    var sip: LegQuality?
    /// Microseconds from the browser leg's offer to the first audio sent to the browser; nil when none was.
    var timeToFirstAudio: UInt64?

    /// As the browser leg last published it.
    init(_ status: SessionStatus) {
        browser = status.browserQuality
        sip = status.sipQuality
        timeToFirstAudio = status.offerToFirstSRTPUs
    }

    var object: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        if let browser { out["browser"] = .object(Self.object(browser)) }
        if let sip { out["sip"] = .object(Self.object(sip)) }
        return out
    }

    /// One line for the log: `browser leg MOS 4.40, loss 0.0 %, jitter 1.2 ms, rtt 0.4 ms; SIP leg ...`.
    var line: String {
        [("browser", browser), ("SIP", sip)].compactMap { name, leg in
            leg.map { "\(name) leg \(Self.text($0))" }
        }.joined(separator: "; ")
    }

    private static func rounded(_ value: Double, _ places: Double = 100) -> Double { (value * places).rounded() / places }

    private static func object(_ leg: LegQuality) -> [String: JSONValue] {
        var out: [String: JSONValue] = [
            "packetsReceived": .integer(Int(clamping: leg.packetsReceived)), "packetsSent": .integer(Int(clamping: leg.packetsSent)),
            "lost": .integer(Int(clamping: leg.lost)), "lossPercent": .number(rounded(leg.lossPercent)),
            "jitterMs": .number(rounded(Double(leg.jitterMicros) / 1000)),
            "concealedFrames": .integer(Int(clamping: leg.concealedFrames)),
        ]
        if let rtt = leg.roundTripMicros { out["rttMs"] = .number(rounded(Double(rtt) / 1000)) }
        if let mos = leg.mos { out["mos"] = .number(rounded(mos)) }
        return out
    }

    private static func text(_ leg: LegQuality) -> String {
        let mos = leg.mos.map { "MOS \(rounded($0))" } ?? "no media"
        let rtt = leg.roundTripMicros.map { ", rtt \(rounded(Double($0) / 1000, 10)) ms" } ?? ""
        return "\(mos), loss \(rounded(leg.lossPercent, 10)) %, jitter \(rounded(Double(leg.jitterMicros) / 1000, 10)) ms\(rtt)"
    }
}
