/* The media core's SRTP against libsrtp, the reference implementation, byte
 * for byte: for each profile, random master keys and packets (CSRCs, header
 * extensions, empty and long payloads, SRTCP compounds) along a sequence that
 * wraps past 65535 (the rollover counter) and arrives reordered, each side
 * protects what the other unprotects and both protect to the same bytes. And
 * SRTCP a peer sends authenticated but not encrypted (E = 0) is taken as is. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "check.h"
#include "gwm/srtp.h"

enum { PACKETS = 3000 };

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static srtp_t reference(gwm_srtp_profile profile, const uint8_t *key, int inbound, int rtcp_clear)
{
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    switch (profile) {
    case GWM_SRTP_AES128_CM_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        break;
    case GWM_SRTP_AES128_CM_SHA1_32:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
        break;
    default:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
        break;
    }
    if (rtcp_clear) p.rtcp.sec_serv = sec_serv_auth;
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.key = (uint8_t *)key;
    p.window_size = 1024;
    srtp_t s = NULL;
    CHECK(srtp_create(&s, &p) == srtp_err_status_ok);
    return s;
}

/* An RTP packet of `ssrc` and `seq`: random CSRCs, extension and payload. */
static size_t rtp_packet(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
    unsigned csrcs = next_random() % 3, extension = next_random() % 2, words = next_random() % 3;
    size_t payload = next_random() % 5 == 0 ? 0 : next_random() % 300;
    size_t n = 0;
    p[n++] = (uint8_t)(0x80 | (extension << 4) | csrcs);
    p[n++] = 0;
    p[n++] = (uint8_t)(seq >> 8);
    p[n++] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) p[n++] = (uint8_t)next_random();
    for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(ssrc >> (24 - 8 * i));
    for (unsigned i = 0; i < csrcs * 4; i++) p[n++] = (uint8_t)next_random();
    if (extension) {
        p[n++] = 0xbe; p[n++] = 0xde; p[n++] = 0; p[n++] = (uint8_t)words;
        for (unsigned i = 0; i < words * 4; i++) p[n++] = (uint8_t)next_random();
    }
    for (size_t i = 0; i < payload; i++) p[n++] = (uint8_t)next_random();
    return n;
}

static size_t rtcp_packet(uint8_t *p, uint32_t ssrc)
{
    size_t words = 1 + next_random() % 20, n = 0;
    p[n++] = 0x80; p[n++] = 201; p[n++] = (uint8_t)(words >> 8); p[n++] = (uint8_t)words;
    for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(ssrc >> (24 - 8 * i));
    for (size_t i = 0; i < words * 4; i++) p[n++] = (uint8_t)next_random();
    return n;
}

