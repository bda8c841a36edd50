/* Shared by the shim's files. Internal. */
#ifndef GWM_TLS_INTERNAL_H
#define GWM_TLS_INTERNAL_H

#include <openssl/ssl.h>

#include "gwm_tls.h"

struct gwm_dtls_identity {
    SSL_CTX *ctx;
    char fingerprint[3 * EVP_MAX_MD_SIZE + 1];
};

/* The verify callback's work: compares the peer certificate with the
 * fingerprint the endpoint expects. Returns 1 to accept. */
int gwm_dtls_verify_peer(X509_STORE_CTX *store);

#endif
