import SIP
import Testing

/// RFC 3263 location of the SIP server on a fake clock (µs): what is asked of DNS, in which
/// order the targets come, failover, the TTL's re-lookup, and DNS that does not answer.
struct SIPServerLocatorTests {
    static let second: UInt64 = 1_000_000
    static func srv(_ priority: UInt16, _ weight: UInt16, _ port: UInt16, _ target: String, ttl: UInt32 = 60) -> DNSRecord {
        DNSRecord(.service(priority: priority, weight: weight, port: port, target: target), ttl: ttl)
    }
    static func address(_ a: String, ttl: UInt32 = 60) -> DNSRecord { DNSRecord(.address(a), ttl: ttl) }
    static func locator(_ host: String, port: UInt16 = 5060, portGiven: Bool, transport: SIPPeer.Transport = .udp) -> SIPServerLocator {
        SIPServerLocator(.init(server: SIPPeer(transport, host: host, port: port), portGiven: portGiven, family: .a), now: 0,
                         pick: { _ in 0 })
    }

    @Test func anAddressIsTheTargetWithoutDNS() {
        var l = Self.locator("192.0.2.5", port: 5070, portGiven: true)
        #expect(l.poll(now: 0).isEmpty && l.nextTimeout == nil)
        #expect(l.target(now: 0) == SIPPeer(.udp, host: "192.0.2.5", port: 5070))
    }

    @Test func aNameWithAPortIsLookedUpForItsAddressesAndAgainWhenTheTTLRunsOut() {
        var l = Self.locator("pbx.example.com", port: 5080, portGiven: true)
        #expect(l.target(now: 0) == nil)
        let first = l.poll(now: 0)
        #expect(first == [DNSQuery("pbx.example.com", .a)] && l.isLooking && l.nextTimeout == nil)
        l.answered(first[0], .records([Self.address("192.0.2.1", ttl: 120), Self.address("192.0.2.2", ttl: 90)]), now: 10)
        #expect(l.targets == [SIPPeer(.udp, host: "192.0.2.1", port: 5080), SIPPeer(.udp, host: "192.0.2.2", port: 5080)])
        #expect(l.nextTimeout == 10 + 90 * Self.second)                          // the shortest TTL
        #expect(l.poll(now: 89 * Self.second).isEmpty)
        #expect(l.poll(now: 90 * Self.second + 10) == [DNSQuery("pbx.example.com", .a)])
    }

    @Test func srvTargetsInPriorityOrderAndFailoverToTheNextAndBack() {
        var l = Self.locator("example.com", portGiven: false)
        let srv = l.poll(now: 0)
        #expect(srv == [DNSQuery("_sip._udp.example.com", .srv)])
        l.answered(srv[0], .records([Self.srv(20, 0, 5070, "b.example.com"), Self.srv(10, 0, 5060, "a.example.com")]), now: 0)
        #expect(l.targets.isEmpty && l.isLooking)
        let hosts = l.poll(now: 0)
        #expect(Set(hosts) == [DNSQuery("a.example.com", .a), DNSQuery("b.example.com", .a)])
        l.answered(DNSQuery("b.example.com", .a), .records([Self.address("192.0.2.20")]), now: 0)
        l.answered(DNSQuery("a.example.com", .a), .records([Self.address("192.0.2.10")]), now: 0)
        let a = SIPPeer(.udp, host: "192.0.2.10", port: 5060), b = SIPPeer(.udp, host: "192.0.2.20", port: 5070)
        #expect(l.targets == [a, b] && l.target(now: 0) == a && !l.isLooking)
        #expect(l.knownAddresses == ["192.0.2.10", "192.0.2.20"])
        l.failed(a, now: 1 * Self.second)
        #expect(l.target(now: 1 * Self.second) == b)
        l.failed(b, now: 2 * Self.second)                                         // both failed: the one failed longest ago
        #expect(l.target(now: 2 * Self.second) == a)
        #expect(l.target(now: 61 * Self.second) == a)                            // its block over
        l.failed(SIPPeer(.udp, host: "198.51.100.1", port: 5060), now: 3 * Self.second)   // not a target: nothing
        #expect(l.targets == [a, b])
    }

