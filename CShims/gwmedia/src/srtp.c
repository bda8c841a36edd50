/* SRTP/SRTCP through libsrtp2, one direction per context (RFC 3711, RFC 7714). */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "bytes.h"
#include "gwm/srtp.h"

/* Wide enough for the reordering a jitter-free relay sees; libsrtp caps it at 0x8000. */
enum { REPLAY_WINDOW = 512 };
/* A receiving context keeps a stream per authenticated SSRC; bound them so a
 * peer that keeps changing SSRC cannot grow memory without limit. */
enum { MAX_STREAMS = 8 };

struct gwm_srtp {
    srtp_t session;
    gwm_srtp_direction direction;
    gwm_srtp_stats stats;
    uint32_t ssrcs[MAX_STREAMS];
    unsigned ssrc_count;
    unsigned ssrc_oldest;
};

/* srtp_init's status is not kept: a host that initialised libsrtp itself makes
 * a second srtp_init report a failure although the library works; srtp_create
 * below says whether it really does. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void init_library(void) { (void)srtp_init(); }

size_t gwm_srtp_key_length(gwm_srtp_profile profile)
{
    switch (profile) {
    case GWM_SRTP_AES128_CM_SHA1_80:
    case GWM_SRTP_AES128_CM_SHA1_32: return SRTP_AES_ICM_128_KEY_LEN_WSALT;
    case GWM_SRTP_AEAD_AES_128_GCM: return SRTP_AES_GCM_128_KEY_LEN_WSALT;
    default: return 0;
    }
}

static int set_policy(gwm_srtp_profile profile, srtp_policy_t *policy)
{
    switch (profile) {
    case GWM_SRTP_AES128_CM_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
        return GWM_OK;
    case GWM_SRTP_AES128_CM_SHA1_32:
        /* RFC 5764 §4.1.2: the 32-bit tag applies to SRTP only; SRTCP keeps 80 bits. */
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
        return GWM_OK;
    case GWM_SRTP_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
        return GWM_OK;
    default:
        return GWM_ERR_UNSUPPORTED;
    }
}

int gwm_srtp_create(gwm_srtp_profile profile, gwm_srtp_direction direction, const uint8_t *key,
                    size_t key_len, gwm_srtp **out)
{
    if (!out) return GWM_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!key || (direction != GWM_SRTP_SEND && direction != GWM_SRTP_RECEIVE))
        return GWM_ERR_INVALID_ARGUMENT;
    size_t need = gwm_srtp_key_length(profile);
    if (need == 0) return GWM_ERR_UNSUPPORTED;
    if (key_len != need) return GWM_ERR_INVALID_ARGUMENT;

    pthread_once(&init_once, init_library);

    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    int rc = set_policy(profile, &policy);
    if (rc != GWM_OK) return rc;
    uint8_t key_copy[SRTP_MAX_KEY_LEN];
    memcpy(key_copy, key, key_len);
    policy.ssrc.type = direction == GWM_SRTP_SEND ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = key_copy;
    policy.window_size = REPLAY_WINDOW;
    policy.allow_repeat_tx = 0;

    gwm_srtp *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return GWM_ERR_NO_MEMORY;
    ctx->direction = direction;
    srtp_err_status_t st = srtp_create(&ctx->session, &policy);
    memset(key_copy, 0, sizeof key_copy);
    if (st != srtp_err_status_ok) {
        free(ctx);
        return st == srtp_err_status_alloc_fail ? GWM_ERR_NO_MEMORY : GWM_ERR_CRYPTO;
    }
    *out = ctx;
    return GWM_OK;
}

void gwm_srtp_destroy(gwm_srtp *ctx)
{
    if (!ctx) return;
    srtp_dealloc(ctx->session); /* libsrtp zeroizes key material on dealloc */
    free(ctx);
}

static int count_failure(gwm_srtp *ctx, srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_auth_fail:
        ctx->stats.auth_failures++;
        return GWM_ERR_AUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        ctx->stats.replays++;
        return GWM_ERR_REPLAY;
    default:
        ctx->stats.other_failures++;
        return GWM_ERR_CRYPTO;
    }
}

