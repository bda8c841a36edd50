/* Per-source reception statistics of RFC 3550 §A.1, §A.3 and §A.8. Internal. */
#ifndef GWM_RECEIVER_STATS_H
#define GWM_RECEIVER_STATS_H

#include <stdint.h>

#include "interarrival.h"

typedef struct receiver_stats {
    int active;
    uint32_t ssrc;
    uint32_t clock_rate;
    uint16_t max_seq;
    uint32_t cycles;       /* shifted count of sequence wraps */
    uint32_t base_seq;
    uint32_t bad_seq;
    uint32_t received;
    uint32_t expected_prior;
    uint32_t received_prior;
    interarrival arrival;
    uint32_t last_sr;      /* middle 32 bits of the last SR's NTP time */
    uint64_t last_sr_arrival_us;
} receiver_stats;

/* Starts tracking a new source. */
void receiver_stats_init(receiver_stats *s, uint32_t ssrc, uint16_t seq, uint32_t clock_rate);

/* Records a packet; returns 0 when the sequence jumped and the packet should
 * not count yet (RFC 3550 §A.1 bad_seq logic). */
int receiver_stats_update(receiver_stats *s, uint16_t seq, uint32_t timestamp, uint64_t now_us);

uint32_t receiver_stats_extended_max(const receiver_stats *s);
int64_t receiver_stats_lost(const receiver_stats *s);

/* Fraction lost since the previous call (/256), for a report block. */
uint8_t receiver_stats_take_fraction(receiver_stats *s);

#endif
