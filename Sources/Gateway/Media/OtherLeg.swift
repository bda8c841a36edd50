/// Where the bridge's leg-B packets of a browser session go: the SIP side of
/// a call, or a local test peer. Called on the session's event loop; returns
/// datagrams to feed back into leg B at once (a loop-back peer), if any.
public protocol OtherLeg: AnyObject {
    func deliver(_ datagram: [UInt8], isRTCP: Bool, now: UInt64) -> [[UInt8]]
}
