/*
 * A DTLS 1.2 endpoint over memory: received datagrams are written into a
 * memory BIO; what OpenSSL writes goes through a BIO of our own that keeps
 * each write as one datagram, so that record boundaries survive.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls_internal.h"

enum { MTU = 1200, MAX_QUEUED = 32 };

typedef struct datagram {
    uint8_t *data;
    size_t len;
} datagram;

struct gwm_dtls {
    SSL *ssl;
    int state;
    char failure[200];
    const EVP_MD *expected_md;
    unsigned char expected[EVP_MAX_MD_SIZE];
    unsigned int expected_len;
    int fingerprint_checked;
    datagram queue[MAX_QUEUED];
    unsigned head, count;
};

/* --- the output BIO: one write, one datagram --------------------------- */

static int out_write(BIO *bio, const char *data, int len)
{
    gwm_dtls *d = BIO_get_data(bio);
    if (len <= 0 || d->count == MAX_QUEUED) return -1;
    uint8_t *copy = malloc((size_t)len);
    if (!copy) return -1;
    memcpy(copy, data, (size_t)len);
    d->queue[(d->head + d->count) % MAX_QUEUED] = (datagram){copy, (size_t)len};
    d->count++;
    return len;
}

static long out_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)bio;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU: return MTU;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING: return 0;
    default: return 0;
    }
}

static int out_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *out_method;
static int ex_index = -1;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void)
{
    out_method = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "gwm datagram out");
    if (out_method) {
        BIO_meth_set_write(out_method, out_write);
        BIO_meth_set_ctrl(out_method, out_ctrl);
        BIO_meth_set_create(out_method, out_create);
    }
    ex_index = SSL_get_ex_new_index(0, "gwm_dtls", NULL, NULL, NULL);
}

/* --- fingerprint check ---------------------------------------------------- */

int gwm_dtls_verify_peer(X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    gwm_dtls *d = ssl ? SSL_get_ex_data(ssl, ex_index) : NULL;
    if (!d) return 0;
    if (X509_STORE_CTX_get_error_depth(store) != 0) return 1; /* only the leaf is pinned */
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!d->expected_md) {
        snprintf(d->failure, sizeof d->failure, "no fingerprint to check the peer certificate against");
        return 0;
    }
    if (!cert || X509_digest(cert, d->expected_md, md, &len) != 1 || len != d->expected_len ||
        memcmp(md, d->expected, len) != 0) {
        snprintf(d->failure, sizeof d->failure, "peer certificate does not match the SDP fingerprint");
        return 0;
    }
    d->fingerprint_checked = 1;
    return 1;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int gwm_dtls_expect_fingerprint(gwm_dtls *d, const char *algorithm, const char *value)
{
    if (!d || !algorithm || !value) return -1;
    const EVP_MD *md = !strcasecmp(algorithm, "sha-256") ? EVP_sha256()
                     : !strcasecmp(algorithm, "sha-1")   ? EVP_sha1()
                     : !strcasecmp(algorithm, "sha-384") ? EVP_sha384()
                     : !strcasecmp(algorithm, "sha-512") ? EVP_sha512()
                                                         : NULL;
    if (!md) return -1;
    /* Exactly "XX:XX:...:XX": two hex digits per byte, never reading past the NUL. */
    unsigned int n = 0;
    const char *p = value;
    while (*p) {
        int high = hex_digit(p[0]);
        int low = high < 0 ? -1 : hex_digit(p[1]);
        if (low < 0 || n == sizeof d->expected) return -1;
        d->expected[n++] = (unsigned char)(high << 4 | low);
        p += 2;
        if (*p == ':' && p[1]) p++;
        else if (*p) return -1;
    }
    if (n != (unsigned)EVP_MD_get_size(md)) return -1;
    d->expected_md = md;
    d->expected_len = n;
    return 0;
}

/* --- the endpoint --------------------------------------------------------- */

gwm_dtls *gwm_dtls_create(gwm_dtls_identity *id, int is_server)
{
    pthread_once(&once, init_once);
    if (!id || !out_method || ex_index < 0) return NULL;
    gwm_dtls *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->ssl = SSL_new(id->ctx);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(out_method);
    if (!d->ssl || !rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        SSL_free(d->ssl);
        free(d);
        return NULL;
    }
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_data(wbio, d);
    SSL_set_bio(d->ssl, rbio, wbio);
    SSL_set_ex_data(d->ssl, ex_index, d);
    SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(d->ssl, MTU);
    if (is_server) SSL_set_accept_state(d->ssl);
    else SSL_set_connect_state(d->ssl);
    d->state = GWM_DTLS_HANDSHAKING;
    return d;
}

void gwm_dtls_destroy(gwm_dtls *d)
{
    if (!d) return;
    SSL_free(d->ssl);
    for (unsigned i = 0; i < d->count; i++) free(d->queue[(d->head + i) % MAX_QUEUED].data);
    free(d);
}

