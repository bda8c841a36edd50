import CGatewayTLS
import SDP

/// The gateway's DTLS certificate (ECDSA P-256, self-signed, made at start)
/// and its SHA-256 fingerprint for the SDP. Shared by every call.
public final class DTLSIdentity: @unchecked Sendable {
    let handle: OpaquePointer
    public let fingerprint: Fingerprint

    public init(validDays: Int = 30) throws(DTLSError) {
        guard let id = gwm_dtls_identity_create(Int32(validDays)) else {
            throw .setupFailed("cannot make a certificate")
        }
        var text = [CChar](repeating: 0, count: 200)
        guard gwm_dtls_identity_fingerprint(id, &text, text.count) == 0 else {
            gwm_dtls_identity_release(id)
            throw .setupFailed("cannot compute the fingerprint")
        }
        handle = id
        fingerprint = Fingerprint(algorithm: "sha-256",
                                  value: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    deinit { gwm_dtls_identity_release(handle) }
}

public enum DTLSError: Error, Equatable, Sendable {
    case setupFailed(String)
    case unsupportedFingerprint(String)
}
