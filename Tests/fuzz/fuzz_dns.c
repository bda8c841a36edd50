/*
 * libFuzzer target: a DNS answer, as the resolver hands it over, read for
 * A, AAAA and SRV records (the reading the SIP server's location takes).
 */
#include <stdlib.h>
#include <string.h>

#include "gwm_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int types[] = {GWM_DNS_A, GWM_DNS_AAAA, GWM_DNS_SRV};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        gwm_dns_record records[8];
        int n = gwm_dns_parse(data, size, types[t], records, 8);
        if (n < -1 || n > 8) abort();
        for (int i = 0; i < n; i++) {
            /* Every value is a terminated string within its field. */
            if (memchr(records[i].value, 0, sizeof records[i].value) == NULL) abort();
            if (records[i].type != types[t]) abort();
        }
    }
    return 0;
}
