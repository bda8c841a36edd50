/* The gateway's DTLS identity: an ECDSA P-256 key and a self-signed
 * certificate, wrapped in the SSL_CTX every endpoint is made from. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls_internal.h"

static X509 *self_signed(EVP_PKEY *key, int days)
{
    X509 *cert = X509_new();
    if (!cert) return NULL;
    unsigned char serial[8];
    BIGNUM *bn = NULL;
    int ok = RAND_bytes(serial, sizeof serial) == 1 && (bn = BN_bin2bn(serial, sizeof serial, NULL)) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) && X509_set_version(cert, 2) &&
             X509_gmtime_adj(X509_getm_notBefore(cert), -86400) &&
             X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400) && X509_set_pubkey(cert, key);
    X509_NAME *name = ok ? X509_get_subject_name(cert) : NULL;
    ok = ok && name &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"webrtc-gateway", -1, -1, 0) &&
         X509_set_issuer_name(cert, name) && X509_sign(cert, key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* Every endpoint checks the peer's certificate against the SDP fingerprint
 * itself (see dtls.c); the chain of a self-signed WebRTC certificate means nothing. */
static int accept_for_fingerprint_check(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok;
    return gwm_dtls_verify_peer(store);
}

gwm_dtls_identity *gwm_dtls_identity_create(int days)
{
    gwm_dtls_identity *id = calloc(1, sizeof *id);
    if (!id) return NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = key ? self_signed(key, days > 0 ? days : 30) : NULL;
    SSL_CTX *ctx = cert ? SSL_CTX_new(DTLS_method()) : NULL;
    int ok = ctx && SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
             SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
             SSL_CTX_check_private_key(ctx) == 1 &&
             /* returns 0 on success */
             SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32") == 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    ok = ok && X509_digest(cert, EVP_sha256(), md, &md_len) == 1;
    if (ok) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_for_fingerprint_check);
        SSL_CTX_set_read_ahead(ctx, 1);
        for (unsigned i = 0; i < md_len; i++)
            snprintf(id->fingerprint + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
        id->ctx = ctx;
    } else {
        SSL_CTX_free(ctx);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) {
        free(id);
        return NULL;
    }
    return id;
}

void gwm_dtls_identity_release(gwm_dtls_identity *id)
{
    if (!id) return;
    SSL_CTX_free(id->ctx); /* endpoints made from it keep their own references */
    free(id);
}

int gwm_dtls_identity_fingerprint(const gwm_dtls_identity *id, char *out, size_t cap)
{
    if (!id || !out) return -1;
    int n = snprintf(out, cap, "%s", id->fingerprint);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
