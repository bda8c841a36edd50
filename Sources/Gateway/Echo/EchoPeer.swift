import MediaCore

/// A loop-back "far end" for the browser leg: what the bridge sends on its
/// other leg comes straight back (echo), or comes back as silence (the
/// negative control of the audio tests).
public final class EchoPeer: OtherLeg {
    public enum Mode: String, Sendable { case echo, silent }
    let mode: Mode
    /// G.711 silence for the codec of the loop leg.
    let silence: UInt8

    public init(mode: Mode, silenceByte: UInt8 = 0xFF) {
        self.mode = mode
        self.silence = silenceByte
    }

    public func deliver(_ bytes: UnsafeRawBufferPointer, isRTCP: Bool, now: UInt64) -> [[UInt8]] {
        let datagram = Array(bytes)
        guard !isRTCP else { return [] } // the bridge terminates RTCP on each leg
        switch mode {
        case .echo:
            return [datagram]
        case .silent:
            guard var packet = try? RTPPacket(parsing: datagram) else { return [] }
            packet.payload = [UInt8](repeating: silence, count: packet.payload.count)
            return [packet.bytes]
        }
    }
}
