import CGatewayMedia
import MediaCore
import SDP

/// The browser leg of one call as a sans-IO core: ICE-lite answers checks,
/// DTLS runs over the nominated path, its keys go into the media bridge, and
/// RTP/RTCP flow only to the address ICE selected. One UDP port carries
/// everything (BUNDLE + rtcp-mux), told apart by first byte (RFC 7983).
public final class BrowserMediaSession {
    public enum Output: Equatable {
        /// A datagram for the browser.
        case toBrowser(TransportAddress, [UInt8])
        /// A datagram the bridge sends on its other leg (the SIP side).
        case toOtherLeg([UInt8], isRTCP: Bool)
    }

    /// Which part of the media setup failed.
    public enum Failure: String, Equatable, Sendable {
        /// No candidate pair was nominated in time.
        case ice
        /// The handshake failed, did not end in time, or its SRTP keys were refused.
        case dtls
    }

    public enum Event: Equatable, Sendable {
        case selected(TransportAddress)
        case connected(profile: Int32)
        case failed(Failure, String)
        case consentExpired
        case closed
        /// Something refused on the way, worth a log line.
        case refused(String)
    }

    public private(set) var ice: ICELiteAgent
    /// nil when the keys came from SDES (a=crypto) instead of a handshake.
    public let dtls: DTLSEndpoint?
    public let bridge: MediaBridge
    public private(set) var events: [Event] = []
    public private(set) var isConnected = false
    private var failed = false
    /// Until ICE has a path and (with DTLS) the handshake is done: past it the
    /// leg fails, so that an offer nobody follows up holds no port for long.
    public private(set) var setupDeadline: UInt64?
    let browserLeg = GWM_LEG_A

    /// `bridge` must have been created with `require_srtp` on leg A; with
    /// SDES its keys are already set. `setupDeadline`: when the leg must be
    /// up by (nil: no limit).
    public init(ice: ICELiteAgent, dtls: DTLSEndpoint?, bridge: MediaBridge, setupDeadline: UInt64? = nil) {
        self.ice = ice
        self.dtls = dtls
        self.bridge = bridge
        self.setupDeadline = setupDeadline
    }

    /// ICE selected a path and, with DTLS, the keys are in place.
    private var isSetUp: Bool { ice.selected != nil && (dtls == nil || isConnected) }

    /// Events since the last call.
    public func takeEvents() -> [Event] {
        defer { events = [] }
        return events
    }

    public func handle(_ datagram: [UInt8], from: TransportAddress, now: UInt64) -> [Output] {
        guard !failed else { return [] }
        var out: [Output] = []
        switch gwm_packet_classify(datagram, datagram.count) {
        case GWM_PACKET_STUN:
            let (response, iceEvents) = ice.handle(stun: datagram, from: from, now: now)
            if let response { out.append(.toBrowser(from, response)) }
            for e in iceEvents { out += apply(e, now: now) }
        case GWM_PACKET_DTLS:
            guard let dtls, ice.isValidated(from) else {
                events.append(.refused("DTLS from \(from) without a connectivity check or a DTLS setup"))
                return []
            }
            // Answered at once, whatever the other leg is doing: the peer's
            // handshake timer is running.
            out += dtls.handle(datagram, now: now).map { .toBrowser(from, $0) }
            out += checkDTLS()
        case GWM_PACKET_RTP, GWM_PACKET_RTCP:
            guard ice.isValidated(from) else { return [] }
            do { try bridge.receive(datagram, on: browserLeg, now: now) } catch {
                // Counted in the bridge's statistics; a bad packet changes nothing.
            }
        default:
            events.append(.refused("unclassifiable datagram from \(from)"))
        }
        return out + drainBridge(now: now)
    }

    /// The per-packet path for RTP and RTCP from the browser: read in place, and
    /// what the bridge then sends handed to `send` (the browser, with the
    /// ICE-selected address) or `other` (the other leg) without copies.
    /// Returns false when the datagram is not media (use `handle` then).
    public func receiveMedia(_ datagram: UnsafeRawBufferPointer, from: TransportAddress, now: UInt64,
                             send: (TransportAddress, UnsafeRawBufferPointer) -> Void,
                             other: (UnsafeRawBufferPointer, Bool) -> Void) -> Bool {
        guard let first = datagram.first, first >= 128, first < 192 else { return false }
        guard !failed, ice.isValidated(from) else { return true }
        do { try bridge.receive(datagram, on: browserLeg, now: now) } catch {
            // Counted in the bridge's statistics; a bad packet changes nothing.
        }
        drainBridge(now: now, send: send, other: other)
        return true
    }

