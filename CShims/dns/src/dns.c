#include "gwm_dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <string.h>

int gwm_dns_query(const char *name, int type, uint8_t *answer, size_t cap)
{
    if (!name || !answer || cap > INT32_MAX) return -1;
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) return -1;
    int len = res_nquery(&state, name, ns_c_in, type, answer, (int)cap);
    int error = state.res_h_errno;
    res_nclose(&state);
    if (len >= 0) return len < (int)cap ? len : (int)cap;
    /* The name or the type is not there: an answer, not a failure (RFC 3263 goes on to the next step). */
    return error == HOST_NOT_FOUND || error == NO_DATA ? 0 : -1;
}

/* One record's data into `out`; 0, or -1 when it does not have the size its type asks for. */
static int read_record(const ns_msg *msg, const ns_rr *rr, int type, gwm_dns_record *out)
{
    const uint8_t *data = ns_rr_rdata(*rr);
    size_t len = ns_rr_rdlen(*rr);
    memset(out, 0, sizeof *out);
    out->type = (uint16_t)type;
    out->ttl = ns_rr_ttl(*rr);
    switch (type) {
    case GWM_DNS_A:
        if (len != 4) return -1;
        return inet_ntop(AF_INET, data, out->value, sizeof out->value) ? 0 : -1;
    case GWM_DNS_AAAA:
        if (len != 16) return -1;
        return inet_ntop(AF_INET6, data, out->value, sizeof out->value) ? 0 : -1;
    case GWM_DNS_SRV:
        if (len < 7) return -1;
        out->priority = (uint16_t)(data[0] << 8 | data[1]);
        out->weight = (uint16_t)(data[2] << 8 | data[3]);
        out->port = (uint16_t)(data[4] << 8 | data[5]);
        /* The target may be compressed: expanded against the whole message, bounded by its end. */
        if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), data + 6, out->value, sizeof out->value) < 0)
            return -1;
        return 0;
    default:
        return -1;
    }
}

int gwm_dns_parse(const uint8_t *answer, size_t len, int type, gwm_dns_record *out, size_t cap)
{
    if (!answer || !out || len > INT32_MAX) return -1;
    ns_msg msg;
    if (ns_initparse(answer, (int)len, &msg) != 0) return -1;
    int count = 0, records = ns_msg_count(msg, ns_s_an);
    for (int i = 0; i < records && (size_t)count < cap; i++) {
        ns_rr rr;
        if (ns_parserr(&msg, ns_s_an, i, &rr) != 0) return -1;
        if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in) continue;
        if (read_record(&msg, &rr, type, &out[count]) != 0) return -1;
        size_t n = strlen(out[count].value);
        if (type == GWM_DNS_SRV && n > 1 && out[count].value[n - 1] == '.') out[count].value[n - 1] = 0;
        count++;
    }
    return count;
}
