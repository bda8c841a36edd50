import SIP

/// The live calls by the SIP dialog they are in: a request or an ACK finds
/// its call by Call-ID (then tags), a dialog that failed by its id - no scan
/// of the calls per message. A browser-to-browser call is two calls with one
/// Call-ID (the INVITE comes back through the proxy), told apart by tags.
struct SIPCallIndex {
    private var byCallID: [String: [Call]] = [:]
    private var byDialogID: [String: Call] = [:]

    mutating func add(_ call: Call, sipCallID: String) { byCallID[sipCallID, default: []].append(call) }

    /// The call's dialog is known (at its INVITE, or at the 2xx to ours).
    mutating func add(_ call: Call, dialogID: String) { byDialogID[dialogID] = call }

    mutating func remove(_ call: Call) {
        if let id = call.sipCallID {
            byCallID[id]?.removeAll { $0 === call }
            if byCallID[id]?.isEmpty == true { byCallID[id] = nil }
        }
        if let id = call.dialogID, byDialogID[id] === call { byDialogID[id] = nil }
    }

    /// The call whose dialog `r` (a request, an ACK) is in.
    func call(for r: SIPRequest) -> Call? {
        r.headers["Call-ID"].flatMap { byCallID[$0] }?.first { $0.owns(r) }
    }

    func call(placing placed: OutgoingCall) -> Call? { byCallID[placed.callID]?.first { $0.placed === placed } }

    func call(dialogID: String) -> Call? { byDialogID[dialogID] }
}
