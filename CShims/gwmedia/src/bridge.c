/* The bridge object: configuration, packet intake, the poll loop, statistics. */
#include <stdlib.h>
#include <string.h>

#include "bridge_internal.h"
#include "units.h"

static void leg_default(gwm_leg_config *l, gwm_codec codec, uint8_t pt, int16_t dtmf_pt)
{
    memset(l, 0, sizeof *l);
    l->codec = codec;
    l->payload_type = pt;
    l->dtmf_payload_type = dtmf_pt;
    l->ptime_ms = 20;
    l->opus_complexity = 5;
    l->opus_fec = 1;
    strcpy(l->cname, "gateway");
}

void gwm_bridge_config_default(gwm_bridge_config *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    leg_default(&out->legs[0], GWM_CODEC_OPUS, 111, 126);
    leg_default(&out->legs[1], GWM_CODEC_PCMU, 0, 101);
    out->jitter_min_ms = 20;
    out->jitter_max_ms = 200;
    out->jitter_capacity = 32;
    out->rtcp_interval_ms = 5000;
    out->random_seed = 0x9e3779b97f4a7c15ull;
}

static int valid_leg(const gwm_leg_config *l)
{
    if (gwm_codec_clock_rate(l->codec) == 0) return 0;
    if (l->payload_type > 127 || l->dtmf_payload_type > 127 || l->dtmf_payload_type < -1) return 0;
    if (l->dtmf_payload_type == l->payload_type) return 0;
    if (l->ptime_ms != 10 && l->ptime_ms != 20 && l->ptime_ms != 30 && l->ptime_ms != 40 &&
        l->ptime_ms != 60)
        return 0;
    if (l->codec == GWM_CODEC_OPUS && (l->opus_complexity < 0 || l->opus_complexity > 10)) return 0;
    return l->dtmf_clock_rate <= 48000;
}

static void apply_leg_config(leg_state *l, const gwm_leg_config *cfg)
{
    uint32_t ssrc = l->cfg.ssrc;
    uint16_t seq = l->cfg.initial_sequence;
    uint32_t ts = l->cfg.initial_timestamp;
    char cname[sizeof l->cfg.cname];
    memcpy(cname, l->cfg.cname, sizeof cname);
    l->cfg = *cfg;
    /* Identity of the outgoing stream never changes after creation. */
    l->cfg.ssrc = ssrc;
    l->cfg.initial_sequence = seq;
    l->cfg.initial_timestamp = ts;
    memcpy(l->cfg.cname, cname, sizeof cname);
    l->clock_rate = gwm_codec_clock_rate(cfg->codec);
    l->dtmf_clock_rate = cfg->dtmf_clock_rate ? cfg->dtmf_clock_rate : l->clock_rate;
    l->relay.valid = 0;
    l->dtmf.valid = 0;
}

/* Relay when the codecs match; otherwise build the transcoding state. */
static int choose_path(gwm_bridge *b)
{
    transcode_teardown(b);
    b->relaying = b->legs[0].cfg.codec == b->legs[1].cfg.codec;
    b->internal_rate = b->cfg.fullband ? FULLBAND_RATE : NARROWBAND_RATE;
    return b->relaying ? GWM_OK : transcode_setup(b);
}

int gwm_bridge_create(const gwm_bridge_config *cfg, gwm_bridge **out)
{
    if (!out) return GWM_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!cfg || !valid_leg(&cfg->legs[0]) || !valid_leg(&cfg->legs[1]) ||
        cfg->legs[0].ssrc == 0 || cfg->legs[1].ssrc == 0 || cfg->jitter_min_ms > cfg->jitter_max_ms)
        return GWM_ERR_INVALID_ARGUMENT;
    gwm_bridge *b = calloc(1, sizeof *b);
    if (!b) return GWM_ERR_NO_MEMORY;
    b->cfg = *cfg;
    b->rng = cfg->random_seed ? cfg->random_seed : 1;
    for (int i = 0; i < 2; i++) {
        leg_state *l = &b->legs[i];
        l->cfg.ssrc = cfg->legs[i].ssrc;
        l->cfg.initial_sequence = cfg->legs[i].initial_sequence;
        l->cfg.initial_timestamp = cfg->legs[i].initial_timestamp;
        memcpy(l->cfg.cname, cfg->legs[i].cname, sizeof l->cfg.cname);
        l->cfg.cname[sizeof l->cfg.cname - 1] = 0;
        if (!l->cfg.cname[0]) strcpy(l->cfg.cname, "gateway");
        apply_leg_config(l, &cfg->legs[i]);
        l->tx_state.ssrc = l->cfg.ssrc;
        l->next_rtcp_us = UINT64_MAX;
        l->direction = GWM_SENDRECV;
        l->secure = cfg->legs[i].require_srtp ? 1 : 0;
    }
    int rc = choose_path(b);
    if (rc != GWM_OK) {
        gwm_bridge_destroy(b);
        return rc;
    }
    *out = b;
    return GWM_OK;
}