/* Evicts the oldest stream once MAX_STREAMS authenticated SSRCs have been seen. */
static void track_stream(gwm_srtp *ctx, uint32_t ssrc)
{
    for (unsigned i = 0; i < ctx->ssrc_count; i++)
        if (ctx->ssrcs[i] == ssrc) return;
    if (ctx->ssrc_count < MAX_STREAMS) {
        ctx->ssrcs[ctx->ssrc_count++] = ssrc;
        return;
    }
    srtp_remove_stream(ctx->session, htonl(ctx->ssrcs[ctx->ssrc_oldest]));
    ctx->ssrcs[ctx->ssrc_oldest] = ssrc;
    ctx->ssrc_oldest = (ctx->ssrc_oldest + 1) % MAX_STREAMS;
}

static int protect(gwm_srtp *ctx, uint8_t *buf, size_t *len, size_t cap, int rtcp)
{
    if (!ctx || !buf || !len) return GWM_ERR_INVALID_ARGUMENT;
    if (ctx->direction != GWM_SRTP_SEND) return GWM_ERR_INVALID_ARGUMENT;
    if (*len < (rtcp ? 8u : 12u)) { ctx->stats.other_failures++; return GWM_ERR_TRUNCATED; }
    if (*len > (size_t)INT32_MAX - GWM_SRTP_MAX_OVERHEAD || cap < *len + GWM_SRTP_MAX_OVERHEAD)
        return GWM_ERR_BUFFER_TOO_SMALL;
    int n = (int)*len;
    srtp_err_status_t st = rtcp ? srtp_protect_rtcp(ctx->session, buf, &n)
                                : srtp_protect(ctx->session, buf, &n);
    if (st != srtp_err_status_ok) return count_failure(ctx, st);
    *len = (size_t)n;
    return GWM_OK;
}

static int unprotect(gwm_srtp *ctx, uint8_t *buf, size_t *len, int rtcp)
{
    if (!ctx || !buf || !len) return GWM_ERR_INVALID_ARGUMENT;
    if (ctx->direction != GWM_SRTP_RECEIVE) return GWM_ERR_INVALID_ARGUMENT;
    if (*len < (rtcp ? 8u : 12u)) { ctx->stats.other_failures++; return GWM_ERR_TRUNCATED; }
    if (*len > 65535) { ctx->stats.other_failures++; return GWM_ERR_TOO_LARGE; }
    int n = (int)*len;
    srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(ctx->session, buf, &n)
                                : srtp_unprotect(ctx->session, buf, &n);
    if (st != srtp_err_status_ok) return count_failure(ctx, st);
    track_stream(ctx, gwm_rd32(buf + (rtcp ? 4 : 8)));
    *len = (size_t)n;
    if (rtcp) ctx->stats.rtcp_ok++; else ctx->stats.rtp_ok++;
    return GWM_OK;
}

int gwm_srtp_protect(gwm_srtp *ctx, uint8_t *buf, size_t *len, size_t cap)
{
    int rc = protect(ctx, buf, len, cap, 0);
    if (rc == GWM_OK) ctx->stats.rtp_ok++;
    return rc;
}

int gwm_srtp_protect_rtcp(gwm_srtp *ctx, uint8_t *buf, size_t *len, size_t cap)
{
    int rc = protect(ctx, buf, len, cap, 1);
    if (rc == GWM_OK) ctx->stats.rtcp_ok++;
    return rc;
}

int gwm_srtp_unprotect(gwm_srtp *ctx, uint8_t *buf, size_t *len) { return unprotect(ctx, buf, len, 0); }

int gwm_srtp_unprotect_rtcp(gwm_srtp *ctx, uint8_t *buf, size_t *len) { return unprotect(ctx, buf, len, 1); }

void gwm_srtp_stats_get(const gwm_srtp *ctx, gwm_srtp_stats *out)
{
    if (ctx && out) *out = ctx->stats;
}
