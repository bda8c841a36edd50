import MediaCore

/// The audio a simulated browser sends and what it measures of what comes
/// back. Relayed (PCMU), the payload carries a probe - a mark, its number and
/// its send time - which the echo returns untouched: loss, round trip and
/// jitter are measured per packet. Transcoded (Opus), the payload is real
/// Opus and the gateway makes new packets: loss is counted by sequence,
/// jitter from arrival against the RTP clock.
struct MediaProbe {
    enum Payload { case pcmuProbe, opus([[UInt8]]) }

    static let mark: [UInt8] = [0x47, 0x57, 0x4C, 0x44]   // "GWLD"
    let payload: Payload
    let ssrc = UInt32.random(in: 1...UInt32.max)
    private var sequence = UInt16.random(in: 0...0x7FFF)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    private var number: UInt32 = 0

    // What came back.
    private(set) var sent = 0
    private(set) var received = 0
    private(set) var firstReceivedAt: UInt64?
    private(set) var roundTrips: [Double] = []      // ms
    private(set) var jitterMs = 0.0                 // RFC 3550 §6.4.1, smoothed
    private var lastTransit: Double?
    private var highestSequence: UInt16?
    private var sequenceCycles = 0
    private var baseSequence: Int?
    private var windowStart: UInt32 = 0
    private var highestNumber: UInt32?

    init(payload: Payload) { self.payload = payload }

    var payloadType: UInt8 { if case .opus = payload { 111 } else { 0 } }

    /// The next 20 ms packet (RTP, not yet protected).
    mutating func next(now: UInt64) -> [UInt8] {
        defer {
            sequence &+= 1
            number &+= 1
            sent += 1
        }
        let body: [UInt8]
        switch payload {
        case .pcmuProbe:
            timestamp &+= 160
            body = Self.mark + number.bigEndianBytes + now.bigEndianBytes + [UInt8](repeating: 0xFF, count: 144)
        case .opus(let frames):
            timestamp &+= 960
            body = frames[Int(number % UInt32(frames.count))]
        }
        return RTPPacket(payloadType: payloadType, sequence: sequence, timestamp: timestamp, ssrc: ssrc, payload: body).bytes
    }

    /// A packet from the gateway at `now` (µs).
    mutating func received(_ rtp: [UInt8], now: UInt64) {
        // Only the codec offered counts: a far end's other codec passed through untranscoded is loss.
        guard rtp.count >= 12, let packet = try? RTPPacket(parsing: rtp), packet.payloadType == payloadType else { return }
        received += 1
        if firstReceivedAt == nil { firstReceivedAt = now }
        let arrival = Double(now) / 1000
        switch payload {
        case .pcmuProbe:
            let p = packet.payload
            guard p.count >= 16, Array(p[0..<4]) == Self.mark else { return }
            let n = p[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let sentAt = p[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard sentAt <= now, n >= windowStart else { return }
            highestNumber = max(highestNumber ?? n, n)
            let roundTrip = Double(now - sentAt) / 1000
            roundTrips.append(roundTrip)
            note(transit: roundTrip)
        case .opus:
            note(transit: arrival - Double(packet.timestamp) / 48)
            count(packet.sequence)
        }
    }

    /// Packets expected back since the window began: probes up to the highest number seen (relayed), the
    /// gateway's sequence numbers up to the highest (transcoded).
    var expected: Int {
        switch payload {
        case .pcmuProbe:
            guard let highest = highestNumber else { return 0 }
            return Int(highest) - Int(windowStart) + 1
        case .opus:
            guard let base = baseSequence, let highest = highestSequence else { return 0 }
            return sequenceCycles * 65536 + Int(highest) - base + 1
        }
    }

    var lost: Int { max(expected - received, 0) }

    private mutating func note(transit: Double) {
        if let last = lastTransit { jitterMs += (abs(transit - last) - jitterMs) / 16 }
        lastTransit = transit
    }

    private mutating func count(_ sequence: UInt16) {
        guard let highest = highestSequence else {
            highestSequence = sequence
            baseSequence = Int(sequence)
            return
        }
        let delta = sequence &- highest
        if delta != 0, delta < 0x8000 {
            if sequence < highest { sequenceCycles += 1 }
            highestSequence = sequence
        }
    }

    /// When the counters started (the measurement window), µs.
    private(set) var windowStartedAt: UInt64 = 0

    /// The counters start again (a measurement window begins at `now`); the first audio time stays.
    mutating func resetCounters(now: UInt64) {
        windowStartedAt = now
        sent = 0
        received = 0
        roundTrips.removeAll(keepingCapacity: true)
        baseSequence = nil
        highestSequence = nil
        sequenceCycles = 0
        windowStart = number
        highestNumber = nil
    }
}

extension FixedWidthInteger {
    var bigEndianBytes: [UInt8] { withUnsafeBytes(of: bigEndian) { Array($0) } }
}
