import SDP
import SIP
import SIPEndpoint

/// One call of a signed-in browser user: its browser leg, its SIP side, and
/// where it stands. Confined to the SIP service's event loop.
final class BrowserCall: @unchecked Sendable {
    enum Direction: String { case outgoing, incoming }
    enum State: String { case starting, ringing, answered, ended }

    let id: String
    let session: ClientSession
    /// The signed-in user whose call it is.
    let user: String
    let direction: Direction
    /// The other party: the dialled number, or the caller.
    let peer: String
    var state: State = .starting
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
    /// Our offer went in the 200 of a delayed-offer INVITE: its ACK brings the answer.
    var answerInACK = false
    var dialog: Dialog?
    var sipPeer: SIPPeer?
    var localTag: String?
    var heldByBrowser = false
    /// A hold (true) or resume (false) re-INVITE of ours in flight.
    var pendingHold: Bool?
    var heldByPeer = false
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
    }

    var dialogID: String? { placed?.dialog?.id ?? dialog?.id }
    /// The SIP call's Call-ID: the one we placed, or the INVITE's.
    var sipCallID: String? { placed?.callID ?? dialog?.callID }

    func owns(_ r: SIPRequest) -> Bool {
        if let d = placed?.dialog { return d.matches(r) }
        return dialog?.matches(r) ?? false
    }
}
