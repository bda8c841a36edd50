import CGatewayMedia
import MediaCore
import SDP
import STUN
import Testing
@testable import WebRTC

/// The session core driven by a "browser" made of our own STUN and DTLS
/// pieces, on a fake clock. Real browsers are in Tests/interop.
@Suite struct BrowserMediaSessionTests {
    static let gatewayIdentity = try! DTLSIdentity()
    static let browserIdentity = try! DTLSIdentity()
    let local = ICECredentials(ufrag: "gwuf", pwd: "gateway-password-0123456")
    let browserAddress = TransportAddress(ip: [127, 0, 0, 1], port: 50000)

    func makeSession(withDTLS: Bool = true, setupDeadline: UInt64? = nil) throws -> BrowserMediaSession {
        var cfg = MediaBridge.defaultConfig()
        cfg.legs.0.ssrc = 1
        cfg.legs.1.ssrc = 2
        cfg.legs.0.codec = GWM_CODEC_PCMU
        cfg.legs.0.payload_type = 0
        cfg.legs.0.require_srtp = 1
        cfg.rtcp_interval_ms = 0
        let dtls = withDTLS
            ? try DTLSEndpoint(identity: Self.gatewayIdentity, role: .server, expected: Self.browserIdentity.fingerprint) : nil
        return BrowserMediaSession(ice: ICELiteAgent(local: local, remote: ICECredentials(ufrag: "brws", pwd: "x")),
                                   dtls: dtls, bridge: try MediaBridge(config: cfg), setupDeadline: setupDeadline)
    }

    func check(nominate: Bool) -> [UInt8] {
        var attrs: [STUNAttribute] = [.username("gwuf:brws"), .priority(1), .controlling(1)]
        if nominate { attrs.append(.useCandidateFlag) }
        return STUNCoder.encode(STUNMessage(class: .request, transactionID: Array(repeating: 9, count: 12), attributes: attrs),
                                integrityKey: Array(local.pwd.utf8))
    }

    let phonePacket = RTPPacket(payloadType: 0, sequence: 1, timestamp: 0, ssrc: 77, payload: [0xff, 0xff]).bytes

    @Test func dtlsIsAnsweredAtOnceAndMediaWaitsForItsKeys() throws {
        let session = try makeSession()
        let browser = try DTLSEndpoint(identity: Self.browserIdentity, role: .client, expected: Self.gatewayIdentity.fingerprint)
        // A ClientHello before any check is refused: DTLS only on a checked path.
        let early = try DTLSEndpoint(identity: Self.browserIdentity, role: .client, expected: Self.gatewayIdentity.fingerprint)
        #expect(session.handle(early.start(now: 0)[0], from: browserAddress, now: 0).isEmpty)

        _ = session.handle(check(nominate: true), from: browserAddress, now: 0)
        // Audio from the SIP side before DTLS: nothing may reach the browser.
        #expect(session.receiveFromOtherLeg(phonePacket, now: 0).isEmpty)

        // The ClientHello is answered at once; the other leg has not answered anything.
        var toGateway = browser.start(now: 0)
        var rounds = 0
        while !toGateway.isEmpty, rounds < 10 {
            rounds += 1
            let replies = toGateway.flatMap { session.handle($0, from: browserAddress, now: 1000) }
            #expect(!replies.isEmpty || session.isConnected)
            toGateway = replies.flatMap { reply -> [[UInt8]] in
                guard case .toBrowser(let to, let bytes) = reply else { return [] }
                #expect(to == browserAddress)
                return browser.handle(bytes, now: 1000)
            }
        }
        #expect(session.isConnected)
        #expect(session.takeEvents().contains(.connected(profile: 7)) )
        let out = session.receiveFromOtherLeg(RTPPacket(payloadType: 0, sequence: 2, timestamp: 160, ssrc: 77,
                                                        payload: [0xff, 0xff]).bytes, now: 20_000)
        #expect(out.count == 1)
        if case .toBrowser(let to, let bytes) = out.first { #expect(to == browserAddress && bytes.count == 12 + 2 + 16) }
    }

    @Test func mediaGoesToTheNominatedAddressNotTheSDPs() throws {
        let session = try makeSession()
        let sdpAddress = TransportAddress(ip: [192, 0, 2, 1], port: 9) // what a c= line might say
        let nominated = TransportAddress(ip: [127, 0, 0, 5], port: 40404)
        _ = session.handle(check(nominate: false), from: browserAddress, now: 0)
        _ = session.handle(check(nominate: true), from: nominated, now: 0)
        #expect(session.ice.selected == nominated && session.ice.selected != sdpAddress)
        // Packets from an address that never passed a check are ignored.
        let stranger = TransportAddress(ip: [127, 0, 0, 9], port: 1)
        #expect(session.handle(phonePacket, from: stranger, now: 0).isEmpty)
        #expect(session.bridge.stats(GWM_LEG_A).packets_received == 0)
    }

    /// A leg whose browser never completes ICE and DTLS fails at its deadline
    /// (and so gives its port back).
    @Test func anUnansweredOfferFailsAtTheDeadline() throws {
        let session = try makeSession(withDTLS: false, setupDeadline: 15_000_000)
        #expect(session.nextTimeout == 15_000_000)
        #expect(session.pollControl(now: 14_999_999).isEmpty && session.takeEvents().isEmpty)
        _ = session.pollControl(now: 15_000_000)
        #expect(session.takeEvents() == [.failed(.ice, "media setup did not complete in time: no ICE check nominated a path")])
        #expect(session.nextTimeout == nil)
    }
}
