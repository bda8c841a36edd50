/*
 * CPU cost of one DTLS-SRTP handshake through the OpenSSL shim (both ends
 * in one process, over memory), including key export. Prints figures.
 *
 *   make bench-dtls && build/dtls-bench [handshakes]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gwm_tls.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Moves datagrams between the two ends until neither has anything to say. */
static int handshake(gwm_dtls_identity *server_id, gwm_dtls_identity *client_id, const char *server_fp,
                     const char *client_fp)
{
    gwm_dtls *client = gwm_dtls_create(client_id, 0), *server = gwm_dtls_create(server_id, 1);
    gwm_dtls_expect_fingerprint(client, "sha-256", server_fp);
    gwm_dtls_expect_fingerprint(server, "sha-256", client_fp);
    gwm_dtls_start(client);
    unsigned char buf[2048];
    for (int round = 0, moved = 1; moved && round < 20; round++) {
        moved = 0;
        int n;
        while ((n = gwm_dtls_pull(client, buf, sizeof buf)) > 0) { gwm_dtls_feed(server, buf, (size_t)n); moved = 1; }
        while ((n = gwm_dtls_pull(server, buf, sizeof buf)) > 0) { gwm_dtls_feed(client, buf, (size_t)n); moved = 1; }
    }
    int ok = gwm_dtls_state(client) == GWM_DTLS_CONNECTED && gwm_dtls_state(server) == GWM_DTLS_CONNECTED;
    int profile;
    unsigned char k1[64], k2[64];
    ok = ok && gwm_dtls_srtp_keys(server, &profile, k1, k2, sizeof k1) > 0;
    gwm_dtls_destroy(client);
    gwm_dtls_destroy(server);
    return ok;
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 200;
    if (count < 1) count = 1;
    double t0 = cpu_seconds();
    gwm_dtls_identity *server_id = gwm_dtls_identity_create(30), *client_id = gwm_dtls_identity_create(30);
    double identity = (cpu_seconds() - t0) / 2;
    char server_fp[200], client_fp[200];
    gwm_dtls_identity_fingerprint(server_id, server_fp, sizeof server_fp);
    gwm_dtls_identity_fingerprint(client_id, client_fp, sizeof client_fp);
    t0 = cpu_seconds();
    for (int i = 0; i < count; i++)
        if (!handshake(server_id, client_id, server_fp, client_fp)) {
            fprintf(stderr, "handshake %d failed\n", i);
            return 1;
        }
    double per = (cpu_seconds() - t0) / count;
    printf("DTLS 1.2 ECDSA P-256 handshake + SRTP key export, both ends: %.2f ms CPU (%d handshakes); "
           "about %.2f ms per side\n", per * 1e3, count, per * 1e3 / 2);
    printf("certificate + key generation at start: %.2f ms\n", identity * 1e3);
    gwm_dtls_identity_release(server_id);
    gwm_dtls_identity_release(client_id);
    return 0;
}
