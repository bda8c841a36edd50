/* SRTP and SRTCP on OpenSSL's libcrypto, one direction per context:
 * AES-CM with HMAC-SHA1 (RFC 3711) and AES-GCM (RFC 7714).
 *
 * Why not libsrtp: Debian's libsrtp2 is built on NSS, which creates and frees
 * a cipher context for every packet (14 heap allocations per packet, and most
 * of the media core's CPU when relaying). Here every cipher and MAC state is
 * made once per context: a packet costs no allocation, no lock. libsrtp stays
 * the reference the tests compare against byte for byte. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_* on a copied SHA_CTX: an HMAC without allocating */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bytes.h"
#include "gwm/srtp.h"
#include "rtp_header.h"

/* Wide enough for the reordering a jitter-free relay sees. */
enum { REPLAY_WINDOW = 512, REPLAY_WORDS = REPLAY_WINDOW / 64 };
/* A receiving context keeps a stream per authenticated SSRC; bound them so a
 * peer that keeps changing SSRC cannot grow memory without limit. */
enum { MAX_STREAMS = 8 };
enum { KEY_LEN = 16, CM_SALT_LEN = 14, GCM_SALT_LEN = 12, AUTH_KEY_LEN = 20, GCM_TAG_LEN = 16, SRTCP_INDEX_LEN = 4 };

/* Received (or sent) indexes: the highest, and which of the REPLAY_WINDOW below it were seen. */
typedef struct replay_window {
    uint64_t highest;
    uint64_t seen[REPLAY_WORDS]; /* bit (index % REPLAY_WINDOW) */
    int any;
} replay_window;

typedef struct stream {
    uint32_t ssrc;
    int used;
    uint32_t roc;        /* RTP rollover counter (RFC 3711 §3.3.1) */
    uint16_t last_seq;   /* s_l: the highest sequence number taken */
    replay_window rtp;
    replay_window rtcp;
    uint32_t rtcp_sent;  /* sending: the last SRTCP index used (the first is 1, as libsrtp's) */
} stream;

/* The keys of one of RTP or RTCP, derived from the master key (RFC 3711 §4.3). */
typedef struct session_keys {
    EVP_CIPHER_CTX *cipher;
    uint8_t salt[CM_SALT_LEN];
    SHA_CTX inner, outer; /* HMAC-SHA1 with the session auth key, after the key's block */
} session_keys;

struct gwm_srtp {
    gwm_srtp_direction direction;
    int gcm;
    size_t rtp_tag, rtcp_tag;
    session_keys rtp, rtcp;
    stream streams[MAX_STREAMS];
    unsigned oldest;
    gwm_srtp_stats stats;
};

size_t gwm_srtp_key_length(gwm_srtp_profile profile)
{
    switch (profile) {
    case GWM_SRTP_AES128_CM_SHA1_80:
    case GWM_SRTP_AES128_CM_SHA1_32: return KEY_LEN + CM_SALT_LEN;
    case GWM_SRTP_AEAD_AES_128_GCM: return KEY_LEN + GCM_SALT_LEN;
    default: return 0;
    }
}

/* ---- key derivation (RFC 3711 §4.3.1, key derivation rate 0; RFC 7714 §11) ---- */

/* `len` bytes of the AES-CM PRF for `label`: AES-CTR under the master key from
 * IV = (master salt, zero-padded to 14 bytes, XOR label at byte 7) || 0x0000. */
static int derive(const uint8_t *master_key, const uint8_t *master_salt, size_t salt_len, uint8_t label,
                  uint8_t *out, size_t len)
{
    uint8_t iv[16] = {0};
    memcpy(iv, master_salt, salt_len);
    iv[7] ^= label;
    memset(out, 0, len);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, master_key, iv) == 1 &&
                    EVP_EncryptUpdate(ctx, out, &n, out, (int)len) == 1 && n == (int)len;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* HMAC-SHA1's inner and outer states after the key's padded block (RFC 2104). */
