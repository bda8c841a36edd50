import SIP
import SIPEndpoint
import Foundation
import Testing

/// The SIP endpoint's decisions without sockets: whom SIP is taken from, what
/// gets a stateless 400, where a request really came from and so where its
/// answer goes, and what reaches the role.
@Suite struct SIPServiceCoreTests {
    /// A role that takes the INVITEs and records what it was handed.
    final class Role: SIPRole {
        var requests: [(String, TransactionKey)] = []
        var screened = 0
        func started(port: UInt16) {}
        func tlsListening(port: UInt16) {}
        func screen(_ request: SIPRequest, from source: SIPPeer, now: UInt64) -> Bool {
            screened += 1
            return false
        }
        func screen(_ response: SIPResponse) -> Bool { false }
        func request(_ request: SIPRequest, key: TransactionKey, from peer: SIPPeer, now: UInt64) -> Bool {
            requests.append((request.method.name, key))
            return request.method == .invite
        }
        func response(_ response: SIPResponse, key: TransactionKey, now: UInt64) {}
        func timeout(_ key: TransactionKey, now: UInt64) {}
        func strayResponse(_ response: SIPResponse, now: UInt64) {}
        func acknowledged(_ ack: SIPRequest, now: UInt64) {}
        var dialogCount: Int { 0 }
        var nextTimeout: UInt64? { nil }
        func poll(now: UInt64) {}
    }

    static let server = SIPPeer(.udp, host: "192.0.2.1", port: 5060)
    static let stranger = SIPPeer(.udp, host: "198.51.100.7", port: 5099)

    func core(trusted: Set<String>? = nil) -> (SIPServiceCore, Role) {
        let core = SIPServiceCore(server: nil, locator: nil, trustedSources: trusted, maxCallRate: 100, registrar: nil,
                                  makeTag: { "tag" }, makeBranch: { "z9hG4bKretry" })
        let role = Role()
        core.role = role
        return (core, role)
    }

    static func request(_ method: String, via: String = "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bK-1") -> [UInt8] {
        Array("""
            \(method) sip:1001@192.0.2.2 SIP/2.0\r\nVia: \(via)\r\nFrom: <sip:2000@example.com>;tag=a\r\n\
            To: <sip:1001@example.com>\r\nCall-ID: c1\r\nCSeq: 1 \(method)\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n
            """.utf8)
    }

    func drain(_ core: SIPServiceCore) -> [SIPServiceCore.Output] {
        var out: [SIPServiceCore.Output] = []
        while let o = core.pollOutput() { out.append(o) }
        return out
    }

    func sent(_ outputs: [SIPServiceCore.Output]) -> [(SIPResponse, SIPPeer)] {
        outputs.compactMap { if case .send(.response(let r), let peer) = $0 { (r, peer) } else { nil } }
    }

    /// With trusted sources configured, SIP from anyone else is not answered, only counted; keep-alives are nothing.
    @Test func aStrangerIsNotAnsweredAndKeepAlivesAreNothing() {
        let (core, role) = core(trusted: [Self.server.host])
        core.receive(datagram: Self.request("OPTIONS"), from: Self.stranger, now: 1)
        #expect(drain(core) == [.refused("sip-untrusted-source")] && role.screened == 0)
        core.receive(datagram: [13, 10, 13, 10], from: Self.server, now: 2)
        #expect(drain(core).isEmpty)
    }

    /// RFC 3581: the answer goes to the address and port the request came from, noted in its Via.
    @Test func theAnswerGoesWhereTheRequestCameFrom() throws {
        let (core, role) = core()
        core.receive(datagram: Self.request("OPTIONS"), from: Self.stranger, now: 1)
        let out = drain(core)
        #expect(out.first.map { if case .received = $0 { true } else { false } } == true)
        let (ok, peer) = try #require(sent(out).first)
        #expect(ok.statusCode == 200 && peer == Self.stranger)
        #expect(ok.headers["Via"] == "SIP/2.0/UDP 10.0.0.1:5060;rport=5099;branch=z9hG4bK-1;received=198.51.100.7")
        #expect(role.screened == 1 && role.requests.map(\.0) == ["OPTIONS"])   // the role saw it and left it to the endpoint
    }

    /// What does not parse gets a 400 (505 for another SIP version) when it has a Via to answer; a request whose Via cannot be read gets
    /// one to where it came from; neither reaches the role.
    @Test func unreadableRequestsGetA400() throws {
        let (core, role) = core()
        core.receive(datagram: Array(String(decoding: Self.request("OPTIONS"), as: UTF8.self)
                        .replacingOccurrences(of: "SIP/2.0\r\n", with: "SIP/7.0\r\n").utf8), from: Self.stranger, now: 1)
        let garbled = drain(core)
        #expect(sent(garbled).map(\.0.statusCode) == [505])
        #expect(garbled.contains { if case .notice = $0 { true } else { false } })
        core.receive(datagram: Self.request("OPTIONS", via: "not a via"), from: Self.stranger, now: 2)
        let (bad, peer) = try #require(sent(drain(core)).first)
        #expect(bad.statusCode == 400 && peer == Self.stranger && role.screened == 0)
    }

    /// A request the role takes stays with it (no endpoint answer); an unknown method gets the endpoint's 405.
    @Test func theRoleTakesWhatIsItsAndTheEndpointAnswersTheRest() throws {
        let (core, role) = core()
        core.receive(datagram: Self.request("INVITE"), from: Self.stranger, now: 1)
        #expect(sent(drain(core)).map(\.0.statusCode) == [100])    // the INVITE transaction's 100 Trying, nothing else
        let key = try #require(role.requests.first?.1)
        guard case .request(let invite)? = try? SIPParser.parse(Self.request("INVITE"), framing: .datagram).message else {
            Issue.record("the INVITE does not parse")
            return
        }
        core.respond(key, TransactionLayer.response(to: invite, .busyHere, toTag: "t"), now: 2)
        #expect(sent(drain(core)).map(\.0.statusCode) == [486])
        core.receive(datagram: Self.request("PUBLISH"), from: Self.stranger, now: 3)
        #expect(sent(drain(core)).map(\.0.statusCode).allSatisfy { $0 == 405 || $0 == 501 })
    }
}
