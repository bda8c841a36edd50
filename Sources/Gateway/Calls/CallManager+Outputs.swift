import GatewayCore
import Logging
import MediaCore
import MediaTypes
import NIOCore
import SDP
import ShellSupport
import SignalingProtocol
import SIP
import SIPEndpoint

/// The media of one call as the shell holds it: the browser leg once open,
/// and the SIP leg's sockets.
struct CallMedia {
    var leg: BrowserLeg?
    var sip: SIPMediaLeg?
}

extension CallManager {
    /// Carries out one of the model's decisions for the browsers' side (the
    /// user agent's core has consumed those for SIP).
    func carryOut(_ output: CallModel.Output) {
        switch output {
        case .signal(let session, .ended(let call, let code, let reason, let cause, nil)):
            let quality = endedQuality[call].map(\.object)
            clients[session]?.send(.ended(call: call, code: code, reason: reason, cause: cause, quality: quality))
        case .signal(let session, let event):
            clients[session]?.send(event)
        case .sessionEnded(let id, let closeTransport):
            guard let session = clients.removeValue(forKey: id) else { break }
            session.closed = true
            if closeTransport { session.transport.close() }
        case .refused(let reason):
            refusals.count(reason)
        case .log(let level, let line, let about):
            logger.log(level: level == .warning ? .warning : .info, "\(line)", metadata: about?.metadata ?? [:])
        case .openSIPMedia(let call, let port):
            media[call, default: CallMedia()].sip = SIPMediaLeg(loop: group.next(), host: mediaBindIP, port: port,
                                                                 ports: ports, logger: logger)
        case .openBrowserLeg(let call, let sdp, let sipSide, let direction):
            openBrowserLeg(call, sdp, sipSide: sipSide, direction: direction)
        case .configureSIPSide(let call, let side):
            guard let callMedia = media[call] else { break }
            callMedia.sip?.setRemote(host: side.remoteHost, port: side.remotePort, rtcpMux: side.rtcpMux)
            callMedia.leg?.configureOtherLeg(side.leg, direction: side.direction)
            if let keys = side.sdes { callMedia.leg?.setOtherLegSRTP(keys) }
        case .closeMedia(let call):
            guard let callMedia = media.removeValue(forKey: call) else { break }
            if let leg = callMedia.leg, let status = factory.registry.status(leg.id) {
                endedQuality[call] = CallQualityReport(status)
            }
            callMedia.leg?.close()
            if let sipMedia = callMedia.sip { sipMedia.loop.execute { sipMedia.detach() } }
        case .callEnded(let record, let about):
            metrics?.callEnded(record)
            if let quality = endedQuality.removeValue(forKey: about.call) {
                metrics?.callQuality(quality)
                logger.info("call \(about.call) quality: \(quality.line)", metadata: about.metadata)
            }
        case .mediaSettled(let call):
            logMedia(call)
        case .reportStats(let call, let session):
            reportStats(call, to: session)
        case .respond, .place, .sendPlaced, .placedCallHungUp, .sendInDialog, .write, .resend, .register, .unregister, .forgetRegistration:
            break   // SIP: never handed out by the user agent's core
        }
    }

    /// Opens a call's browser leg from the browser's offer or its answer to ours
    /// (in place of the one it has, for an offer on a new peer connection); its
    /// media events go to the model.
    private func openBrowserLeg(_ call: String, _ sdp: BrowserLegSDP, sipSide: MediaBridge.LegSettings,
                                direction: MediaDirection) {
        guard let sipMedia = media[call]?.sip else { return }
        var legSettings = BrowserLegFactory.Settings(mediaIP: mediaBindIP, advertisedIP: browserMediaIP)
        legSettings.codecs = model.settings.browserCodecs
        legSettings.opusComplexity = opusComplexity
        let loop = self.loop
        let manager = NIOLoopBound(self, eventLoop: loop)
        factory.open(sdp, settings: legSettings, other: sipSide, on: sipMedia.loop, otherLeg: { _ in sipMedia },
                     onEnd: { leg, ending in loop.execute { manager.value.browserLegEnded(call, leg: leg, ending) } })
            .hop(to: loop)
            .whenComplete { result in
                let now = SIPService.now()
                switch result {
                case .success(let leg):
                    guard self.media[call] != nil else { return leg.close() }   // the call ended meanwhile
                    self.media[call]?.leg?.close()      // replaced: closed by us, it reports no end
                    self.media[call]?.leg = leg
                    if direction != .sendrecv { leg.configureOtherLeg(nil, direction: direction) }
                    self.logger.info("call \(call): browser leg \(leg.id) \(leg.agreed.codec.encodingName)")
                    self.model.browserLegOpened(call: call, answer: leg.answer.text, now: now)
                case .failure(let error):
                    self.metrics?.browserLegFailed(stage: "open", cause: "offer")
                    self.model.browserLegFailed(call: call, reason: "\(error)", now: now)
                }
                self.drive()
            }
    }

    private func browserLegEnded(_ call: String, leg: String, _ ending: BrowserLegEnding) {
        guard media[call]?.leg?.id == leg else { return }   // a leg replaced meanwhile: its end is not the call's
        media[call]?.leg = nil    // it is closed already: only the SIP leg's sockets are left to close
        if case .lost(let loss, _) = ending { metrics?.browserLegFailed(stage: "lost", cause: loss.rawValue) }
        model.browserLegEnded(call: call, ending, now: SIPService.now())
        drive()
    }

    /// A call's media statistics, from its browser leg's bridge, to the session that asked.
    private func reportStats(_ call: String, to session: String) {
        let quality = media[call]?.leg.flatMap { factory.registry.status($0.id) }
            .map { CallQualityReport($0).object }
        let stats: EventLoopFuture<[String: JSONValue]> = media[call]?.leg?.mediaSummary().map { m in
            var statistics: [String: JSONValue] = [
                "relaying": .bool(m.relaying), "packetsFromBrowser": .integer(Int(clamping: m.fromBrowser)),
                "packetsToBrowser": .integer(Int(clamping: m.toBrowser)), "packetsFromSIP": .integer(Int(clamping: m.fromSIP)),
                "packetsToSIP": .integer(Int(clamping: m.toSIP))]
            if let quality { statistics["quality"] = .object(quality) }
            return statistics
        } ?? loop.makeSucceededFuture([:])
        stats.hop(to: loop).whenSuccess { [weak self] statistics in
            self?.clients[session]?.send(.stats(call: call, statistics: statistics))
        }
    }

    /// Says in the log whether the bridge relays or transcodes the call (once the legs are set).
    private func logMedia(_ call: String) {
        guard let leg = media[call]?.leg else { return }
        let logger = self.logger, codec = leg.agreed.codec.encodingName, metrics = self.metrics
        leg.mediaSummary().whenSuccess { media in
            metrics?.mediaSettled(relaying: media.relaying)
            logger.info("call \(call) media: \(media.relaying ? "relay" : "transcode"), browser leg \(codec)")
        }
    }
}

extension MediaPortPool: MediaPortAllocator {}

extension CallModel.CallContext {
    /// The log's metadata for a line about the call.
    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["call": "\(call)", "user": "\(user)"]
        if let sipCallID { metadata["sip_call_id"] = "\(sipCallID)" }
        return metadata
    }
}
