/// The SRTP protection suites the media core supports, by their SDES names
/// (RFC 4568, RFC 7714); DTLS-SRTP negotiates the same profiles.
public enum SRTPSuite: String, Sendable {
    case aesCM128HMACSHA1_80 = "AES_CM_128_HMAC_SHA1_80"
    case aesCM128HMACSHA1_32 = "AES_CM_128_HMAC_SHA1_32"
    case aeadAES128GCM = "AEAD_AES_128_GCM"
}