static void run(gwm_srtp_profile profile)
{
    uint8_t key[30];
    size_t key_len = gwm_srtp_key_length(profile);
    for (size_t i = 0; i < key_len; i++) key[i] = (uint8_t)next_random();
    gwm_srtp *our_tx = NULL, *our_rx = NULL;
    CHECK(gwm_srtp_create(profile, GWM_SRTP_SEND, key, key_len, &our_tx) == GWM_OK);
    CHECK(gwm_srtp_create(profile, GWM_SRTP_RECEIVE, key, key_len, &our_rx) == GWM_OK);
    srtp_t ref_tx = reference(profile, key, 0, 0), ref_rx = reference(profile, key, 1, 0);
    if (!our_tx || !our_rx || !ref_tx || !ref_rx) return;

    uint32_t ssrc = next_random();
    uint16_t seq = (uint16_t)(65536 - PACKETS / 2); /* wraps half way: the second half has ROC 1 */
    for (int n = 0; n < PACKETS; n++) {
        /* Now and then the next two packets change places (both sides must take both). */
        uint16_t this_seq = (n % 50 == 10) ? (uint16_t)(seq + 1) : (n % 50 == 11) ? (uint16_t)(seq - 1) : seq;
        uint8_t plain[600], ours[800], theirs[800];
        int rtcp = n % 10 == 5;
        size_t len = rtcp ? rtcp_packet(plain, ssrc) : rtp_packet(plain, ssrc, this_seq);
        memcpy(ours, plain, len);
        memcpy(theirs, plain, len);
        size_t our_len = len;
        int their_len = (int)len;
        if (rtcp) {
            CHECK(gwm_srtp_protect_rtcp(our_tx, ours, &our_len, sizeof ours) == GWM_OK);
            CHECK(srtp_protect_rtcp(ref_tx, theirs, &their_len) == srtp_err_status_ok);
        } else {
            CHECK(gwm_srtp_protect(our_tx, ours, &our_len, sizeof ours) == GWM_OK);
            CHECK(srtp_protect(ref_tx, theirs, &their_len) == srtp_err_status_ok);
        }
        CHECK(our_len == (size_t)their_len && memcmp(ours, theirs, our_len) == 0);
        /* Each unprotects what the other protected. */
        int ref_len = (int)our_len;
        CHECK((rtcp ? srtp_unprotect_rtcp(ref_rx, ours, &ref_len) : srtp_unprotect(ref_rx, ours, &ref_len)) ==
              srtp_err_status_ok);
        CHECK(ref_len == (int)len && memcmp(ours, plain, len) == 0);
        size_t back = (size_t)their_len;
        CHECK((rtcp ? gwm_srtp_unprotect_rtcp(our_rx, theirs, &back) : gwm_srtp_unprotect(our_rx, theirs, &back)) == GWM_OK);
        CHECK(back == len && memcmp(theirs, plain, len) == 0);
        if (!rtcp) seq++;
        if (failures > 20) break;
    }
    gwm_srtp_stats s;
    gwm_srtp_stats_get(our_rx, &s);
    CHECK(s.auth_failures == 0 && s.replays == 0 && s.other_failures == 0 && s.rtp_ok + s.rtcp_ok == PACKETS);
    gwm_srtp_destroy(our_tx);
    gwm_srtp_destroy(our_rx);
    srtp_dealloc(ref_tx);
    srtp_dealloc(ref_rx);
}

/* A peer's SRTCP with E = 0 (RFC 3711 §3.4): authenticated, the payload in clear. */
static void clear_rtcp(gwm_srtp_profile profile)
{
    uint8_t key[30];
    size_t key_len = gwm_srtp_key_length(profile);
    for (size_t i = 0; i < key_len; i++) key[i] = (uint8_t)next_random();
    gwm_srtp *our_rx = NULL;
    CHECK(gwm_srtp_create(profile, GWM_SRTP_RECEIVE, key, key_len, &our_rx) == GWM_OK);
    srtp_t ref_tx = reference(profile, key, 0, 1);
    if (!our_rx || !ref_tx) return;
    for (int n = 0; n < 50; n++) {
        uint8_t plain[200], sealed[400];
        size_t len = rtcp_packet(plain, 0x5eed);
        memcpy(sealed, plain, len);
        int sealed_len = (int)len;
        CHECK(srtp_protect_rtcp(ref_tx, sealed, &sealed_len) == srtp_err_status_ok);
        size_t e_flag = profile == GWM_SRTP_AEAD_AES_128_GCM ? len + 16 : len; /* GCM: after the tag */
        CHECK(memcmp(sealed, plain, len) == 0 && (sealed[e_flag] & 0x80) == 0);
        size_t back = (size_t)sealed_len;
        CHECK(gwm_srtp_unprotect_rtcp(our_rx, sealed, &back) == GWM_OK && back == len && memcmp(sealed, plain, len) == 0);
        /* The payload is still under the tag. */
        sealed_len = (int)len;
        memcpy(sealed, plain, len);
        CHECK(srtp_protect_rtcp(ref_tx, sealed, &sealed_len) == srtp_err_status_ok);
        sealed[9] ^= 1;
        back = (size_t)sealed_len;
        CHECK(gwm_srtp_unprotect_rtcp(our_rx, sealed, &back) == GWM_ERR_AUTH);
    }
    gwm_srtp_destroy(our_rx);
    srtp_dealloc(ref_tx);
}

int main(void)
{
    CHECK(srtp_init() == srtp_err_status_ok);
    run(GWM_SRTP_AES128_CM_SHA1_80);
    run(GWM_SRTP_AES128_CM_SHA1_32);
    run(GWM_SRTP_AEAD_AES_128_GCM);
    clear_rtcp(GWM_SRTP_AES128_CM_SHA1_80);
    clear_rtcp(GWM_SRTP_AES128_CM_SHA1_32);
    clear_rtcp(GWM_SRTP_AEAD_AES_128_GCM);
    printf("SRTP against libsrtp: %d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