    @Test func noSRVRecordsMeansTheNamesOwnAddressesOnTheDefaultPort() {
        for (transport, port) in [(SIPPeer.Transport.udp, UInt16(5060)), (.tls, 5061)] {
            var l = Self.locator("example.com", portGiven: false, transport: transport)
            let srv = l.poll(now: 0)
            #expect(srv == [DNSQuery(transport == .tls ? "_sips._tcp.example.com" : "_sip._udp.example.com", .srv)])
            l.answered(srv[0], .records([]), now: 0)
            #expect(l.poll(now: 0) == [DNSQuery("example.com", .a)])
            l.answered(DNSQuery("example.com", .a), .records([Self.address("192.0.2.3")]), now: 0)
            #expect(l.targets == [SIPPeer(transport, host: "192.0.2.3", port: port)])
        }
    }

    @Test func aDotTargetMeansNoServiceThere() {
        var l = Self.locator("example.com", portGiven: false)
        l.answered(l.poll(now: 0)[0], .records([Self.srv(0, 0, 0, ".")]), now: 0)
        #expect(l.poll(now: 0).isEmpty && l.targets.isEmpty && !l.isLooking)
        #expect(l.nextTimeout == 30 * Self.second)
    }

    @Test func dnsThatDoesNotAnswerKeepsTheTargetsFoundBeforeAndTriesAgainSooner() {
        var l = Self.locator("pbx.example.com", port: 5060, portGiven: true)
        l.answered(l.poll(now: 0)[0], .failed, now: 0)
        #expect(l.targets.isEmpty && l.nextTimeout == 30 * Self.second)
        l.answered(l.poll(now: 30 * Self.second)[0], .records([Self.address("192.0.2.1", ttl: 3600)]), now: 30 * Self.second)
        #expect(l.targets.count == 1 && l.nextTimeout == 3630 * Self.second)
        l.answered(l.poll(now: 3630 * Self.second)[0], .failed, now: 3630 * Self.second)
        #expect(l.targets == [SIPPeer(.udp, host: "192.0.2.1", port: 5060)] && l.nextTimeout == 3660 * Self.second)
    }

    @Test func aTTLOfZeroIsHeldToTheFloor() {
        var l = Self.locator("pbx.example.com", portGiven: true)
        l.answered(l.poll(now: 0)[0], .records([Self.address("192.0.2.1", ttl: 0)]), now: 0)
        #expect(l.nextTimeout == 5 * Self.second)
    }

    @Test func weightsShareTheFirstPlaceWithinAPriority() {
        // pick(n) = n: the draw lands on the last of the running sum, the heaviest; pick 0: the weight-0 one first.
        for (draw, first) in [(UInt32.max, "heavy.example.com"), (0, "zero.example.com")] {
            var l = SIPServerLocator(.init(server: SIPPeer(.udp, host: "example.com", port: 5060), portGiven: false, family: .a),
                                     now: 0, pick: { min($0, draw) })
            l.answered(l.poll(now: 0)[0], .records([Self.srv(10, 0, 1, "zero.example.com"), Self.srv(10, 1, 2, "light.example.com"),
                                                     Self.srv(10, 9, 3, "heavy.example.com")]), now: 0)
            for query in l.poll(now: 0) {
                let last = query.name.split(separator: ".")[0]
                let address = ["zero": "192.0.2.1", "light": "192.0.2.2", "heavy": "192.0.2.3"][String(last)] ?? ""
                l.answered(query, .records([Self.address(address)]), now: 0)
            }
            let byAddress = ["192.0.2.1": "zero.example.com", "192.0.2.2": "light.example.com", "192.0.2.3": "heavy.example.com"]
            #expect(l.targets.first.flatMap { byAddress[$0.host] } == first)
            #expect(l.targets.count == 3)
        }
    }
}
