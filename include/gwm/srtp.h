/*
 * gwm/srtp.h — SRTP and SRTCP (RFC 3711, RFC 7714) for one direction of one
 * leg, with keys handed in by the caller (from the DTLS-SRTP exporter,
 * RFC 5764, or from SDES a=crypto, RFC 4568).
 *
 * A gwm_srtp protects (GWM_SRTP_SEND) or unprotects (GWM_SRTP_RECEIVE) every
 * SSRC of its direction; replay protection is always on. Failures are counted
 * in gwm_srtp_stats and never make the object unusable.
 *
 * Protecting and unprotecting allocate nothing and take no lock: the cipher
 * and MAC states are made by gwm_srtp_create (AES through OpenSSL's libcrypto).
 *
 * Threads: one thread at a time per object; distinct objects on any threads
 * at once, gwm_srtp_create included.
 */
#ifndef GWM_SRTP_H
#define GWM_SRTP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Profiles, numbered as the DTLS use_srtp extension numbers them (RFC 5764, RFC 7714). */
typedef enum gwm_srtp_profile {
    GWM_SRTP_NONE = 0,
    GWM_SRTP_AES128_CM_SHA1_80 = 1,
    GWM_SRTP_AES128_CM_SHA1_32 = 2,
    GWM_SRTP_AEAD_AES_128_GCM = 7
} gwm_srtp_profile;

typedef enum gwm_srtp_direction {
    GWM_SRTP_SEND = 0,
    GWM_SRTP_RECEIVE = 1
} gwm_srtp_direction;

/**
 * Spare capacity a buffer needs beyond the packet for gwm_srtp_protect and
 * gwm_srtp_protect_rtcp (authentication tag and SRTCP index, with room to spare:
 * the value is part of the ABI).
 */
#define GWM_SRTP_MAX_OVERHEAD 148

/** Master key plus salt length of a profile (30 for AES-CM, 28 for GCM), 0 if unknown. */
GWM_API size_t gwm_srtp_key_length(gwm_srtp_profile profile);

typedef struct gwm_srtp gwm_srtp;

typedef struct gwm_srtp_stats {
    uint64_t rtp_ok;
    uint64_t rtcp_ok;
    uint64_t auth_failures;   /**< tag did not verify: wrong key or tampering */
    uint64_t replays;         /**< packet already seen or older than the window */
    uint64_t other_failures;  /**< malformed packet or other library error */
} gwm_srtp_stats;

/**
 * Creates a context. `key` is master key || master salt, exactly
 * gwm_srtp_key_length(profile) bytes; it is copied. On success stores the new
 * object in *out (release with gwm_srtp_destroy).
 */
GWM_API int gwm_srtp_create(gwm_srtp_profile profile, gwm_srtp_direction direction,
                            const uint8_t *GWM_NONNULL key, size_t key_len,
                            gwm_srtp *GWM_NULLABLE *GWM_NONNULL out);

/** Releases a context and wipes its keys. NULL is a no-op. */
GWM_API void gwm_srtp_destroy(gwm_srtp *GWM_NULLABLE srtp);

/**
 * Protects the RTP packet buf[0..*len) in place. `cap` must be at least
 * *len + GWM_SRTP_MAX_OVERHEAD. On success *len is the SRTP length.
 */
GWM_API int gwm_srtp_protect(gwm_srtp *GWM_NONNULL srtp, uint8_t *GWM_NONNULL buf,
                             size_t *GWM_NONNULL len, size_t cap);

/**
 * Verifies and decrypts the SRTP packet buf[0..*len) in place; on success *len
 * is the RTP length. On failure the buffer content is unspecified and the
 * counters say why (GWM_ERR_AUTH, GWM_ERR_REPLAY, GWM_ERR_CRYPTO).
 */
GWM_API int gwm_srtp_unprotect(gwm_srtp *GWM_NONNULL srtp, uint8_t *GWM_NONNULL buf,
                               size_t *GWM_NONNULL len);

/** As gwm_srtp_protect, for a compound RTCP packet (SRTCP, always encrypted). */
GWM_API int gwm_srtp_protect_rtcp(gwm_srtp *GWM_NONNULL srtp, uint8_t *GWM_NONNULL buf,
                                  size_t *GWM_NONNULL len, size_t cap);

/** As gwm_srtp_unprotect, for SRTCP. */
GWM_API int gwm_srtp_unprotect_rtcp(gwm_srtp *GWM_NONNULL srtp, uint8_t *GWM_NONNULL buf,
                                    size_t *GWM_NONNULL len);

/** Copies the counters. */
GWM_API void gwm_srtp_stats_get(const gwm_srtp *GWM_NONNULL srtp,
                                gwm_srtp_stats *GWM_NONNULL out);

#ifdef __cplusplus
}
#endif
#endif
