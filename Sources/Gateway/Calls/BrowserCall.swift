import SDP
import SIP
import SIPEndpoint

/// One call of a signed-in browser user: its browser leg, its SIP side, and
/// where it stands (`phase`). Confined to the SIP service's event loop.
final class BrowserCall: @unchecked Sendable {
    enum Direction: String { case outgoing, incoming }

    /// Where a call stands; each phase belongs to one direction but `answered` and `ended`.
    enum Phase: Equatable {
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
    struct Hold: Equatable {
        var byBrowser = false
        var byPeer = false
        var pending: Bool?
    }

    let id: String
    let session: ClientSession
    /// The signed-in user whose call it is.
    let user: String
    let direction: Direction
    /// The other party: the dialled number, or the caller.
    let peer: String
    var phase: Phase
    var leg: BrowserLeg?
    var media: SIPMediaLeg?
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
    /// The SIP peer has no telephone-event: DTMF goes as SIP INFO.
    var dtmfByInfo = false
    let startedAt = SIPService.now()

    init(id: String, session: ClientSession, user: String, direction: Direction, peer: String, sipMedia: SIPLegMedia) {
        self.id = id
        self.session = session
        self.user = user
        self.direction = direction
        self.peer = peer
        self.sipMedia = sipMedia
        phase = direction == .outgoing ? .offering : .ringing
    }

    var isEnded: Bool { phase == .ended }

    /// Up as far as SIP goes: answered, or answered with our offer and waiting for the ACK's answer.
    var isUp: Bool {
        if case .answered = phase { return true }
        return phase == .awaitingAnswerInACK
    }

    /// The hold state of an answered call (nil before).
    var hold: Hold? {
        if case .answered(let hold) = phase { return hold }
        return nil
    }

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
