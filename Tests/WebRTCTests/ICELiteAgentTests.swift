import SDP
import STUN
import Testing
@testable import WebRTC

private let local = ICECredentials(ufrag: "gwuf", pwd: "gateway-password-0123456")
private let remote = ICECredentials(ufrag: "brws", pwd: "browser-password-0123456")
private let browser = TransportAddress(ip: [127, 0, 0, 1], port: 50000)

/// A connectivity check as a controlling browser sends it.
private func check(user: String = "gwuf:brws", password: String = "gateway-password-0123456",
                   nominate: Bool = false, controlled: Bool = false, extra: [STUNAttribute] = [],
                   id: UInt8 = 1) -> [UInt8] {
    var attrs: [STUNAttribute] = [.username(user), .priority(1_845_501_695),
                                  controlled ? .controlled(7) : .controlling(7)]
    if nominate { attrs.append(.useCandidateFlag) }
    attrs += extra
    return STUNCoder.encode(STUNMessage(class: .request, transactionID: [UInt8](repeating: id, count: 12), attributes: attrs),
                            integrityKey: Array(password.utf8))
}

@Suite struct ICELiteAgentTests {
    @Test func answersAValidCheckAndNominatesOnUseCandidate() throws {
        var agent = ICELiteAgent(local: local, remote: remote)
        let (response, events) = agent.handle(stun: check(), from: browser, now: 0)
        let reply = try STUNCoder.decode(try #require(response), integrityKey: Array(local.pwd.utf8))
        #expect(reply.messageClass == .success)
        #expect(reply.xorMappedAddress?.address == [127, 0, 0, 1] && reply.xorMappedAddress?.port == 50000)
        #expect(events.isEmpty && agent.selected == nil && agent.isValidated(browser))

        let (_, nominated) = agent.handle(stun: check(nominate: true), from: browser, now: 1000)
        #expect(nominated == [.selected(browser)])
        // The browser moves (new network): a nominated check from the new address wins.
        let moved = TransportAddress(ip: [127, 0, 0, 2], port: 50002)
        #expect(agent.handle(stun: check(nominate: true, id: 2), from: moved, now: 2000).events == [.selected(moved)])
        #expect(agent.selected == moved)
    }

    @Test func refusesWrongCredentialsAndRoles() throws {
        var agent = ICELiteAgent(local: local, remote: remote)
        let wrongPassword = agent.handle(stun: check(password: "not-the-password-at-all"), from: browser, now: 0)
        #expect(try STUNCoder.decode(try #require(wrongPassword.response)).errorCode == 401)
        #expect(wrongPassword.events.count == 1 && !agent.isValidated(browser))
        if case .refused(_, let why) = wrongPassword.events[0] { #expect(why.contains("wrong ICE password")) }

        let wrongUser = agent.handle(stun: check(user: "other:brws"), from: browser, now: 0)
        #expect(try STUNCoder.decode(try #require(wrongUser.response)).errorCode == 401)

        let conflict = agent.handle(stun: check(controlled: true), from: browser, now: 0)
        #expect(try STUNCoder.decode(try #require(conflict.response)).errorCode == 487)

        let unknown = agent.handle(stun: check(extra: [STUNAttribute(type: 0x0031, value: [0, 0, 0, 0])]), from: browser, now: 0)
        let refusal = try STUNCoder.decode(try #require(unknown.response))
        #expect(refusal.errorCode == 420 && refusal.attribute(STUNAttribute.unknownAttributes)?.value == [0x00, 0x31])
        #expect(!agent.isValidated(browser) && agent.selected == nil)

        #expect(agent.handle(stun: [0, 1, 2, 3], from: browser, now: 0).response == nil)
    }

    @Test func consentExpiresThirtySecondsAfterTheLastCheck() {
        var agent = ICELiteAgent(local: local, remote: remote)
        _ = agent.handle(stun: check(nominate: true), from: browser, now: 0)
        for t in stride(from: UInt64(5_000_000), through: 60_000_000, by: 5_000_000) {
            _ = agent.handle(stun: check(id: UInt8(t / 5_000_000)), from: browser, now: t)
            #expect(agent.poll(now: t).isEmpty)
        }
        #expect(agent.nextTimeout == 90_000_000)
        #expect(agent.poll(now: 89_999_999).isEmpty)
        #expect(agent.poll(now: 90_000_000) == [.consentExpired])
        #expect(agent.poll(now: 95_000_000).isEmpty) // reported once
    }

    @Test func restartChangesCredentialsAndSkipsMDNSCandidates() throws {
        var agent = ICELiteAgent(local: local, remote: remote)
        agent.addRemoteCandidate(try #require(Candidate("1 1 udp 1 abcd-1234.local 5000 typ host")))
        agent.addRemoteCandidate(try #require(Candidate("2 1 udp 1 127.0.0.1 5000 typ host")))
        #expect(agent.remoteCandidates.count == 1)
        agent.restart(local: ICECredentials(ufrag: "new1", pwd: "new-password-0123456789"),
                      remote: ICECredentials(ufrag: "new2", pwd: "x"))
        #expect(try STUNCoder.decode(try #require(agent.handle(stun: check(), from: browser, now: 0).response)).errorCode == 401)
        let ok = agent.handle(stun: check(user: "new1:new2", password: "new-password-0123456789"), from: browser, now: 0)
        #expect(try STUNCoder.decode(try #require(ok.response)).messageClass == .success)
    }

    @Test func parsesAddresses() {
        #expect(TransportAddress(host: "::1", port: 5)?.ip == [UInt8](repeating: 0, count: 15) + [1])
        #expect(TransportAddress(host: "2001:db8::2:1", port: 5)?.host == "2001:db8:0:0:0:0:2:1")
        #expect(TransportAddress(host: "10.0.0.300", port: 5) == nil)
        #expect(TransportAddress(host: "1::2::3", port: 5) == nil)
    }
}
