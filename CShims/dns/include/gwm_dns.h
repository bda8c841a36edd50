/*
 * gwm_dns.h — DNS lookups of the Swift side, for locating the SIP server
 * (RFC 3263): a query through the C library's resolver (/etc/resolv.conf),
 * and the reading of an answer's A, AAAA and SRV records into flat values
 * (through the resolver library's own message parser). Not a public ABI of
 * the media core (see include/gwm for that).
 *
 * Threads: every function is thread-safe; a query has resolver state of its
 * own. gwm_dns_query blocks for as long as the resolver waits (resolv.conf's
 * timeout and attempts): call it off the event loops.
 */
#ifndef GWM_DNS_H
#define GWM_DNS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Record types (RFC 1035, RFC 3596, RFC 2782). */
enum { GWM_DNS_A = 1, GWM_DNS_AAAA = 28, GWM_DNS_SRV = 33 };

/** The longest name or address text, with its NUL. */
#define GWM_DNS_TEXT_MAX 256

typedef struct {
    uint16_t type;      /* GWM_DNS_A, GWM_DNS_AAAA or GWM_DNS_SRV */
    uint32_t ttl;       /* seconds */
    uint16_t priority;  /* SRV only */
    uint16_t weight;    /* SRV only */
    uint16_t port;      /* SRV only */
    /* A, AAAA: the address as text ("192.0.2.1", "2001:db8::1"); SRV: the target name without the final dot. */
    char value[GWM_DNS_TEXT_MAX];
} gwm_dns_record;

/**
 * Asks the resolver for the records of `type` of `name` and writes the answer
 * message into answer[0..cap). Returns its length; 0 when the name or its
 * records of that type do not exist (NXDOMAIN, NODATA); -1 when no answer
 * came (no server answered, SERVFAIL, a bad name). Borrows its arguments.
 */
int gwm_dns_query(const char *name, int type, uint8_t *answer, size_t cap);

/**
 * Reads the records of `type` in the answer section of the DNS message
 * answer[0..len) into out[0..cap) (others, such as the CNAMEs before them, are
 * skipped; records beyond cap are dropped). Returns how many were read, or -1
 * when the message is malformed. Borrows its arguments; does not allocate.
 */
int gwm_dns_parse(const uint8_t *answer, size_t len, int type, gwm_dns_record *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
