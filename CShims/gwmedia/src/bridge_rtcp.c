/*
 * RTCP is terminated on each leg (the gateway is the RTP end point of both):
 * incoming reports feed the leg's statistics (RTT, the peer's view of our
 * stream), and each leg gets its own SR/RR + SDES at the RFC 3550 §6.2
 * interval, randomised over [0.5, 1.5] of the mean.
 */
#include <string.h>

#include "bridge_internal.h"
#include "units.h"

enum { NTP_UNIX_OFFSET = 2208988800u };

static uint64_t ntp_time(const gwm_bridge *b, uint64_t now_us)
{
    int64_t wall_us = (int64_t)now_us + b->cfg.wallclock_offset_us;
    if (wall_us < 0) wall_us = 0;
    uint64_t sec = (uint64_t)wall_us / 1000000u + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)wall_us % 1000000u << 32) / 1000000u;
    return (sec << 32) | frac;
}

static uint32_t ntp_middle(uint64_t ntp) { return (uint32_t)(ntp >> 16); }

static uint64_t next_random(gwm_bridge *b)
{
    /* xorshift64*: the interval only needs decorrelation, not secrecy */
    b->rng ^= b->rng >> 12;
    b->rng ^= b->rng << 25;
    b->rng ^= b->rng >> 27;
    return b->rng * 2685821657736338717ull;
}

static uint64_t interval_us(gwm_bridge *b)
{
    uint64_t mean = (uint64_t)b->cfg.rtcp_interval_ms * 1000;
    return mean / 2 + next_random(b) % (mean + 1);
}

void rtcp_schedule(gwm_bridge *b, leg_state *l, uint64_t now_us)
{
    if (b->cfg.rtcp_interval_ms && l->next_rtcp_us == UINT64_MAX)
        l->next_rtcp_us = now_us + interval_us(b) / 2; /* first report comes early */
}

static void process_report_block(leg_state *l, const gwm_rtcp_report_block *rb, uint64_t ntp_now)
{
    if (rb->ssrc != l->tx_state.ssrc) return;
    l->counters.remote_fraction_lost = rb->fraction_lost;
    l->counters.remote_cumulative_lost = rb->cumulative_lost;
    l->counters.remote_jitter_us = gwm_rtp_units_to_us(rb->jitter, l->clock_rate);
    if (rb->last_sr == 0) return;
    uint32_t rtt = ntp_middle(ntp_now) - rb->last_sr - rb->delay_since_last_sr; /* 1/65536 s */
    if (rtt < 0x80000000u) l->counters.round_trip_us = (uint32_t)(((uint64_t)rtt * 1000000u) >> 16);
}

int rtcp_receive(gwm_bridge *b, leg_state *from, uint8_t *packet, size_t len, uint64_t now_us)
{
    if (from->secure) {
        int rc = gwm_srtp_unprotect_rtcp(from->rx, packet, &len);
        if (rc != GWM_OK) return rc;
    }
    int rc = gwm_rtcp_validate(packet, len);
    if (rc != GWM_OK) {
        from->counters.malformed++;
        return rc;
    }
    from->counters.rtcp_received++;
    uint64_t ntp_now = ntp_time(b, now_us);
    size_t cursor = 0;
    gwm_rtcp_packet p;
    while (gwm_rtcp_next(packet, len, &cursor, &p) == GWM_OK) {
        if (p.type == GWM_RTCP_SR) {
            gwm_rtcp_sender_info si;
            uint32_t ssrc;
            if (gwm_rtcp_sender_info_get(&p, &si) == GWM_OK && gwm_rtcp_sender_ssrc(&p, &ssrc) == GWM_OK &&
                from->rx_stats.active && ssrc == from->rx_stats.ssrc) {
                from->rx_stats.last_sr = ntp_middle(si.ntp_timestamp);
                from->rx_stats.last_sr_arrival_us = now_us;
            }
        }
        if (p.type == GWM_RTCP_SR || p.type == GWM_RTCP_RR) {
            gwm_rtcp_report_block rb;
            for (unsigned i = 0; gwm_rtcp_report_block_get(&p, i, &rb) == GWM_OK; i++)
                process_report_block(from, &rb, ntp_now);
        }
    }
    return GWM_OK;
}

