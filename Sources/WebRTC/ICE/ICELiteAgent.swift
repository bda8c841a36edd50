import SDP
import STUN

/// The ICE-lite side of RFC 8445 §2.5 for one component (rtcp-mux, BUNDLE):
/// it answers connectivity checks, takes the pair the controlling peer
/// nominates, follows the peer to a new address, and tracks consent
/// freshness (RFC 7675). Sans-IO: the caller passes datagrams and `now`
/// (microseconds) in and sends the responses it gets back.
public struct ICELiteAgent: Sendable {
    public enum Event: Equatable, Sendable {
        /// Media and DTLS go to this address from now on.
        case selected(TransportAddress)
        /// No valid check from the selected address for `consentTimeout`.
        case consentExpired
        /// A check that was refused, and why (for the log).
        case refused(TransportAddress, String)
    }

    public private(set) var local: ICECredentials
    public private(set) var remote: ICECredentials?
    public private(set) var selected: TransportAddress?
    public private(set) var remoteCandidates: [Candidate] = []
    public let consentTimeout: UInt64
    private var lastConsent: [TransportAddress: UInt64] = [:]
    private var consentExpired = false
    static let maxTrackedAddresses = 16
    static let maxRemoteCandidates = 32

    public init(local: ICECredentials, remote: ICECredentials?, consentTimeout: UInt64 = 30_000_000) {
        self.local = local
        self.remote = remote
        self.consentTimeout = consentTimeout
    }

    /// A new offer or answer: an ICE restart when the peer's credentials
    /// change; the caller supplies our fresh ones too (RFC 8445 §9).
    public mutating func restart(local: ICECredentials, remote: ICECredentials) {
        self.local = local
        self.remote = remote
        lastConsent = [:]
        remoteCandidates = []
        consentExpired = false
        // The selected address stays in use until a check on the new credentials nominates another.
    }

    /// A trickled or SDP candidate. The lite agent sends no checks, so it only
    /// keeps them for diagnostics; mDNS names cannot be resolved here and are skipped.
    public mutating func addRemoteCandidate(_ c: Candidate) {
        guard !c.isMDNS, remoteCandidates.count < Self.maxRemoteCandidates else { return }
        remoteCandidates.append(c)
    }

    /// Whether `address` passed a connectivity check: only such addresses may
    /// start DTLS or send media.
    public func isValidated(_ address: TransportAddress) -> Bool { lastConsent[address] != nil }

    /// Handles a STUN datagram; returns the response to send back to `from`, if any.
    public mutating func handle(stun bytes: [UInt8], from: TransportAddress, now: UInt64)
        -> (response: [UInt8]?, events: [Event]) {
        let key = Array(local.pwd.utf8)
        let message: STUNMessage
        do {
            message = try STUNCoder.decode(bytes, integrityKey: key)
        } catch .badIntegrity {
            return refuse(bytes, from, 401, "Unauthorized", "MESSAGE-INTEGRITY does not verify (wrong ICE password)")
        } catch .missingIntegrity {
            return refuse(bytes, from, 400, "Bad Request", "check without MESSAGE-INTEGRITY")
        } catch {
            return (nil, [.refused(from, "not a valid STUN message: \(error)")])
        }
        guard message.messageClass == .request, message.method == STUNMessage.bindingMethod else {
            return (nil, []) // indications and stray responses need no answer
        }
        let unknown = message.unknownRequiredAttributes
        guard unknown.isEmpty else {
            return (errorResponse(message, 420, "Unknown Attribute", extra: [.unknown(unknown)]),
                    [.refused(from, "unknown comprehension-required attributes \(unknown)")])
        }
        guard let username = message.username, username.hasPrefix(local.ufrag + ":") else {
            return (errorResponse(message, 401, "Unauthorized"), [.refused(from, "USERNAME is not for this session")])
        }
        guard message.iceControlled == nil else {
            // Both sides controlled: a lite agent cannot take the controlling role (§7.3.1.1).
            return (errorResponse(message, 487, "Role Conflict"), [.refused(from, "peer is ICE-CONTROLLED too")])
        }

        if lastConsent[from] == nil, lastConsent.count >= Self.maxTrackedAddresses,
           let oldest = lastConsent.min(by: { $0.value < $1.value })?.key {
            lastConsent[oldest] = nil
        }
        lastConsent[from] = now
        var events: [Event] = []
        if message.hasUseCandidate, selected != from {
            selected = from
            consentExpired = false
            events.append(.selected(from))
        }
        let success = STUNMessage(class: .success, transactionID: message.transactionID, attributes: [
            .xorMapped(address: from.ip, port: from.port, transactionID: message.transactionID),
        ])
        return (STUNCoder.encode(success, integrityKey: key), events)
    }

    /// Checks consent freshness.
    public mutating func poll(now: UInt64) -> [Event] {
        guard let selected, !consentExpired, let last = lastConsent[selected] ?? Optional(0),
              now >= last + consentTimeout else { return [] }
        consentExpired = true
        return [.consentExpired]
    }

    /// When `poll` next has something to check.
    public var nextTimeout: UInt64? {
        guard let selected, !consentExpired else { return nil }
        return (lastConsent[selected] ?? 0) + consentTimeout
    }

    private func refuse(_ bytes: [UInt8], _ from: TransportAddress, _ code: Int, _ phrase: String, _ why: String)
        -> (response: [UInt8]?, events: [Event]) {
        guard let request = try? STUNCoder.decode(bytes), request.messageClass == .request else {
            return (nil, [.refused(from, why)])
        }
        return (errorResponse(request, code, phrase), [.refused(from, why)])
    }

    private func errorResponse(_ request: STUNMessage, _ code: Int, _ phrase: String,
                               extra: [STUNAttribute] = []) -> [UInt8] {
        let m = STUNMessage(method: request.method, class: .error, transactionID: request.transactionID,
                            attributes: [.error(code, phrase)] + extra)
        return STUNCoder.encode(m, integrityKey: nil)
    }
}
