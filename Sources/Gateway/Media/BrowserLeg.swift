import GatewayCore
import MediaCore
import NIOCore
import SDP

/// An open browser leg as the call model holds it: its answer, and control
/// of its session from any thread (each call hops to the session's loop).
public final class BrowserLeg: Sendable {
    public let id: String
    public let answer: SessionDescription
    public let agreed: NegotiatedAudio
    let channel: Channel

    init(id: String, answer: SessionDescription, agreed: NegotiatedAudio, channel: Channel) {
        self.id = id
        self.answer = answer
        self.agreed = agreed
        self.channel = channel
    }

    /// Sets the SIP side's codec (nil: unchanged) and direction in the bridge.
    func configureOtherLeg(_ settings: MediaBridge.LegSettings?, direction: MediaDirection) {
        channel.pipeline.handler(type: BrowserLegHandler.self).whenSuccess {
            $0.configureOtherLeg(settings, direction: direction)
        }
    }

    /// SDES keys for the SIP side (leg B); replacing them starts new SRTP contexts.
    func setOtherLegSRTP(_ keys: SDESKeys) {
        guard let receive = keys.receive else { return }
        channel.pipeline.handler(type: BrowserLegHandler.self).whenSuccess {
            $0.setOtherLegSRTP(keys.suite, send: keys.send, receive: receive)
        }
    }

    func mediaSummary() -> EventLoopFuture<(relaying: Bool, fromBrowser: UInt64, toBrowser: UInt64, fromSIP: UInt64,
                                            toSIP: UInt64)> {
        channel.pipeline.handler(type: BrowserLegHandler.self).map(\.mediaSummary)
    }

    func close() { channel.close(promise: nil) }
}