    /// The per-packet path from the other leg toward the browser; true when
    /// the bridge took the packet (valid RTP/RTCP, and authenticated when SRTP).
    @discardableResult
    public func receiveFromOtherLeg(_ datagram: UnsafeRawBufferPointer, now: UInt64,
                                    send: (TransportAddress, UnsafeRawBufferPointer) -> Void,
                                    other: (UnsafeRawBufferPointer, Bool) -> Void) -> Bool {
        var accepted = true
        do { try bridge.receive(datagram, on: GWM_LEG_B, now: now) } catch { accepted = false }
        drainBridge(now: now, send: send, other: other)
        return accepted
    }

    /// What the bridge has due, handed out in place.
    public func drainBridge(now: UInt64, send: (TransportAddress, UnsafeRawBufferPointer) -> Void,
                            other: (UnsafeRawBufferPointer, Bool) -> Void) {
        let selected = ice.selected
        bridge.drain(now: now) { leg, isRTCP, bytes in
            if leg == browserLeg {
                if let selected { send(selected, bytes) } // never to the SDP's c= line
            } else {
                other(bytes, isRTCP)
            }
        }
    }

    /// A datagram from the other leg, to be bridged toward the browser.
    public func receiveFromOtherLeg(_ datagram: [UInt8], now: UInt64) -> [Output] {
        do { try bridge.receive(datagram, on: GWM_LEG_B, now: now) } catch {}
        return drainBridge(now: now)
    }

    /// The timers of ICE and DTLS only (the bridge's are drained separately, in place).
    public func pollControl(now: UInt64) -> [Output] {
        guard !failed else { return [] }
        if let deadline = setupDeadline {
            if isSetUp {
                setupDeadline = nil
            } else if now >= deadline {
                if ice.selected == nil {
                    fail(.ice, "media setup did not complete in time: no ICE check nominated a path")
                } else {
                    fail(.dtls, "media setup did not complete in time: ICE done, DTLS not")
                }
                return []
            }
        }
        var out: [Output] = []
        for e in ice.poll(now: now) { out += apply(e, now: now) }
        if let to = ice.selected, let dtls { out += dtls.poll(now: now).map { .toBrowser(to, $0) } }
        out += checkDTLS()
        return out
    }

    public var nextTimeout: UInt64? {
        guard !failed else { return nil }
        // Asked after every media packet: compared in place, no array.
        let bridgeDue = bridge.nextTimeout == .max ? nil : bridge.nextTimeout
        return earliest(earliest(earliest(ice.nextTimeout, dtls?.nextTimeout), bridgeDue), setupDeadline)
    }

    private func earliest(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        guard let a else { return b }
        guard let b else { return a }
        return min(a, b)
    }

    private func apply(_ event: ICELiteAgent.Event, now: UInt64) -> [Output] {
        switch event {
        case .selected(let address):
            events.append(.selected(address))
            // A DTLS client starts once it has a path; a server waits for the ClientHello.
            return dtls?.start(now: now).map { .toBrowser(address, $0) } ?? []
        case .consentExpired:
            events.append(.consentExpired)
            return []
        case .refused(let from, let why):
            events.append(.refused("ICE check from \(from) refused: \(why)"))
            return []
        }
    }

    private func checkDTLS() -> [Output] {
        guard let dtls else { return [] }
        switch dtls.state {
        case .connected(let keys) where !isConnected:
            isConnected = true
            do {
                try bridge.setSRTP(gwm_srtp_profile(UInt32(keys.profile)), on: browserLeg,
                                   sendKey: keys.sendKey, receiveKey: keys.receiveKey)
                events.append(.connected(profile: keys.profile))
            } catch {
                fail(.dtls, "SRTP keys from DTLS were refused: \(error)")
            }
        case .failed(let reason):
            fail(.dtls, "DTLS failed: \(reason)")
        case .closed where isConnected:
            isConnected = false
            events.append(.closed)
        default:
            break
        }
        return []
    }

    private func fail(_ failure: Failure, _ reason: String) {
        guard !failed else { return }
        failed = true
        events.append(.failed(failure, reason))
    }

    private func drainBridge(now: UInt64) -> [Output] {
        bridge.poll(now: now).compactMap { packet in
            if packet.leg == browserLeg {
                guard let to = ice.selected else { return nil } // never to the SDP's c= line
                return .toBrowser(to, packet.bytes)
            }
            return .toOtherLeg(packet.bytes, isRTCP: packet.isRTCP)
        }
    }
}
