import SIP
import SIPEndpoint

/// What the call model asks of the user agent's dialogs: it opens, answers
/// and closes them through these, and never touches the tables behind.
extension UserAgent {
    /// Places `call`: its INVITE goes out now, and the user agent keeps the call until it ends.
    func place(_ call: OutgoingCall) {
        outgoing[call.callID] = call
        sendOutgoing(call.invite, for: call)
        service.afterWork()
    }

    /// The far end's BYE ended a call we placed (the BYE is answered).
    func placedCallHungUp(_ call: OutgoingCall) {
        call.remoteHungUp()
        endOutgoing(call.callID)
        reschedule(placedCall: call.callID)
    }

    /// A dialog for an INVITE we are about to answer with `localTag`; nil at the dialog table's bound.
    func openDialog(_ invite: SIPRequest, from peer: SIPPeer, localTag: String) -> Dialog? {
        service.calls.open(invite, from: peer, localTag: localTag)
    }

    /// Our 2xx to an INVITE or re-INVITE in an answered dialog: sent again until its ACK.
    func sent2xx(_ response: SIPResponse, dialogID: String) {
        service.calls.sent2xx(response, dialogID: dialogID, now: SIPService.now())
    }

    /// Our 2xx to the far end's re-INVITE in a call we placed: sent again until its ACK.
    func sent2xx(_ response: SIPResponse, placed call: OutgoingCall) {
        guard let dialog = call.dialog else { return }
        service.calls.sent2xx(response, in: dialog, peer: nextHop(for: call), now: SIPService.now())
    }

    func closeDialog(_ id: String) { service.calls.close(id) }

    /// For the status route: calls placed and not ended, registrations kept, dialogs answered.
    var counts: (placedCalls: Int, registrations: Int, dialogs: Int) {
        (outgoing.values.filter { if case .ended = $0.state { false } else { true } }.count, registrations.count,
         service.calls.calls.count)
    }
}
