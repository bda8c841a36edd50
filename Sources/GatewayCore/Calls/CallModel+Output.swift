import MediaCore
import MediaTypes
import SDP
import SignalingProtocol
import SIP

extension CallModel {
    public enum LogLevel: Sendable { case info, warning }

    /// What the call model decided; the shell carries each out in order.
    public enum Output {
        /// An event for a client session.
        case signal(session: String, ServerEvent)
        /// The model ended the session (its calls are hung up): forget it, and close
        /// its transport when `closeTransport` (a sign-out; otherwise it is closed already).
        case sessionEnded(session: String, closeTransport: Bool)
        /// Keep `user` registered on the SIP server, with `password` as its Digest credentials.
        case register(user: String, password: String?)
        /// Remove `user`'s binding (sign-out).
        case unregister(user: String)
        /// Stop registering `user`, without a REGISTER (its sign-in failed).
        case forgetRegistration(user: String)
        /// A limit refused something: count it under `reason`.
        case refused(reason: String)
        /// A line for the log; `about` names the call it is about (the log's metadata).
        case log(LogLevel, String, about: CallContext?)

        /// Open the SIP leg's media sockets (RTP on `port`, RTCP on the next) for `call`.
        case openSIPMedia(call: String, port: UInt16)
        /// Open `call`'s browser leg from the browser's offer, bridged to the SIP leg
        /// as `sipSide` says; report `browserLegOpened` or `browserLegFailed`.
        case openBrowserLeg(call: String, sdp: BrowserLegSDP, sipSide: MediaBridge.LegSettings, direction: MediaDirection)
        /// Point `call`'s SIP side at what the peer agreed.
        case configureSIPSide(call: String, SIPSideConfiguration)
        /// `call` ended: close its browser leg and media sockets.
        case closeMedia(call: String)
        /// `call` is answered with both legs set: the shell may say whether it relays or transcodes.
        case mediaSettled(call: String)
        /// A call ended: what it was, for the metrics (the last output about the call).
        case callEnded(CallRecord, about: CallContext)
        /// The client asked for `call`'s media statistics: send them to `session` as a `stats` event.
        case reportStats(call: String, session: String)

        /// Answer the server transaction `key`.
        case respond(TransactionKey, SIPResponse)
        /// Place this call through the user agent (its INVITE goes at once).
        case place(OutgoingCall)
        /// A request of a placed call (CANCEL, BYE, re-INVITE, INFO) through the user agent.
        case sendPlaced(SIPRequest, OutgoingCall)
        /// The far end's BYE ended a placed call (the BYE is answered).
        case placedCallHungUp(OutgoingCall)
        /// A request of ours in the dialog of an incoming call, in a new client
        /// transaction to `peer`: report its final response (nil on a timeout) with `requestAnswered(id)`.
        case sendInDialog(SIPRequest, to: SIPPeer, id: UInt64)
        /// An ACK of a 2xx to our re-INVITE: written as it is, no transaction.
        case write(SIPRequest, to: SIPPeer)
        /// Our 2xx again, its ACK not come yet (RFC 3261 §13.3.1.4): to where its request's Via says, over UDP.
        case resend(SIPResponse, to: SIPPeer)
    }

    /// Which call a log line is about: the gateway's call id, the user, the SIP Call-ID.
    public struct CallContext: Sendable, Equatable {
        public var call: String
        public var user: String
        public var sipCallID: String?
    }

    /// A call that ended, as the metrics count it.
    public struct CallRecord: Sendable, Equatable {
        public var direction: Call.Direction
        public var cause: EndCause
        /// The SIP final status that ended it (0 when the browser's side did).
        public var sipCode: Int
        public var startedAt: UInt64
        public var answeredAt: UInt64?
        public var endedAt: UInt64

        /// From the call's start (the browser's request, or the INVITE) to its answer, in µs.
        public var setup: UInt64? { answeredAt.map { $0 &- startedAt } }
    }

    /// Where a call's SIP-side media goes and how the bridge's leg B speaks.
    public struct SIPSideConfiguration: Sendable {
        public var remoteHost: String
        public var remotePort: UInt16
        public var rtcpMux: Bool
        public var leg: MediaBridge.LegSettings
        public var direction: MediaDirection
        /// SDES keys when the SIP leg is SRTP.
        public var sdes: SDESKeys?
    }
}
