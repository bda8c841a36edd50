import SDP
import SIP

/// One call of a signed-in browser user: where it stands (`phase`), its SIP
/// side (the call we placed, or the INVITE we answer and its dialog) and what
/// the SIP leg's media agreed. Its browser leg and media sockets are the
/// shell's, named by the call's id.
public final class Call {
    public enum Direction: String, Sendable { case outgoing, incoming }

    /// Where a call stands; each phase belongs to one direction but `answered` and `ended`.
    public enum Phase: Equatable, Sendable {
        /// Outgoing: the browser leg opens; the INVITE goes once it has.
        case offering
        /// Outgoing: the INVITE is out (provisional answers, early media).
        case calling
        /// Incoming: ringing at the browser.
        case ringing
        /// Incoming: the browser answered; its leg opens, then our 200 goes.
        case answering
        /// Incoming with a delayed offer: our 200 carried our offer, the ACK brings the answer.
        /// Up as far as SIP goes (a BYE ends it).
        case awaitingAnswerInACK
        case answered(Hold)
        case ended
    }

    /// Who holds an answered call, and our re-INVITE in flight: a hold (true) or resume (false).
    public struct Hold: Equatable, Sendable {
        public var byBrowser = false
        public var byPeer = false
        public var pending: Bool?

        public init(byBrowser: Bool = false, byPeer: Bool = false, pending: Bool? = nil) {
            self.byBrowser = byBrowser
            self.byPeer = byPeer
            self.pending = pending
        }
    }

    public let id: String
    /// The client session the call belongs to.
    public let session: String
    /// The signed-in user whose call it is.
    public let user: String
    public let direction: Direction
    /// The other party: the dialled number, or the caller.
    public let peer: String
    public internal(set) var phase: Phase
    public let startedAt: UInt64
    /// When the call was answered (nil: it never was).
    public internal(set) var answeredAt: UInt64?
    /// The shell has opened the browser leg (its answer went to the browser).
    var browserLegOpen = false
    /// The browser's description the leg was opened from (its offer, or its answer to ours), and our
    /// latest answer-shaped description (for its re-offers).
    var browserOffer: SessionDescription?
    var browserAnswer: SessionDescription?
    var sipMedia: SIPLegMedia
    /// Outgoing: the SIP call placed for the browser.
    var placed: OutgoingCall?
    /// Incoming: the INVITE's transaction, its offer, and the dialog once answered.
    var inviteKey: TransactionKey?
    var invite: SIPRequest?
    /// The INVITE's offer; nil for a delayed offer (an INVITE without SDP).
    var sipOffer: (SessionDescription, NegotiatedAudio)?
    var dialog: Dialog?
    var sipPeer: SIPPeer?
    var localTag: String?
    /// Leg B of the bridge as last set from the SIP side's SDP: a browser leg that replaces another is set the same way.
    var sipSide: CallModel.SIPSideConfiguration?
    /// The SIP peer has no telephone-event: DTMF goes as SIP INFO.
    var dtmfByInfo = false
    /// Outgoing: the browser's data for the INVITE, as headers.
    var attachedHeaders: [(String, String)] = []
    /// Incoming: our offer to the browser (for a client that answers offers), and
    /// whether its leg was opened with it (its port is then the leg's).
    var ourOffer: BrowserOffer?
    var ourOfferOpened = false

    init(id: String, session: String, user: String, direction: Direction, peer: String, sipMedia: SIPLegMedia, now: UInt64) {
        self.id = id
        self.session = session
        self.user = user
        self.direction = direction
        self.peer = peer
        self.sipMedia = sipMedia
        startedAt = now
        phase = direction == .outgoing ? .offering : .ringing
    }

    public var isEnded: Bool { phase == .ended }

    /// Up as far as SIP goes: answered, or answered with our offer and waiting for the ACK's answer.
    public var isUp: Bool {
        if case .answered = phase { return true }
        return phase == .awaitingAnswerInACK
    }

    /// The hold state of an answered call (nil before).
    public var hold: Hold? {
        if case .answered(let hold) = phase { return hold }
        return nil
    }

    /// Rings at the browser or waits for the far end: the ring timeout applies.
    var isRinging: Bool { [.offering, .calling, .ringing].contains(phase) }

    /// Changes the hold state of an answered call (nothing before).
    func updateHold(_ change: (inout Hold) -> Void) {
        guard case .answered(var hold) = phase else { return }
        change(&hold)
        phase = .answered(hold)
    }

    var dialogID: String? { placed?.dialog?.id ?? dialog?.id }
    /// The SIP call's Call-ID: the one we placed, or the INVITE's.
    var sipCallID: String? { placed?.callID ?? dialog?.callID }

    func owns(_ r: SIPRequest) -> Bool {
        if let d = placed?.dialog { return d.matches(r) }
        return dialog?.matches(r) ?? false
    }
}
