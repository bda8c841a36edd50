import CGatewayMedia

/// The media bridge of one call (see include/gwm/bridge.h): a sans-IO object
/// that takes datagrams from either leg and hands out the datagrams due on the
/// other. Not thread-safe: confine each bridge to one event loop.
public final class MediaBridge {
    public typealias Leg = gwm_leg
    public typealias Config = gwm_bridge_config

    /// A datagram to send; `bytes` is copied out of the bridge.
    public struct Output: Equatable {
        public let leg: Leg
        public let isRTCP: Bool
        public let bytes: [UInt8]
    }

    private let handle: OpaquePointer

    public init(config: Config) throws(MediaError) {
        var cfg = config
        var out: OpaquePointer?
        try MediaError.check(gwm_bridge_create(&cfg, &out))
        handle = out!
    }

    deinit { gwm_bridge_destroy(handle) }

    public static func defaultConfig() -> Config {
        var cfg = Config()
        gwm_bridge_config_default(&cfg)
        return cfg
    }

    public var isRelaying: Bool { gwm_bridge_is_relaying(handle) != 0 }

    public var nextTimeout: UInt64 { gwm_bridge_next_timeout(handle) }

    public func receive(_ datagram: [UInt8], on leg: Leg, now: UInt64) throws(MediaError) {
        let status = datagram.withUnsafeBufferPointer {
            gwm_bridge_receive(handle, leg, $0.baseAddress!, $0.count, now)
        }
        try MediaError.check(status)
    }

    /// The per-packet path: a datagram read in place (no array), as gwm_bridge_receive.
    public func receive(_ datagram: UnsafeRawBufferPointer, on leg: Leg, now: UInt64) throws(MediaError) {
        guard let base = datagram.baseAddress else { throw MediaError(status: GWM_ERR_TRUNCATED.rawValue) }
        try MediaError.check(gwm_bridge_receive(handle, leg, base.assumingMemoryBound(to: UInt8.self), datagram.count, now))
    }

    /// The per-packet path: hands each datagram due at `now` to `body` in place;
    /// the bytes are valid only during the call.
    public func drain(now: UInt64, _ body: (Leg, Bool, UnsafeRawBufferPointer) -> Void) {
        var out = gwm_bridge_output()
        while gwm_bridge_poll(handle, now, &out) == 1 {
            body(out.leg, out.is_rtcp != 0, UnsafeRawBufferPointer(start: out.data, count: out.length))
        }
    }

    /// Every datagram due at `now`, in order (copied: for tests and tools).
    public func poll(now: UInt64) -> [Output] {
        var outputs: [Output] = []
        var out = gwm_bridge_output()
        while gwm_bridge_poll(handle, now, &out) == 1 {
            let bytes = Array(UnsafeBufferPointer(start: out.data, count: out.length))
            outputs.append(Output(leg: out.leg, isRTCP: out.is_rtcp != 0, bytes: bytes))
        }
        return outputs
    }

    public func setSRTP(_ profile: gwm_srtp_profile, on leg: Leg, sendKey: [UInt8],
                        receiveKey: [UInt8]) throws(MediaError) {
        precondition(sendKey.count == receiveKey.count, "SRTP keys differ in length")
        let status = sendKey.withUnsafeBufferPointer { tx in
            receiveKey.withUnsafeBufferPointer { rx in
                gwm_bridge_set_srtp(handle, leg, profile, tx.baseAddress, rx.baseAddress, tx.count)
            }
        }
        try MediaError.check(status)
    }

    public func setDirection(_ direction: gwm_direction, on leg: Leg) throws(MediaError) {
        try MediaError.check(gwm_bridge_set_direction(handle, leg, direction))
    }

    public func update(_ config: gwm_leg_config, on leg: Leg) throws(MediaError) {
        var cfg = config
        try MediaError.check(gwm_bridge_update_leg(handle, leg, &cfg))
    }

    public func sendBye(on leg: Leg, now: UInt64) throws(MediaError) {
        try MediaError.check(gwm_bridge_send_bye(handle, leg, now))
    }

    public func stats(_ leg: Leg) -> gwm_leg_stats {
        var stats = gwm_leg_stats()
        gwm_bridge_leg_stats(handle, leg, &stats)
        return stats
    }
}