void gwm_bridge_destroy(gwm_bridge *b)
{
    if (!b) return;
    transcode_teardown(b);
    for (int i = 0; i < 2; i++) {
        gwm_srtp_destroy(b->legs[i].tx);
        gwm_srtp_destroy(b->legs[i].rx);
    }
    free(b);
}

static leg_state *leg_at(gwm_bridge *b, gwm_leg leg)
{
    return (leg == GWM_LEG_A || leg == GWM_LEG_B) ? &b->legs[leg] : NULL;
}

int gwm_bridge_update_leg(gwm_bridge *b, gwm_leg leg, const gwm_leg_config *cfg)
{
    if (!b || !cfg || !leg_at(b, leg) || !valid_leg(cfg)) return GWM_ERR_INVALID_ARGUMENT;
    leg_state *l = leg_at(b, leg);
    int codec_changed = l->cfg.codec != cfg->codec || l->cfg.ptime_ms != cfg->ptime_ms ||
                        l->cfg.opus_bitrate != cfg->opus_bitrate ||
                        l->cfg.opus_complexity != cfg->opus_complexity || l->cfg.opus_fec != cfg->opus_fec;
    apply_leg_config(l, cfg);
    other_leg(b, l)->relay.valid = 0;
    return codec_changed ? choose_path(b) : GWM_OK;
}

int gwm_bridge_set_srtp(gwm_bridge *b, gwm_leg leg, gwm_srtp_profile profile,
                        const uint8_t *send_key, const uint8_t *receive_key, size_t key_len)
{
    if (!b || !leg_at(b, leg)) return GWM_ERR_INVALID_ARGUMENT;
    leg_state *l = leg_at(b, leg);
    gwm_srtp *tx = NULL, *rx = NULL;
    if (profile != GWM_SRTP_NONE) {
        if (!send_key || !receive_key) return GWM_ERR_INVALID_ARGUMENT;
        int rc = gwm_srtp_create(profile, GWM_SRTP_SEND, send_key, key_len, &tx);
        if (rc == GWM_OK) rc = gwm_srtp_create(profile, GWM_SRTP_RECEIVE, receive_key, key_len, &rx);
        if (rc != GWM_OK) {
            gwm_srtp_destroy(tx);
            return rc;
        }
    }
    gwm_srtp_destroy(l->tx);
    gwm_srtp_destroy(l->rx);
    l->tx = tx;
    l->rx = rx;
    l->secure = profile != GWM_SRTP_NONE;
    return GWM_OK;
}

int gwm_bridge_set_direction(gwm_bridge *b, gwm_leg leg, gwm_direction direction)
{
    if (!b || !leg_at(b, leg) || direction < GWM_SENDRECV || direction > GWM_INACTIVE)
        return GWM_ERR_INVALID_ARGUMENT;
    leg_at(b, leg)->direction = direction;
    return GWM_OK;
}

/* A new SSRC from a leg is a new stream: restart its statistics and buffers. */
static void follow_source(leg_state *l, const gwm_rtp_header *h)
{
    receiver_stats *s = &l->rx_stats;
    if (s->active && s->ssrc == h->ssrc) return;
    if (s->active) l->counters.ssrc_changes++;
    receiver_stats_init(s, h->ssrc, h->sequence, l->clock_rate);
    if (l->jitter) gwm_jitter_reset(l->jitter);
}

static int receive_rtp(gwm_bridge *b, leg_state *from, const uint8_t *data, size_t len, uint64_t now_us)
{
    if (!can_receive_from(from)) {
        from->counters.dropped++;
        return GWM_ERR_DIRECTION;
    }
    leg_state *to = other_leg(b, from);
    /* A relayed packet is processed in the output slot it will leave from. */
    out_slot *slot = NULL;
    uint8_t *buf = b->scratch;
    if (b->relaying) {
        slot = queue_reserve(&b->queue);
        if (!slot) {
            from->counters.dropped++;
            return GWM_ERR_FULL;
        }
        buf = slot->data;
    }
    memcpy(buf, data, len);
    if (from->secure) {
        int rc = gwm_srtp_unprotect(from->rx, buf, &len);
        if (rc != GWM_OK) return rc;
    }
    gwm_rtp_header h;
    int rc = gwm_rtp_parse(buf, len, &h);
    if (rc != GWM_OK) {
        from->counters.malformed++;
        return rc;
    }
    int is_dtmf = from->cfg.dtmf_payload_type >= 0 && h.payload_type == from->cfg.dtmf_payload_type;
    if (!is_dtmf && h.payload_type != from->cfg.payload_type) {
        from->counters.unknown_payload++;
        return GWM_ERR_UNKNOWN_PAYLOAD;
    }
    follow_source(from, &h);
    if (!receiver_stats_update(&from->rx_stats, h.sequence, h.timestamp, now_us)) {
        from->counters.dropped++;
        return GWM_OK; /* a jump not confirmed yet: RFC 3550 §A.1 probation */
    }
    from->counters.packets_received++;
    from->counters.bytes_received += h.payload_length;
    rtcp_schedule(b, from, now_us);

    if (is_dtmf) {
        from->counters.dtmf_received++;
        return dtmf_forward(b, from, buf, &h, now_us);
    }
    if (!b->relaying) {
        if (!from->jitter) { /* a codec change could not allocate its codecs */
            from->counters.dropped++;
            return GWM_ERR_NO_MEMORY;
        }
        return transcode_put(b, from, buf, &h, now_us);
    }
    if (!can_send_to(to) || (to->secure && !to->tx)) {
        to->counters.dropped++;
        return GWM_OK;
    }
    return relay_forward(b, from, slot, &h, now_us);
}

