/* Writing an RTP header for a leg, protecting it, and keeping the leg's
 * sequence/timestamp space continuous. */
#include "bridge_internal.h"
#include "bytes.h"

uint32_t sender_ts_after_gap(const sender_state *s, uint64_t now_us, uint32_t clock_rate,
                             uint32_t min_advance)
{
    uint64_t elapsed_us = now_us > s->last_send_us ? now_us - s->last_send_us : 0;
    uint64_t advance = elapsed_us * clock_rate / 1000000u;
    if (advance < min_advance) advance = min_advance;
    return s->last_ts + (uint32_t)advance;
}

static void record_sent(sender_state *s, uint16_t seq, uint32_t ts, size_t payload_len, uint64_t now_us)
{
    if (!s->sent_any) {
        s->sent_any = 1;
        s->last_seq = seq;
        s->last_ts = ts;
    } else if ((int16_t)(seq - s->last_seq) > 0) {
        if (seq < s->last_seq) s->rollovers++;
        s->last_seq = seq;
        s->last_ts = ts;
    }
    s->last_send_us = now_us;
    s->packets++;
    s->octets += (uint32_t)payload_len;
}

/*
 * `slot` holds the payload at offset 12; this writes the 12-byte header in
 * front of it, applies SRTP when the leg has it, and queues the packet.
 */
int send_rtp(gwm_bridge *b, leg_state *to, out_slot *slot, uint8_t pt, uint8_t marker,
             uint16_t seq, uint32_t ts, size_t payload_len, uint64_t now_us)
{
    uint8_t *p = slot->data;
    p[0] = 0x80;
    p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    gwm_wr16(p + 2, seq);
    gwm_wr32(p + 4, ts);
    gwm_wr32(p + 8, to->tx_state.ssrc);
    size_t len = GWM_RTP_MIN_HEADER + payload_len;
    if (to->secure) {
        int rc = gwm_srtp_protect(to->tx, p, &len, sizeof slot->data);
        if (rc != GWM_OK) {
            to->counters.dropped++;
            return rc;
        }
    }
    record_sent(&to->tx_state, seq, ts, payload_len, now_us);
    to->counters.packets_sent++;
    to->counters.bytes_sent += payload_len;
    gwm_leg which = to == &b->legs[0] ? GWM_LEG_A : GWM_LEG_B;
    queue_commit(&b->queue, slot, which, 0, len);
    rtcp_schedule(b, to, now_us);
    return GWM_OK;
}