static void hmac_key(session_keys *k, const uint8_t key[AUTH_KEY_LEN])
{
    uint8_t pad[64];
    memset(pad, 0x36, sizeof pad);
    for (int i = 0; i < AUTH_KEY_LEN; i++) pad[i] ^= key[i];
    SHA1_Init(&k->inner);
    SHA1_Update(&k->inner, pad, sizeof pad);
    memset(pad, 0x5c, sizeof pad);
    for (int i = 0; i < AUTH_KEY_LEN; i++) pad[i] ^= key[i];
    SHA1_Init(&k->outer);
    SHA1_Update(&k->outer, pad, sizeof pad);
    OPENSSL_cleanse(pad, sizeof pad);
}

/* Labels 0-2 (RTP) or 3-5 (RTCP): the encryption key, the auth key, the salt. */
static int session_init(session_keys *k, int gcm, const uint8_t *master_key, const uint8_t *master_salt,
                        size_t salt_len, uint8_t first_label)
{
    uint8_t key[KEY_LEN], auth[AUTH_KEY_LEN];
    int ok = derive(master_key, master_salt, salt_len, first_label, key, sizeof key) &&
             derive(master_key, master_salt, salt_len, (uint8_t)(first_label + 2), k->salt,
                    gcm ? GCM_SALT_LEN : CM_SALT_LEN) &&
             (gcm || derive(master_key, master_salt, salt_len, (uint8_t)(first_label + 1), auth, sizeof auth));
    if (ok && !gcm) hmac_key(k, auth);
    k->cipher = ok ? EVP_CIPHER_CTX_new() : NULL;
    ok = k->cipher && EVP_CipherInit_ex(k->cipher, gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(), NULL, key, NULL, -1) == 1;
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(auth, sizeof auth);
    return ok;
}

static void session_free(session_keys *k)
{
    EVP_CIPHER_CTX_free(k->cipher); /* wipes the key schedule */
    OPENSSL_cleanse(k, sizeof *k);
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

    gwm_srtp *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return GWM_ERR_NO_MEMORY;
    ctx->direction = direction;
    ctx->gcm = profile == GWM_SRTP_AEAD_AES_128_GCM;
    /* RFC 5764 §4.1.2: the 32-bit tag applies to SRTP only; SRTCP keeps 80 bits. */
    ctx->rtp_tag = ctx->gcm ? GCM_TAG_LEN : profile == GWM_SRTP_AES128_CM_SHA1_32 ? 4 : 10;
    ctx->rtcp_tag = ctx->gcm ? GCM_TAG_LEN : 10;
    size_t salt_len = key_len - KEY_LEN;
    if (!session_init(&ctx->rtp, ctx->gcm, key, key + KEY_LEN, salt_len, 0) ||
        !session_init(&ctx->rtcp, ctx->gcm, key, key + KEY_LEN, salt_len, 3)) {
        gwm_srtp_destroy(ctx);
        return GWM_ERR_CRYPTO;
    }
    *out = ctx;
    return GWM_OK;
}

void gwm_srtp_destroy(gwm_srtp *ctx)
{
    if (!ctx) return;
    session_free(&ctx->rtp);
    session_free(&ctx->rtcp);
    OPENSSL_cleanse(ctx, sizeof *ctx);
    free(ctx);
}

/* ---- streams and replay windows ---- */

static stream *find_stream(gwm_srtp *ctx, uint32_t ssrc)
{
    for (unsigned i = 0; i < MAX_STREAMS; i++)
        if (ctx->streams[i].used && ctx->streams[i].ssrc == ssrc) return &ctx->streams[i];
    return NULL;
}

/* The stream of `ssrc` once a packet of it authenticated (or was sent): a new
 * one takes a free slot, or the oldest stream's. */
static stream *keep_stream(gwm_srtp *ctx, const stream *candidate)
{
    stream *s = find_stream(ctx, candidate->ssrc);
    if (s) return s;
    for (unsigned i = 0; i < MAX_STREAMS; i++)
        if (!ctx->streams[i].used) { s = &ctx->streams[i]; break; }
    if (!s) {
        s = &ctx->streams[ctx->oldest];
        ctx->oldest = (ctx->oldest + 1) % MAX_STREAMS;
    }
    *s = *candidate;
    s->used = 1;
    return s;
}