static void fail(gwm_dtls *d, const char *what)
{
    d->state = GWM_DTLS_FAILED;
    if (d->failure[0]) return; /* keep the first, most specific reason */
    unsigned long e = ERR_peek_last_error();
    char detail[120] = "";
    if (e) ERR_error_string_n(e, detail, sizeof detail);
    snprintf(d->failure, sizeof d->failure, "%s%s%s", what, detail[0] ? ": " : "", detail);
}

static void advance(gwm_dtls *d)
{
    ERR_clear_error();
    if (d->state == GWM_DTLS_HANDSHAKING) {
        int rc = SSL_do_handshake(d->ssl);
        if (rc == 1) {
            if (!d->fingerprint_checked) fail(d, "handshake finished without a verified peer certificate");
            else if (!SSL_get_selected_srtp_profile(d->ssl)) fail(d, "peer did not negotiate DTLS-SRTP");
            else d->state = GWM_DTLS_CONNECTED;
            return;
        }
        int err = SSL_get_error(d->ssl, rc);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) fail(d, "DTLS handshake failed");
        return;
    }
    if (d->state == GWM_DTLS_CONNECTED) {
        /* Application data is not used; reading lets OpenSSL answer
         * retransmissions and notice close_notify. */
        unsigned char sink[2048];
        int rc = SSL_read(d->ssl, sink, sizeof sink);
        if (rc <= 0) {
            int err = SSL_get_error(d->ssl, rc);
            if (err == SSL_ERROR_ZERO_RETURN) d->state = GWM_DTLS_CLOSED;
            else if (err != SSL_ERROR_WANT_READ) fail(d, "DTLS read failed");
        }
    }
}

int gwm_dtls_start(gwm_dtls *d)
{
    if (!d) return GWM_DTLS_FAILED;
    advance(d);
    return d->state;
}

int gwm_dtls_feed(gwm_dtls *d, const uint8_t *data, size_t len)
{
    if (!d || !data || len == 0 || len > 65535) return d ? d->state : GWM_DTLS_FAILED;
    if (d->state == GWM_DTLS_FAILED || d->state == GWM_DTLS_CLOSED) return d->state;
    BIO *rbio = SSL_get_rbio(d->ssl);
    (void)BIO_reset(rbio); /* one datagram at a time */
    if (BIO_write(rbio, data, (int)len) != (int)len) {
        fail(d, "cannot buffer datagram");
        return d->state;
    }
    advance(d);
    return d->state;
}

int gwm_dtls_pull(gwm_dtls *d, uint8_t *buf, size_t cap)
{
    if (!d || !buf || d->count == 0) return 0;
    datagram *g = &d->queue[d->head];
    if (g->len > cap) return -1;
    memcpy(buf, g->data, g->len);
    int len = (int)g->len;
    free(g->data);
    d->head = (d->head + 1) % MAX_QUEUED;
    d->count--;
    return len;
}

long gwm_dtls_timeout_ms(gwm_dtls *d)
{
    struct timeval tv;
    if (!d || d->state != GWM_DTLS_HANDSHAKING || DTLSv1_get_timeout(d->ssl, &tv) != 1) return -1;
    return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int gwm_dtls_handle_timeout(gwm_dtls *d)
{
    if (!d) return GWM_DTLS_FAILED;
    if (d->state == GWM_DTLS_HANDSHAKING && DTLSv1_handle_timeout(d->ssl) < 0) fail(d, "DTLS handshake timed out");
    return d->state;
}

int gwm_dtls_state(const gwm_dtls *d) { return d ? d->state : GWM_DTLS_FAILED; }

const char *gwm_dtls_failure(const gwm_dtls *d) { return d && d->failure[0] ? d->failure : ""; }

int gwm_dtls_srtp_keys(gwm_dtls *d, int *profile, uint8_t *send_key, uint8_t *receive_key, size_t cap)
{
    if (!d || !profile || !send_key || !receive_key || d->state != GWM_DTLS_CONNECTED) return -1;
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!p) return -1;
    size_t key_len = 16, salt_len;
    switch (p->id) {
    case SRTP_AES128_CM_SHA1_80:
    case SRTP_AES128_CM_SHA1_32: salt_len = 14; break;
    case SRTP_AEAD_AES_128_GCM: salt_len = 12; break;
    default: return -1;
    }
    if (cap < key_len + salt_len) return -1;
    unsigned char material[2 * (16 + 14)];
    size_t total = 2 * (key_len + salt_len);
    if (SSL_export_keying_material(d->ssl, material, total, "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1) return -1;
    /* RFC 5764 §4.2: client key, server key, client salt, server salt. */
    const unsigned char *client_key = material, *server_key = material + key_len;
    const unsigned char *client_salt = material + 2 * key_len, *server_salt = client_salt + salt_len;
    int server = SSL_is_server(d->ssl);
    memcpy(send_key, server ? server_key : client_key, key_len);
    memcpy(send_key + key_len, server ? server_salt : client_salt, salt_len);
    memcpy(receive_key, server ? client_key : server_key, key_len);
    memcpy(receive_key + key_len, server ? client_salt : server_salt, salt_len);
    OPENSSL_cleanse(material, sizeof material);
    *profile = (int)p->id;
    return (int)(key_len + salt_len);
}
