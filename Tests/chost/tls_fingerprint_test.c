/*
 * The TLS shim's fingerprint parser on what an SDP may carry, built with
 * AddressSanitizer: a value cut after one hex digit was once read past its
 * NUL. Each value sits at the very end of a heap block of its own size, so
 * any read beyond its terminator is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwm_tls.h"

#include "check.h"

static int expect(gwm_dtls *d, const char *algorithm, const char *value)
{
    size_t n = strlen(value) + 1;
    char *exact = malloc(n);
    memcpy(exact, value, n);
    int rc = gwm_dtls_expect_fingerprint(d, algorithm, exact);
    free(exact);
    return rc;
}

int main(void)
{
    gwm_dtls_identity *identity = gwm_dtls_identity_create(1);
    CHECK(identity != NULL);
    gwm_dtls *d = gwm_dtls_create(identity, 1);
    CHECK(d != NULL);
    char good[96];
    CHECK(gwm_dtls_identity_fingerprint(identity, good, sizeof good) == 0);
    CHECK(expect(d, "sha-256", good) == 0);
    CHECK(expect(d, "SHA-256", good) == 0);
    const char *bad[] = {"A", "AB:C", "AB:", "AB::CD", ":AB", "G0", " AB", "+A", "AB CD", "", "ABCD"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(expect(d, "sha-256", bad[i]) == -1);
    char truncated[96];
    memcpy(truncated, good, sizeof truncated);
    truncated[strlen(good) - 1] = '\0'; /* the last byte cut to one digit */
    CHECK(expect(d, "sha-256", truncated) == -1);
    char longer[200];
    snprintf(longer, sizeof longer, "%s:%s", good, good);
    CHECK(expect(d, "sha-256", longer) == -1);
    CHECK(expect(d, "md5", good) == -1);
    gwm_dtls_destroy(d);
    gwm_dtls_identity_release(identity);
    printf("TLS fingerprint test: %d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