static int window_bit(const replay_window *w, uint64_t index)
{
    unsigned bit = (unsigned)(index % REPLAY_WINDOW);
    return (int)((w->seen[bit / 64] >> (bit % 64)) & 1);
}

/* GWM_OK when `index` was not seen and is within the window. */
static int window_check(const replay_window *w, uint64_t index)
{
    if (!w->any || index > w->highest) return GWM_OK;
    if (w->highest - index >= REPLAY_WINDOW || window_bit(w, index)) return GWM_ERR_REPLAY;
    return GWM_OK;
}

static void window_take(replay_window *w, uint64_t index)
{
    if (!w->any) {
        memset(w->seen, 0, sizeof w->seen);
        w->highest = index;
        w->any = 1;
    } else if (index > w->highest) {
        if (index - w->highest >= REPLAY_WINDOW) {
            memset(w->seen, 0, sizeof w->seen);
        } else {
            for (uint64_t i = w->highest + 1; i < index; i++) {
                unsigned bit = (unsigned)(i % REPLAY_WINDOW);
                w->seen[bit / 64] &= ~((uint64_t)1 << (bit % 64));
            }
        }
        w->highest = index;
    }
    unsigned bit = (unsigned)(index % REPLAY_WINDOW);
    w->seen[bit / 64] |= (uint64_t)1 << (bit % 64);
}

/* The packet index of `seq` given the stream's state (RFC 3711 Appendix A);
 * 0 with *roc_out unchanged and a failure when it would precede the first rollover. */
static int estimate_index(const stream *s, uint16_t seq, uint32_t *roc_out, uint64_t *index)
{
    uint32_t v = s->roc;
    if (s->rtp.any) {
        if (s->last_seq < 32768) {
            if (seq > s->last_seq && seq - s->last_seq > 32768) {
                if (v == 0) return GWM_ERR_REPLAY;
                v--;
            }
        } else if (s->last_seq - 32768 > seq) {
            v++;
        }
    }
    *roc_out = v;
    *index = ((uint64_t)v << 16) | seq;
    return GWM_OK;
}

static void stream_took_rtp(stream *s, uint32_t roc, uint16_t seq, uint64_t index)
{
    if (!s->rtp.any || index > s->rtp.highest) {
        s->roc = roc;
        s->last_seq = seq;
    }
    window_take(&s->rtp, index);
}

/* ---- the transforms ---- */

static void hmac_tag(const session_keys *k, const uint8_t *data, size_t len, const uint8_t *suffix,
                     size_t suffix_len, uint8_t out[SHA_DIGEST_LENGTH])
{
    SHA_CTX c = k->inner;
    SHA1_Update(&c, data, len);
    if (suffix_len) SHA1_Update(&c, suffix, suffix_len);
    uint8_t inner[SHA_DIGEST_LENGTH];
    SHA1_Final(inner, &c);
    c = k->outer;
    SHA1_Update(&c, inner, sizeof inner);
    SHA1_Final(out, &c);
}

/* AES-CM in place: IV = salt XOR (ssrc at bytes 4-7) XOR (48-bit index at bytes 8-13). */
static int ctr_crypt(const session_keys *k, uint32_t ssrc, uint64_t index, uint8_t *p, size_t len)
{
    uint8_t iv[16] = {0};
    memcpy(iv, k->salt, CM_SALT_LEN);
    for (int i = 0; i < 4; i++) iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++) iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
    int n = 0;
    if (EVP_EncryptInit_ex(k->cipher, NULL, NULL, NULL, iv) != 1) return 0;
    return len == 0 || (EVP_EncryptUpdate(k->cipher, p, &n, p, (int)len) == 1 && n == (int)len);
}

/* AES-GCM in place with `aad`; sealing writes the tag at p + len, opening checks it there. */
static int gcm_crypt(const session_keys *k, int seal, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                     const uint8_t *aad2, size_t aad2_len, uint8_t *p, size_t len)
{
    EVP_CIPHER_CTX *c = k->cipher;
    int n = 0;
    if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, seal) != 1) return 0;
    if (EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1) return 0;
    if (aad2_len && EVP_CipherUpdate(c, NULL, &n, aad2, (int)aad2_len) != 1) return 0;
    if (len && (EVP_CipherUpdate(c, p, &n, p, (int)len) != 1 || n != (int)len)) return 0;
    if (!seal && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, p + len) != 1) return 0;
    if (EVP_CipherFinal_ex(c, p + len, &n) != 1) return 0;
    return !seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, p + len) == 1;
}

