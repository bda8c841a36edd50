/*
 * gwm_tls.h — the OpenSSL shim of the Swift side: a sans-IO DTLS 1.2
 * endpoint for DTLS-SRTP (RFC 5764) and HMAC-SHA1 for STUN.
 *
 * The endpoint owns no socket: datagrams go in with gwm_dtls_feed and come
 * out with gwm_dtls_pull. OpenSSL keeps its retransmission timer on its own
 * clock; the caller asks gwm_dtls_timeout_ms when to call
 * gwm_dtls_handle_timeout. Not a public ABI of the media core (see
 * include/gwm for that).
 *
 * Threads: an identity may be shared by endpoints on any thread (OpenSSL
 * reference-counts it); an endpoint is used by one thread at a time.
 */
#ifndef GWM_TLS_H
#define GWM_TLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Hashes data with "MD5", "SHA256" or "SHA512-256" (for SIP digest
 * authentication) into out[0..cap). Returns the digest length, or -1 for an
 * unknown algorithm or a short buffer. Thread-safe.
 */
int gwm_hash(const char *algorithm, const uint8_t *data, size_t len, uint8_t *out, size_t cap);

/** Writes HMAC-SHA1(key, data) into out[20]. Returns 0, or -1 on failure. Thread-safe. */
int gwm_hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[20]);

/** A certificate and its key: ECDSA P-256, self-signed, made at creation. */
typedef struct gwm_dtls_identity gwm_dtls_identity;

/** Makes a new identity valid for `days`. Returns NULL on failure. Caller releases it. */
gwm_dtls_identity *gwm_dtls_identity_create(int days);
void gwm_dtls_identity_release(gwm_dtls_identity *identity);
/** Writes the "sha-256" fingerprint as "AB:CD:..." (96 bytes incl. NUL) into out. 0 or -1. */
int gwm_dtls_identity_fingerprint(const gwm_dtls_identity *identity, char *out, size_t cap);

typedef struct gwm_dtls gwm_dtls;

enum {
    GWM_DTLS_HANDSHAKING = 0,
    GWM_DTLS_CONNECTED = 1,
    GWM_DTLS_FAILED = 2,
    GWM_DTLS_CLOSED = 3
};

/** A new endpoint, client (is_server = 0) or server. Holds a reference to the identity. */
gwm_dtls *gwm_dtls_create(gwm_dtls_identity *identity, int is_server);
void gwm_dtls_destroy(gwm_dtls *dtls);

/**
 * The fingerprint the peer's certificate must have, as in its SDP
 * (algorithm "sha-256", "sha-1", "sha-384" or "sha-512"; hex pairs with colons).
 * The handshake fails when it does not match. Returns 0, or -1 for an unknown
 * algorithm or a value that is not exactly the hash's bytes as "XX:XX:...".
 * Reads `value` only up to its NUL.
 */
int gwm_dtls_expect_fingerprint(gwm_dtls *dtls, const char *algorithm, const char *value);

/** Starts the handshake (a client sends its ClientHello). Returns the state. */
int gwm_dtls_start(gwm_dtls *dtls);

/** Processes one received datagram. Returns the state. */
int gwm_dtls_feed(gwm_dtls *dtls, const uint8_t *data, size_t len);

/**
 * Takes the next datagram to send into buf[0..cap): returns its length, 0 when
 * none is waiting, -1 if cap is too small (the datagram stays queued).
 */
int gwm_dtls_pull(gwm_dtls *dtls, uint8_t *buf, size_t cap);

/** Milliseconds until gwm_dtls_handle_timeout is due, or -1 when no timer runs. */
long gwm_dtls_timeout_ms(gwm_dtls *dtls);
/** Retransmits the last flight if OpenSSL's timer expired; gives up after too many tries. Returns the state. */
int gwm_dtls_handle_timeout(gwm_dtls *dtls);

int gwm_dtls_state(const gwm_dtls *dtls);
/** Why the endpoint failed (static or endpoint-owned text; never NULL). */
const char *gwm_dtls_failure(const gwm_dtls *dtls);

/**
 * After the handshake: the negotiated SRTP protection profile (1, 2 or 7 as
 * gwm_srtp_profile numbers them) and the keys of RFC 5764 §4.2, each master
 * key || master salt: `send_key` protects what this side sends. Returns the
 * key length (30 or 28), or -1.
 */
int gwm_dtls_srtp_keys(gwm_dtls *dtls, int *profile, uint8_t *send_key, uint8_t *receive_key, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
