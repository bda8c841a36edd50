import Synchronization
import WireInput

/// A location service and registrar (RFC 3261 §10.3) as a sans-IO core: the
/// embedded SIP server keeps where each address of record can be reached.
/// Its loops share one: the table is behind a lock, held for one lookup or
/// one REGISTER (SIP signaling only, never per media packet).
public final class Registrar: Sendable {
    public struct Binding: Equatable, Sendable {
        public var contact: String      // the Contact URI as registered
        public var expiresAt: UInt64    // µs, caller's clock
        public var callID: String
        public var cseq: UInt32
        public var peer: SIPPeer?       // where the REGISTER came from (for NAT traversal)
    }

    public let defaultExpires = 3600
    public let minExpires = 60
    public let maxExpires = 7200
    public let maxBindingsPerAOR: Int
    public let maxAORs: Int
    private let table = Mutex<[String: [Binding]]>([:])

    public init(maxBindingsPerAOR: Int = 10, maxAORs: Int = 100_000) {
        self.maxBindingsPerAOR = maxBindingsPerAOR
        self.maxAORs = maxAORs
    }

    /// The address-of-record key of a URI: user@host, case-insensitive host.
    public static func aor(_ uri: SIPURI) -> String { "\(uri.user ?? "")@\(uri.host.lowercased())" }

    /// Current contacts of an AOR, pruning the expired ones.
    public func lookup(_ aor: String, now: UInt64) -> [Binding] {
        table.withLock { Self.live(aor, in: &$0, now: now) }
    }

    private static func live(_ aor: String, in bindings: inout [String: [Binding]], now: UInt64) -> [Binding] {
        let live = (bindings[aor] ?? []).filter { $0.expiresAt > now }
        bindings[aor] = live.isEmpty ? nil : live
        return live
    }

    /// The live binding whose Contact is exactly `uri` (an in-dialog request's target).
    public func binding(contact uri: SIPURI, now: UInt64) -> Binding? {
        let text = uri.description.lowercased()
        return table.withLock { bindings in
            for aor in Array(bindings.keys) {
                if let b = Self.live(aor, in: &bindings, now: now).first(where: { $0.contact.lowercased() == text }) { return b }
            }
            return nil
        }
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
        return table.withLock { bindings in
            update(aor, in: &bindings, contacts: contacts, headerExpires: headerExpires, callID: callID, cseq: cseq.number,
                   from: peer, now: now, reply: reply)
        }
    }

    /// A REGISTER's contacts applied to `aor`'s bindings (under the lock).
    private func update(_ aor: String, in bindings: inout [String: [Binding]], contacts: [String], headerExpires: Int?,
                        callID: String, cseq: UInt32, from peer: SIPPeer, now: UInt64,
                        reply: (Int, String) -> SIPResponse) -> SIPResponse {
        var current = Self.live(aor, in: &bindings, now: now)

        if contacts == ["*"] {
            guard headerExpires == 0 else { return reply(400, "Wildcard Contact Needs Expires: 0") }
            current.removeAll { $0.callID != callID || $0.cseq < cseq }
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
                    if current[old].callID == callID && current[old].cseq >= cseq { continue }
                    current.remove(at: old)
                }
                if expires > 0 {
                    guard current.count < maxBindingsPerAOR else { return reply(403, "Too Many Contacts") }
                    current.append(Binding(contact: uri, expiresAt: WireNumber.deadline(now, plus: WireNumber.microseconds(seconds: min(expires, maxExpires))),
                                           callID: callID, cseq: cseq, peer: peer))
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