/* RFC 7714 §8.1 and §9.1: (0x0000 || SSRC || high 32 bits || low 16 bits) XOR salt; for RTP
 * high is the ROC and low the sequence number, for RTCP (0x0000 || SRTCP index) both together. */
static void gcm_iv(const session_keys *k, uint32_t ssrc, uint32_t high, uint32_t low, uint8_t iv[12])
{
    uint8_t fields[12] = {0};
    gwm_wr32(fields + 2, ssrc);
    gwm_wr32(fields + 6, high);
    gwm_wr16(fields + 10, (uint16_t)low);
    for (int i = 0; i < 12; i++) iv[i] = fields[i] ^ k->salt[i];
}

/* Where an RTP packet stands in its stream: its header's length, the stream
 * (or a fresh one for a new SSRC), the rollover counter and the packet index. */
typedef struct rtp_position {
    size_t header;
    uint32_t ssrc, roc;
    uint16_t seq;
    uint64_t index;
    stream *known;
    stream fresh;
} rtp_position;

/* GWM_ERR_REPLAY for an index already taken or too old: sending one twice would
 * encrypt two payloads with one keystream, taking one twice is a replay. */
static int locate_rtp(gwm_srtp *ctx, const uint8_t *buf, size_t len, rtp_position *at)
{
    if (rtp_header_size(buf, len, &at->header) != GWM_OK) return GWM_ERR_MALFORMED;
    at->ssrc = gwm_rd32(buf + 8);
    at->seq = gwm_rd16(buf + 2);
    memset(&at->fresh, 0, sizeof at->fresh);
    at->fresh.ssrc = at->ssrc;
    at->known = find_stream(ctx, at->ssrc);
    const stream *s = at->known ? at->known : &at->fresh;
    int rc = estimate_index(s, at->seq, &at->roc, &at->index);
    return rc == GWM_OK ? window_check(&s->rtp, at->index) : rc;
}

static void took_rtp(gwm_srtp *ctx, rtp_position *at)
{
    stream_took_rtp(keep_stream(ctx, at->known ? at->known : &at->fresh), at->roc, at->seq, at->index);
}

static int protect_rtp(gwm_srtp *ctx, uint8_t *buf, size_t *len)
{
    rtp_position at;
    int rc = locate_rtp(ctx, buf, *len, &at);
    if (rc != GWM_OK) return rc;
    size_t h = at.header, body = *len - h;
    if (ctx->gcm) {
        uint8_t iv[12];
        gcm_iv(&ctx->rtp, at.ssrc, at.roc, at.seq, iv);
        if (!gcm_crypt(&ctx->rtp, 1, iv, buf, h, NULL, 0, buf + h, body)) return GWM_ERR_CRYPTO;
    } else {
        if (!ctr_crypt(&ctx->rtp, at.ssrc, at.index, buf + h, body)) return GWM_ERR_CRYPTO;
        uint8_t roc_bytes[4], tag[SHA_DIGEST_LENGTH];
        gwm_wr32(roc_bytes, at.roc);
        hmac_tag(&ctx->rtp, buf, *len, roc_bytes, sizeof roc_bytes, tag);
        memcpy(buf + *len, tag, ctx->rtp_tag);
    }
    *len += ctx->rtp_tag;
    took_rtp(ctx, &at);
    return GWM_OK;
}

