/*
 * Relay: both legs speak the same codec, so a packet crosses with a new
 * header only. Sequence numbers and timestamps are shifted by offsets that are
 * re-anchored whenever the incoming stream starts over (new SSRC, a jump),
 * so that the outgoing stream never restarts.
 */
#include <string.h>

#include "bridge_internal.h"

enum { MAX_DROPOUT = 3000, MAX_MISORDER = 100 };

static int needs_anchor(const relay_map *m, const gwm_rtp_header *h)
{
    if (!m->valid || m->in_ssrc != h->ssrc) return 1;
    int16_t d = (int16_t)(h->sequence - m->last_in_seq);
    return d > MAX_DROPOUT || d < -MAX_MISORDER;
}

void relay_map_out(gwm_bridge *b, leg_state *from, const gwm_rtp_header *h, uint64_t now_us,
                   uint16_t *seq, uint32_t *ts)
{
    leg_state *to = other_leg(b, from);
    relay_map *m = &from->relay;
    if (needs_anchor(m, h)) {
        const sender_state *s = &to->tx_state;
        uint32_t frame = to->clock_rate * to->cfg.ptime_ms / 1000;
        uint16_t seq0 = s->sent_any ? (uint16_t)(s->last_seq + 1) : to->cfg.initial_sequence;
        uint32_t ts0 = s->sent_any ? sender_ts_after_gap(s, now_us, to->clock_rate, frame)
                                   : to->cfg.initial_timestamp;
        m->valid = 1;
        m->in_ssrc = h->ssrc;
        m->last_in_seq = h->sequence;
        m->seq_offset = (uint16_t)(seq0 - h->sequence);
        m->ts_offset = ts0 - h->timestamp;
    } else if ((int16_t)(h->sequence - m->last_in_seq) > 0) {
        m->last_in_seq = h->sequence;
    }
    *seq = (uint16_t)(h->sequence + m->seq_offset);
    *ts = h->timestamp + m->ts_offset;
}

int relay_forward(gwm_bridge *b, leg_state *from, out_slot *slot, const gwm_rtp_header *h,
                  uint64_t now_us)
{
    leg_state *to = other_leg(b, from);
    uint16_t seq;
    uint32_t ts;
    relay_map_out(b, from, h, now_us, &seq, &ts);
    /* CSRCs, header extensions and padding belong to the incoming leg's
     * negotiation; the outgoing packet carries the payload alone. */
    if (h->payload_offset != GWM_RTP_MIN_HEADER)
        memmove(slot->data + GWM_RTP_MIN_HEADER, slot->data + h->payload_offset, h->payload_length);
    return send_rtp(b, to, slot, to->cfg.payload_type, h->marker, seq, ts, h->payload_length, now_us);
}