int gwm_bridge_receive(gwm_bridge *b, gwm_leg leg, const uint8_t *data, size_t len, uint64_t now_us)
{
    if (!b || !data || !leg_at(b, leg)) return GWM_ERR_INVALID_ARGUMENT;
    leg_state *from = leg_at(b, leg);
    if (now_us < b->last_now_us) now_us = b->last_now_us; /* time never runs backwards */
    b->last_now_us = now_us;
    if (len > GWM_BRIDGE_MAX_PACKET) {
        from->counters.malformed++;
        return GWM_ERR_TOO_LARGE;
    }
    gwm_packet_kind kind = gwm_packet_classify(data, len);
    if (kind != GWM_PACKET_RTP && kind != GWM_PACKET_RTCP) {
        from->counters.malformed++;
        return GWM_ERR_MALFORMED;
    }
    if (from->secure && !from->rx) {
        from->counters.dropped++;
        return GWM_ERR_NOT_READY;
    }
    if (kind == GWM_PACKET_RTP) return receive_rtp(b, from, data, len, now_us);
    memcpy(b->scratch, data, len);
    return rtcp_receive(b, from, b->scratch, len, now_us);
}

int gwm_bridge_poll(gwm_bridge *b, uint64_t now_us, gwm_bridge_output *out)
{
    if (!b || !out) return GWM_ERR_INVALID_ARGUMENT;
    if (now_us < b->last_now_us) now_us = b->last_now_us;
    b->last_now_us = now_us;
    if (b->queue.count == 0) {
        transcode_run_timers(b, now_us);
        rtcp_run_timers(b, now_us);
    }
    out_slot *slot = queue_pop(&b->queue);
    if (!slot) return 0;
    out->leg = (gwm_leg)slot->leg;
    out->is_rtcp = slot->is_rtcp;
    out->data = slot->data;
    out->length = slot->length;
    return 1;
}

uint64_t gwm_bridge_next_timeout(const gwm_bridge *b)
{
    if (!b) return UINT64_MAX;
    if (b->queue.count) return b->last_now_us;
    uint64_t t = transcode_next_timeout(b);
    for (int i = 0; i < 2; i++)
        if (b->legs[i].next_rtcp_us < t) t = b->legs[i].next_rtcp_us;
    return t;
}

int gwm_bridge_send_bye(gwm_bridge *b, gwm_leg leg, uint64_t now_us)
{
    if (!b || !leg_at(b, leg)) return GWM_ERR_INVALID_ARGUMENT;
    return rtcp_send_bye(b, leg_at(b, leg), now_us);
}

int gwm_bridge_is_relaying(const gwm_bridge *b) { return b ? b->relaying : 0; }

int gwm_bridge_leg_stats(const gwm_bridge *b, gwm_leg leg, gwm_leg_stats *out)
{
    if (!b || !out || (leg != GWM_LEG_A && leg != GWM_LEG_B)) return GWM_ERR_INVALID_ARGUMENT;
    const leg_state *l = &b->legs[leg];
    *out = l->counters;
    if (l->secure && l->rx) {
        gwm_srtp_stats s;
        gwm_srtp_stats_get(l->rx, &s);
        out->srtp_auth_failures = s.auth_failures;
        out->srtp_replays = s.replays;
        out->srtp_other_failures = s.other_failures;
    }
    const receiver_stats *rs = &l->rx_stats;
    out->remote_ssrc = rs->active ? rs->ssrc : 0;
    out->cumulative_lost = rs->active ? receiver_stats_lost(rs) : 0;
    out->extended_highest_sequence = rs->active ? receiver_stats_extended_max(rs) : 0;
    out->jitter_us = gwm_rtp_units_to_us(rs->arrival.jitter, l->clock_rate);
    const sender_state *s = &l->tx_state;
    out->next_sequence = s->sent_any ? (uint16_t)(s->last_seq + 1) : l->cfg.initial_sequence;
    out->send_rollover = s->rollovers;
    if (l->jitter) gwm_jitter_stats_get(l->jitter, &out->jitter);
    else memset(&out->jitter, 0, sizeof out->jitter);
    return GWM_OK;
}
