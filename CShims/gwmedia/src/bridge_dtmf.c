/*
 * RFC 4733 telephone-events cross to the other leg with its payload type and
 * clock: the event's timestamp is mapped once per event and its duration
 * fields are rescaled.
 *
 *    0                   1                   2                   3
 *   |     event     |E|R| volume    |          duration             |
 */
#include <string.h>

#include "bridge_internal.h"
#include "bytes.h"

enum { EVENT_LEN = 4 };

static uint32_t map_event_ts(gwm_bridge *b, leg_state *from, const gwm_rtp_header *h,
                             uint64_t now_us, uint16_t *seq)
{
    leg_state *to = other_leg(b, from);
    if (b->relaying) {
        uint32_t ts;
        relay_map_out(b, from, h, now_us, seq, &ts);
        return ts;
    }
    const sender_state *s = &to->tx_state;
    *seq = s->sent_any ? (uint16_t)(s->last_seq + 1) : to->cfg.initial_sequence;
    return s->sent_any ? sender_ts_after_gap(s, now_us, to->clock_rate, 0) : to->cfg.initial_timestamp;
}

int dtmf_forward(gwm_bridge *b, leg_state *from, const uint8_t *packet, const gwm_rtp_header *h,
                 uint64_t now_us)
{
    leg_state *to = other_leg(b, from);
    size_t len = h->payload_length;
    if (len < EVENT_LEN || len % EVENT_LEN != 0) {
        from->counters.malformed++;
        return GWM_ERR_MALFORMED;
    }
    if (to->cfg.dtmf_payload_type < 0 || !can_send_to(to) || (to->secure && !to->tx)) {
        from->counters.dropped++;
        return GWM_ERR_DIRECTION;
    }
    out_slot *slot = queue_reserve(&b->queue);
    if (!slot) {
        from->counters.dropped++;
        return GWM_ERR_FULL;
    }
    uint16_t seq;
    uint32_t ts = map_event_ts(b, from, h, now_us, &seq);
    dtmf_map *m = &from->dtmf;
    if (m->valid && m->in_ts == h->timestamp) {
        ts = m->out_ts;
    } else {
        m->valid = 1;
        m->in_ts = h->timestamp;
        m->out_ts = ts;
    }

    uint8_t *out = slot->data + GWM_RTP_MIN_HEADER;
    /* A relayed packet already sits in this slot: with CSRCs or a header
     * extension its payload moves down over itself. */
    memmove(out, packet + h->payload_offset, len);
    for (size_t off = 0; off < len; off += EVENT_LEN) {
        uint64_t d = (uint64_t)gwm_rd16(out + off + 2) * to->dtmf_clock_rate / from->dtmf_clock_rate;
        gwm_wr16(out + off + 2, (uint16_t)(d > 0xffff ? 0xffff : d));
    }
    return send_rtp(b, to, slot, (uint8_t)to->cfg.dtmf_payload_type, h->marker, seq, ts, len, now_us);
}
