#include "receiver_stats.h"

enum { MAX_DROPOUT = 3000, MAX_MISORDER = 100, SEQ_MOD = 1 << 16 };

void receiver_stats_init(receiver_stats *s, uint32_t ssrc, uint16_t seq, uint32_t clock_rate)
{
    *s = (receiver_stats){0};
    s->active = 1;
    s->ssrc = ssrc;
    s->clock_rate = clock_rate;
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = SEQ_MOD + 1;
}

int receiver_stats_update(receiver_stats *s, uint16_t seq, uint32_t timestamp, uint64_t now_us)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (udelta < MAX_DROPOUT) {
        if (seq < s->max_seq) s->cycles += SEQ_MOD;
        s->max_seq = seq;
    } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        /* A very large jump: believe it only when the next packet follows it. */
        if (seq == s->bad_seq) {
            uint32_t ssrc = s->ssrc, rate = s->clock_rate;
            receiver_stats_init(s, ssrc, seq, rate);
        } else {
            s->bad_seq = (uint32_t)((seq + 1) & (SEQ_MOD - 1));
            return 0;
        }
    }
    /* else: duplicate or reordered packet, counted below */
    s->received++;
    interarrival_update(&s->arrival, timestamp, now_us, s->clock_rate);
    return 1;
}

uint32_t receiver_stats_extended_max(const receiver_stats *s) { return s->cycles + s->max_seq; }

int64_t receiver_stats_lost(const receiver_stats *s)
{
    int64_t expected = (int64_t)receiver_stats_extended_max(s) - s->base_seq + 1;
    return expected - s->received;
}

uint8_t receiver_stats_take_fraction(receiver_stats *s)
{
    uint32_t expected = receiver_stats_extended_max(s) - s->base_seq + 1;
    uint32_t expected_interval = expected - s->expected_prior;
    uint32_t received_interval = s->received - s->received_prior;
    s->expected_prior = expected;
    s->received_prior = s->received;
    int64_t lost_interval = (int64_t)expected_interval - received_interval;
    if (expected_interval == 0 || lost_interval <= 0) return 0;
    return (uint8_t)((lost_interval << 8) / expected_interval);
}