static int unprotect_rtp(gwm_srtp *ctx, uint8_t *buf, size_t *len)
{
    if (*len < 12 + ctx->rtp_tag) return GWM_ERR_MALFORMED;
    size_t sealed = *len - ctx->rtp_tag;
    rtp_position at;
    int rc = locate_rtp(ctx, buf, sealed, &at);
    if (rc != GWM_OK) return rc;
    size_t h = at.header;
    if (ctx->gcm) {
        uint8_t iv[12];
        gcm_iv(&ctx->rtp, at.ssrc, at.roc, at.seq, iv);
        if (!gcm_crypt(&ctx->rtp, 0, iv, buf, h, NULL, 0, buf + h, sealed - h)) return GWM_ERR_AUTH;
    } else {
        uint8_t roc_bytes[4], tag[SHA_DIGEST_LENGTH];
        gwm_wr32(roc_bytes, at.roc);
        hmac_tag(&ctx->rtp, buf, sealed, roc_bytes, sizeof roc_bytes, tag);
        if (CRYPTO_memcmp(tag, buf + sealed, ctx->rtp_tag) != 0) return GWM_ERR_AUTH;
        if (!ctr_crypt(&ctx->rtp, at.ssrc, at.index, buf + h, sealed - h)) return GWM_ERR_CRYPTO;
    }
    *len = sealed;
    took_rtp(ctx, &at);
    return GWM_OK;
}

/* SRTCP: the header (8 bytes) stays clear, the rest is encrypted; E flag and
 * 31-bit index follow (RFC 3711 §3.4), before the tag (AES-CM) or after it (GCM, RFC 7714 §9). */
static int protect_rtcp(gwm_srtp *ctx, uint8_t *buf, size_t *len)
{
    uint32_t ssrc = gwm_rd32(buf + 4);
    stream *s = find_stream(ctx, ssrc);
    if (!s) {
        stream fresh = {.ssrc = ssrc};
        s = keep_stream(ctx, &fresh);
    }
    uint32_t index = (s->rtcp_sent + 1) & 0x7fffffffu;
    uint8_t trailer[SRTCP_INDEX_LEN];
    gwm_wr32(trailer, 0x80000000u | index);
    size_t body = *len - 8;
    if (ctx->gcm) {
        uint8_t iv[12];
        gcm_iv(&ctx->rtcp, ssrc, index >> 16, (uint16_t)index, iv);
        if (!gcm_crypt(&ctx->rtcp, 1, iv, buf, 8, trailer, sizeof trailer, buf + 8, body)) return GWM_ERR_CRYPTO;
        memcpy(buf + *len + GCM_TAG_LEN, trailer, sizeof trailer);
        *len += GCM_TAG_LEN + sizeof trailer;
    } else {
        if (!ctr_crypt(&ctx->rtcp, ssrc, index, buf + 8, body)) return GWM_ERR_CRYPTO;
        memcpy(buf + *len, trailer, sizeof trailer);
        *len += sizeof trailer;
        uint8_t tag[SHA_DIGEST_LENGTH];
        hmac_tag(&ctx->rtcp, buf, *len, NULL, 0, tag);
        memcpy(buf + *len, tag, ctx->rtcp_tag);
        *len += ctx->rtcp_tag;
    }
    s->rtcp_sent = index;
    return GWM_OK;
}

static int unprotect_rtcp(gwm_srtp *ctx, uint8_t *buf, size_t *len)
{
    size_t trailer_len = ctx->rtcp_tag + SRTCP_INDEX_LEN;
    if (*len < 8 + trailer_len) return GWM_ERR_MALFORMED;
    size_t end = *len - trailer_len; /* the end of the (encrypted) compound packet */
    const uint8_t *trailer = ctx->gcm ? buf + end + GCM_TAG_LEN : buf + end;
    uint32_t word = gwm_rd32(trailer), index = word & 0x7fffffffu;
    int encrypted = (word >> 31) != 0;
    uint32_t ssrc = gwm_rd32(buf + 4);
    stream fresh = {.ssrc = ssrc};
    stream *s = find_stream(ctx, ssrc);
    int rc = window_check(s ? &s->rtcp : &fresh.rtcp, index);
    if (rc != GWM_OK) return rc;
    if (ctx->gcm) {
        uint8_t iv[12];
        gcm_iv(&ctx->rtcp, ssrc, index >> 16, (uint16_t)index, iv);
        /* Unencrypted SRTCP (E = 0): the whole packet is authenticated data, nothing is decrypted. */
        if (encrypted ? !gcm_crypt(&ctx->rtcp, 0, iv, buf, 8, trailer, SRTCP_INDEX_LEN, buf + 8, end - 8)
                      : !gcm_crypt(&ctx->rtcp, 0, iv, buf, end, trailer, SRTCP_INDEX_LEN, buf + end, 0))
            return GWM_ERR_AUTH;
    } else {
        uint8_t tag[SHA_DIGEST_LENGTH];
        hmac_tag(&ctx->rtcp, buf, end + SRTCP_INDEX_LEN, NULL, 0, tag);
        if (CRYPTO_memcmp(tag, buf + end + SRTCP_INDEX_LEN, ctx->rtcp_tag) != 0) return GWM_ERR_AUTH;
        if (encrypted && !ctr_crypt(&ctx->rtcp, ssrc, index, buf + 8, end - 8)) return GWM_ERR_CRYPTO;
    }
    *len = end;
    window_take(&keep_stream(ctx, s ? s : &fresh)->rtcp, index);
    return GWM_OK;
}

