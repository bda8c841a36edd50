/// Where the bridge's leg-B packets of a browser session go: the SIP side of
/// a call, or a local test peer. Called on the session's event loop.
public protocol OtherLeg: AnyObject {
    /// A datagram for the far end, valid during the call only; returns
    /// datagrams to feed back into leg B at once (a loop-back peer), if any.
    func deliver(_ datagram: UnsafeRawBufferPointer, isRTCP: Bool, now: UInt64) -> [[UInt8]]
    /// The session is running: what the far end sends from now on goes to
    /// `sink`, on the session's event loop; the sink says whether the bridge
    /// took the packet (valid, and authenticated when SRTP).
    /// A browser leg that replaces another attaches in its place. The far
    /// end is not closed with a browser leg: it belongs to the call.
    func attach(_ sink: @escaping (UnsafeRawBufferPointer, UInt64) -> Bool)
}

extension OtherLeg {
    public func attach(_ sink: @escaping (UnsafeRawBufferPointer, UInt64) -> Bool) {}
}
