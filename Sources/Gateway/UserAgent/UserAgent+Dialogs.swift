import SIP
import SIPEndpoint

/// What the call model asks of the user agent's placed calls: it places
/// them, sends their requests and reports a far-end BYE through these, and
/// never touches the tables behind.
extension UserAgent {
    /// Places `call`: its INVITE goes out now, and the user agent keeps the call until it ends.
    func place(_ call: OutgoingCall) {
        placed.place(call, now: SIPService.now())
        sendPlacedCalls()
    }

    /// A request of a placed call (CANCEL, BYE, re-INVITE, INFO).
    func send(_ request: SIPRequest, for call: OutgoingCall) {
        placed.send(request, for: call.callID, now: SIPService.now())
        sendPlacedCalls()
    }

    /// The far end's BYE ended a call we placed (the BYE is answered).
    func placedCallHungUp(_ call: OutgoingCall) {
        placed.hungUpByPeer(call.callID, now: SIPService.now())
        sendPlacedCalls()
    }

    /// For the status route: calls placed and not ended, registrations kept, dialogs answered.
    var counts: (placedCalls: Int, registrations: Int, dialogs: Int) {
        (placed.activeCount, registrations.count, service.calls.calls.count)
    }
}