/* ---- the API ---- */

static int counted(gwm_srtp *ctx, int rc)
{
    switch (rc) {
    case GWM_OK: break;
    case GWM_ERR_AUTH: ctx->stats.auth_failures++; break;
    case GWM_ERR_REPLAY: ctx->stats.replays++; break;
    default: ctx->stats.other_failures++; rc = GWM_ERR_CRYPTO; break;
    }
    return rc;
}

static int protect(gwm_srtp *ctx, uint8_t *buf, size_t *len, size_t cap, int rtcp)
{
    if (!ctx || !buf || !len) return GWM_ERR_INVALID_ARGUMENT;
    if (ctx->direction != GWM_SRTP_SEND) return GWM_ERR_INVALID_ARGUMENT;
    if (*len < (rtcp ? 8u : 12u)) { ctx->stats.other_failures++; return GWM_ERR_TRUNCATED; }
    if (*len > (size_t)INT32_MAX - GWM_SRTP_MAX_OVERHEAD || cap < *len + GWM_SRTP_MAX_OVERHEAD)
        return GWM_ERR_BUFFER_TOO_SMALL;
    int rc = counted(ctx, rtcp ? protect_rtcp(ctx, buf, len) : protect_rtp(ctx, buf, len));
    if (rc == GWM_OK) { if (rtcp) ctx->stats.rtcp_ok++; else ctx->stats.rtp_ok++; }
    return rc;
}

static int unprotect(gwm_srtp *ctx, uint8_t *buf, size_t *len, int rtcp)
{
    if (!ctx || !buf || !len) return GWM_ERR_INVALID_ARGUMENT;
    if (ctx->direction != GWM_SRTP_RECEIVE) return GWM_ERR_INVALID_ARGUMENT;
    if (*len < (rtcp ? 8u : 12u)) { ctx->stats.other_failures++; return GWM_ERR_TRUNCATED; }
    if (*len > 65535) { ctx->stats.other_failures++; return GWM_ERR_TOO_LARGE; }
    int rc = counted(ctx, rtcp ? unprotect_rtcp(ctx, buf, len) : unprotect_rtp(ctx, buf, len));
    if (rc == GWM_OK) { if (rtcp) ctx->stats.rtcp_ok++; else ctx->stats.rtp_ok++; }
    return rc;
}

int gwm_srtp_protect(gwm_srtp *ctx, uint8_t *buf, size_t *len, size_t cap) { return protect(ctx, buf, len, cap, 0); }

int gwm_srtp_protect_rtcp(gwm_srtp *ctx, uint8_t *buf, size_t *len, size_t cap) { return protect(ctx, buf, len, cap, 1); }

int gwm_srtp_unprotect(gwm_srtp *ctx, uint8_t *buf, size_t *len) { return unprotect(ctx, buf, len, 0); }

int gwm_srtp_unprotect_rtcp(gwm_srtp *ctx, uint8_t *buf, size_t *len) { return unprotect(ctx, buf, len, 1); }

void gwm_srtp_stats_get(const gwm_srtp *ctx, gwm_srtp_stats *out)
{
    if (ctx && out) *out = ctx->stats;
}
