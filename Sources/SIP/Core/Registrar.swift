import WireInput

/// A location service and registrar (RFC 3261 §10.3) as a sans-IO core: the
/// embedded SIP server keeps where each address of record can be reached.
public final class Registrar {
    public struct Binding: Equatable, Sendable {
        public var contact: String      // the Contact URI as registered
        public var expiresAt: UInt64    // µs, caller's clock
        public var callID: String
        public var cseq: UInt32
        public var peer: SIPPeer?       // where the REGISTER came from (for NAT traversal)
    }

    public var defaultExpires = 3600
    public var minExpires = 60
    public var maxExpires = 7200
    public let maxBindingsPerAOR: Int
    public let maxAORs: Int
    private var bindings: [String: [Binding]] = [:]

    public init(maxBindingsPerAOR: Int = 10, maxAORs: Int = 100_000) {
        self.maxBindingsPerAOR = maxBindingsPerAOR
        self.maxAORs = maxAORs
    }

    /// The address-of-record key of a URI: user@host, case-insensitive host.
    public static func aor(_ uri: SIPURI) -> String { "\(uri.user ?? "")@\(uri.host.lowercased())" }

    /// Current contacts of an AOR, pruning the expired ones.
    public func lookup(_ aor: String, now: UInt64) -> [Binding] {
        let live = (bindings[aor] ?? []).filter { $0.expiresAt > now }
        bindings[aor] = live.isEmpty ? nil : live
        return live
    }

    /// The live binding whose Contact is exactly `uri` (an in-dialog request's target).
    public func binding(contact uri: SIPURI, now: UInt64) -> Binding? {
        let text = uri.description.lowercased()
        for (aor, list) in bindings {
            if let b = lookup(aor, now: now).first(where: { $0.contact.lowercased() == text }) { return b }
            _ = list
        }
        return nil
    }

    /// Processes a REGISTER that passed the request checks; returns the response.
    public func register(_ r: SIPRequest, from peer: SIPPeer, now: UInt64, toTag: String) -> SIPResponse {
        func reply(_ code: Int, _ reason: String) -> SIPResponse {
            TransactionLayer.response(to: r, SIPStatus(code), reason: reason, toTag: toTag)
        }
        guard let to = r.headers.to,
              let cseq = r.headers.cseq,
              let callID = r.headers["Call-ID"] else { return reply(400, "Bad Request") }
        let aor = Self.aor(to.uri)
        let headerExpires = r.headers["Expires"].flatMap(WireNumber.deltaSeconds)
        let contacts = r.headers.values("Contact")
        var current = lookup(aor, now: now)

        if contacts == ["*"] {
            guard headerExpires == 0 else { return reply(400, "Wildcard Contact Needs Expires: 0") }
            current.removeAll { $0.callID != callID || $0.cseq < cseq.number }
        } else {
            for value in contacts {
                guard let contact = try? NameAddress(parsing: value) else { return reply(400, "Bad Contact") }
                let uri = contact.uri.description
                let expires = contact.parameters.value("expires").flatMap(WireNumber.deltaSeconds) ?? headerExpires ?? defaultExpires
                if expires != 0 && expires < minExpires {
                    var tooBrief = reply(423, "Interval Too Brief")
                    tooBrief.headers.add("Min-Expires", String(minExpires))
                    return tooBrief
                }
                if let old = current.firstIndex(where: { $0.contact.lowercased() == uri.lowercased() }) {
                    // §10.3 step 7: an older CSeq for the same Call-ID is stale.
                    if current[old].callID == callID && current[old].cseq >= cseq.number { continue }
                    current.remove(at: old)
                }
                if expires > 0 {
                    guard current.count < maxBindingsPerAOR else { return reply(403, "Too Many Contacts") }
                    current.append(Binding(contact: uri, expiresAt: WireNumber.deadline(now, plus: WireNumber.microseconds(seconds: min(expires, maxExpires))),
                                           callID: callID, cseq: cseq.number, peer: peer))
                }
            }
        }
        if bindings[aor] == nil, !current.isEmpty, bindings.count >= maxAORs { return reply(503, "Registrar Full") }
        bindings[aor] = current.isEmpty ? nil : current
        var ok = reply(200, "OK")
        for b in current {
            ok.headers.add("Contact", "<\(b.contact)>;expires=\((b.expiresAt - now) / 1_000_000)")
        }
        return ok
    }
}
