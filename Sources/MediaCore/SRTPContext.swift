import CGatewayMedia

/// One direction of SRTP/SRTCP (see include/gwm/srtp.h). Not thread-safe.
public final class SRTPContext {
    private let handle: OpaquePointer

    public init(profile: gwm_srtp_profile, direction: gwm_srtp_direction, key: [UInt8]) throws(MediaError) {
        var out: OpaquePointer?
        let status = key.withUnsafeBufferPointer {
            gwm_srtp_create(profile, direction, $0.baseAddress!, $0.count, &out)
        }
        try MediaError.check(status)
        handle = out!
    }

    deinit { gwm_srtp_destroy(handle) }

    public func protect(_ packet: [UInt8], rtcp: Bool = false) throws(MediaError) -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: Int(GWM_SRTP_MAX_OVERHEAD))
        var length = packet.count
        let status = buffer.withUnsafeMutableBufferPointer {
            rtcp ? gwm_srtp_protect_rtcp(handle, $0.baseAddress!, &length, $0.count)
                 : gwm_srtp_protect(handle, $0.baseAddress!, &length, $0.count)
        }
        try MediaError.check(status)
        return Array(buffer.prefix(length))
    }

    public func unprotect(_ packet: [UInt8], rtcp: Bool = false) throws(MediaError) -> [UInt8] {
        var buffer = packet
        var length = packet.count
        let status = buffer.withUnsafeMutableBufferPointer {
            rtcp ? gwm_srtp_unprotect_rtcp(handle, $0.baseAddress!, &length)
                 : gwm_srtp_unprotect(handle, $0.baseAddress!, &length)
        }
        try MediaError.check(status)
        return Array(buffer.prefix(length))
    }

    public var stats: gwm_srtp_stats {
        var s = gwm_srtp_stats()
        gwm_srtp_stats_get(handle, &s)
        return s
    }
}
