/*
 * libFuzzer target: SRTP and SRTCP past authentication. A fuzzer cannot forge
 * a tag, so unprotecting its bytes alone stops at the first check; here it
 * drives a sender whose packets a receiver with the same key unprotects, and
 * may flip a bit of one in transit first. Input: a profile byte, then records
 * of [operation, length, bytes]. Holds: whatever the sender protects the
 * receiver restores exactly; a packet with a flipped bit is refused and
 * changes nothing (the intact copy, delivered next, still passes); stray bytes
 * never crash.
 */
#include <stdlib.h>
#include <string.h>

#include <gwm/gwm.h>

enum { CAP = 1024 };

static void deliver(gwm_srtp *tx, gwm_srtp *rx, int rtcp, const uint8_t *plain, size_t len, size_t flip)
{
    uint8_t sealed[CAP + GWM_SRTP_MAX_OVERHEAD], copy[sizeof sealed];
    memcpy(sealed, plain, len);
    size_t n = len;
    int rc = rtcp ? gwm_srtp_protect_rtcp(tx, sealed, &n, sizeof sealed) : gwm_srtp_protect(tx, sealed, &n, sizeof sealed);
    if (rc != GWM_OK) return;
    if (flip) {
        memcpy(copy, sealed, n);
        size_t m = n, bit = ((flip - 1) * 37) % (n * 8);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if ((rtcp ? gwm_srtp_unprotect_rtcp(rx, copy, &m) : gwm_srtp_unprotect(rx, copy, &m)) == GWM_OK) abort();
    }
    size_t back = n;
    if ((rtcp ? gwm_srtp_unprotect_rtcp(rx, sealed, &back) : gwm_srtp_unprotect(rx, sealed, &back)) != GWM_OK) abort();
    if (back != len || memcmp(sealed, plain, len) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gwm_srtp_profile profiles[] = {GWM_SRTP_AES128_CM_SHA1_80, GWM_SRTP_AES128_CM_SHA1_32,
                                                GWM_SRTP_AEAD_AES_128_GCM};
    if (size < 1) return 0;
    gwm_srtp_profile profile = profiles[data[0] % 3];
    uint8_t key[30];
    for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)(i * 7 + 1);
    gwm_srtp *tx = NULL, *rx = NULL;
    if (gwm_srtp_create(profile, GWM_SRTP_SEND, key, gwm_srtp_key_length(profile), &tx) != GWM_OK ||
        gwm_srtp_create(profile, GWM_SRTP_RECEIVE, key, gwm_srtp_key_length(profile), &rx) != GWM_OK)
        abort();
    size_t at = 1;
    while (at + 2 <= size) {
        uint8_t op = data[at], len = data[at + 1];
        at += 2;
        size_t n = len <= size - at ? len : size - at;
        uint8_t packet[CAP + GWM_SRTP_MAX_OVERHEAD];
        memcpy(packet, data + at, n);
        at += n;
        switch (op % 4) {
        case 0: deliver(tx, rx, 0, packet, n, op >> 2); break;
        case 1: deliver(tx, rx, 1, packet, n, op >> 2); break;
        case 2: { size_t m = n; (void)gwm_srtp_unprotect(rx, packet, &m); break; }
        default: { size_t m = n; (void)gwm_srtp_unprotect_rtcp(rx, packet, &m); break; }
        }
    }
    gwm_srtp_destroy(tx);
    gwm_srtp_destroy(rx);
    return 0;
}
