import Identifiers
import MediaTypes
import SDP

/// Our offer to a browser, for an incoming SIP call that brought an offer, to
/// a client that answers offers (the Genesys client takes `SDP ... OFFER` and
/// answers it): ICE-lite, DTLS `actpass`, the browser codecs with the SIP
/// side's codec first (so that the browser can choose a relay), on a media
/// port taken for the leg. The browser's answer opens the leg with these
/// parameters.
public struct BrowserOffer: Sendable {
    /// Where browser legs are reached and the certificate they present.
    public struct Settings: Sendable {
        /// The browser legs' address as the browser sees it (`--media-advertise`).
        public var address: String
        public var fingerprint: Fingerprint
        public init(address: String, fingerprint: Fingerprint) {
            self.address = address
            self.fingerprint = fingerprint
        }
    }

    /// Our side of the leg: port, ICE credentials, codecs, fingerprint.
    public let local: LocalAudioParameters
    public let sdp: SessionDescription

    init(port: UInt16, codecs: [AudioCodec], settings: Settings) {
        var local = LocalAudioParameters(address: settings.address, port: port, codecs: codecs, ssrc: Random.ssrc(),
                                         cname: Random.token(16), sessionID: Random.digits(18))
        local.ice = (Random.token(8), Random.token(24))
        local.dtls = (settings.fingerprint, .actpass)
        local.candidates = [.host(settings.address, port: port)]
        self.local = local
        sdp = AudioNegotiation.offer(local: local)
    }

    /// The browser codecs with `first` (the SIP side's) in front when the browser may use it.
    static func codecs(_ browserCodecs: [AudioCodec], first: AudioCodec) -> [AudioCodec] {
        browserCodecs.contains(first) ? [first] + browserCodecs.filter { $0 != first } : browserCodecs
    }
}

/// What a browser leg opens from: the browser's offer (we answer), or the
/// browser's answer to our offer.
public enum BrowserLegSDP: Sendable {
    case offer(SessionDescription)
    case answer(SessionDescription, to: BrowserOffer)

    /// The browser's own description (its ICE credentials and fingerprint: a later offer from another peer connection differs).
    public var browsers: SessionDescription {
        switch self {
        case .offer(let sdp), .answer(let sdp, _): sdp
        }
    }
}