static size_t report_blocks(leg_state *l, uint64_t now_us, gwm_rtcp_report_block *rb)
{
    receiver_stats *s = &l->rx_stats;
    if (!s->active) return 0;
    memset(rb, 0, sizeof *rb);
    rb->ssrc = s->ssrc;
    rb->fraction_lost = receiver_stats_take_fraction(s);
    int64_t lost = receiver_stats_lost(s);
    rb->cumulative_lost = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : (int32_t)lost;
    rb->highest_sequence = receiver_stats_extended_max(s);
    rb->jitter = (uint32_t)s->arrival.jitter;
    if (s->last_sr) {
        rb->last_sr = s->last_sr;
        rb->delay_since_last_sr = (uint32_t)(((now_us - s->last_sr_arrival_us) << 16) / 1000000u);
    }
    return 1;
}

/* Writes SR or RR, then SDES CNAME, and BYE when asked; protects and queues it. */
static int send_compound(gwm_bridge *b, leg_state *l, uint64_t now_us, int bye)
{
    if (l->secure && !l->tx) return GWM_ERR_NOT_READY;
    out_slot *slot = queue_reserve(&b->queue);
    if (!slot) {
        l->counters.dropped++;
        return GWM_ERR_FULL;
    }
    size_t cap = sizeof slot->data - GWM_SRTP_MAX_OVERHEAD, len = 0;
    gwm_rtcp_report_block rb;
    size_t n = report_blocks(l, now_us, &rb);
    const sender_state *s = &l->tx_state;
    int rc;
    if (s->sent_any) {
        gwm_rtcp_sender_info si = {
            .ntp_timestamp = ntp_time(b, now_us),
            .rtp_timestamp = sender_ts_after_gap(s, now_us, l->clock_rate, 0),
            .packet_count = s->packets,
            .octet_count = s->octets,
        };
        rc = gwm_rtcp_write_sr(slot->data, cap, &len, s->ssrc, &si, &rb, n);
    } else {
        rc = gwm_rtcp_write_rr(slot->data, cap, &len, s->ssrc, &rb, n);
    }
    if (rc == GWM_OK)
        rc = gwm_rtcp_write_sdes_cname(slot->data, cap, &len, s->ssrc, l->cfg.cname,
                                       strnlen(l->cfg.cname, sizeof l->cfg.cname - 1));
    if (rc == GWM_OK && bye) rc = gwm_rtcp_write_bye(slot->data, cap, &len, &s->ssrc, 1, NULL, 0);
    if (rc == GWM_OK && l->secure) rc = gwm_srtp_protect_rtcp(l->tx, slot->data, &len, sizeof slot->data);
    if (rc != GWM_OK) return rc;
    queue_commit(&b->queue, slot, l == &b->legs[0] ? GWM_LEG_A : GWM_LEG_B, 1, len);
    l->counters.rtcp_sent++;
    return GWM_OK;
}

void rtcp_run_timers(gwm_bridge *b, uint64_t now_us)
{
    for (int i = 0; i < 2; i++) {
        leg_state *l = &b->legs[i];
        if (l->next_rtcp_us == UINT64_MAX || now_us < l->next_rtcp_us) continue;
        send_compound(b, l, now_us, 0);
        l->next_rtcp_us = now_us + interval_us(b);
    }
}

int rtcp_send_bye(gwm_bridge *b, leg_state *l, uint64_t now_us)
{
    int rc = send_compound(b, l, now_us, 1);
    if (rc == GWM_OK) l->next_rtcp_us = UINT64_MAX;
    return rc;
}
