/*
 * Transcoding: packets from a leg go through its jitter buffer; once per
 * outgoing frame interval a playout tick decodes (or conceals) into a PCM
 * FIFO at the internal rate and encodes one frame for the other leg.
 *
 * The internal rate is 8 kHz: the G.711 side carries nothing above 4 kHz, and
 * libopus decodes straight to 8 kHz and encodes from 8 kHz input far more
 * cheaply than through 48 kHz and a resampler. `fullband` selects the 48 kHz
 * path (resampling the G.711 side with libspeexdsp), kept for comparison and
 * for wideband sources.
 */
#include <string.h>

#include "bridge_internal.h"

enum { RESAMPLER_QUALITY = 4, MAX_CATCH_UP_TICKS = 10 };

static uint32_t codec_pcm_rate(const gwm_bridge *b, gwm_codec codec)
{
    return codec == GWM_CODEC_OPUS ? b->internal_rate : NARROWBAND_RATE;
}

static int setup_leg(gwm_bridge *b, leg_state *l)
{
    gwm_jitter_config jc;
    gwm_jitter_config_default(l->clock_rate, &jc);
    jc.frame_ms = l->cfg.ptime_ms;
    jc.min_delay_ms = b->cfg.jitter_min_ms;
    jc.max_delay_ms = b->cfg.jitter_max_ms;
    if (b->cfg.jitter_capacity) jc.capacity = b->cfg.jitter_capacity;
    int rc = gwm_jitter_create(&jc, &l->jitter);
    if (rc != GWM_OK) return rc;

    uint32_t pcm_rate = codec_pcm_rate(b, l->cfg.codec);
    rc = gwm_decoder_create(l->cfg.codec, pcm_rate, &l->decoder);
    if (rc != GWM_OK) return rc;
    if (pcm_rate != b->internal_rate) {
        rc = gwm_resampler_create(pcm_rate, b->internal_rate, RESAMPLER_QUALITY, &l->to_internal);
        if (rc != GWM_OK) return rc;
        rc = gwm_resampler_create(b->internal_rate, pcm_rate, RESAMPLER_QUALITY, &l->from_internal);
        if (rc != GWM_OK) return rc;
    }

    gwm_encoder_config ec;
    gwm_encoder_config_default(l->cfg.codec, &ec);
    ec.sample_rate = pcm_rate;
    if (l->cfg.opus_bitrate) ec.bitrate = l->cfg.opus_bitrate;
    ec.complexity = l->cfg.opus_complexity;
    ec.inband_fec = l->cfg.opus_fec;
    return gwm_encoder_create(&ec, &l->encoder);
}

void transcode_teardown(gwm_bridge *b)
{
    for (int i = 0; i < 2; i++) {
        leg_state *l = &b->legs[i];
        gwm_jitter_destroy(l->jitter);
        gwm_decoder_destroy(l->decoder);
        gwm_encoder_destroy(l->encoder);
        gwm_resampler_destroy(l->to_internal);
        gwm_resampler_destroy(l->from_internal);
        l->jitter = NULL;
        l->decoder = NULL;
        l->encoder = NULL;
        l->to_internal = NULL;
        l->from_internal = NULL;
        l->tick_armed = 0;
        l->fifo_len = 0;
        l->audio_contiguous = 0;
    }
}

int transcode_setup(gwm_bridge *b)
{
    for (int i = 0; i < 2; i++) {
        int rc = setup_leg(b, &b->legs[i]);
        if (rc != GWM_OK) {
            transcode_teardown(b);
            return rc;
        }
    }
    return GWM_OK;
}

int transcode_put(gwm_bridge *b, leg_state *from, const uint8_t *packet, const gwm_rtp_header *h,
                  uint64_t now_us)
{
    int rc = gwm_jitter_put(from->jitter, h->sequence, h->timestamp, h->marker,
                            packet + h->payload_offset, h->payload_length, now_us);
    if (rc != GWM_OK) {
        from->counters.dropped++;
        return rc;
    }
    if (!from->tick_armed) {
        from->tick_armed = 1;
        from->idle_ticks = 0;
        from->next_tick_us = now_us;
    }
    (void)b;
    return GWM_OK;
}

static void decode_into_fifo(gwm_bridge *b, leg_state *from, const gwm_jitter_frame *f)
{
    int16_t *out = from->to_internal ? b->pcm : from->fifo + from->fifo_len;
    size_t cap = from->to_internal ? FIFO_SAMPLES : FIFO_SAMPLES - from->fifo_len;
    size_t n = 0;
    int rc;
    if (f->result == GWM_JITTER_FRAME) {
        rc = gwm_decoder_decode(from->decoder, f->payload, f->payload_length, out, cap, &n);
    } else {
        size_t frame = codec_pcm_rate(b, from->cfg.codec) * from->cfg.ptime_ms / 1000;
        rc = gwm_decoder_conceal(from->decoder, f->next_payload, f->next_payload_length, frame,
                                 out, cap, &n);
        if (f->next_payload && from->cfg.codec == GWM_CODEC_OPUS) from->counters.fec_recovered++;
        else from->counters.concealed++;
    }
    if (rc != GWM_OK) {
        from->counters.codec_errors++;
        return;
    }
    if (from->to_internal) {
        size_t m = 0;
        if (gwm_resampler_process(from->to_internal, b->pcm, n, from->fifo + from->fifo_len,
                                  FIFO_SAMPLES - from->fifo_len, &m) != GWM_OK) {
            from->counters.codec_errors++;
            return;
        }
        n = m;
    }
    from->fifo_len += n;
}

static int encode_frame(gwm_bridge *b, leg_state *to, const int16_t *pcm, size_t samples,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    if (to->from_internal) {
        size_t m = 0;
        int rc = gwm_resampler_process(to->from_internal, pcm, samples, b->pcm, FIFO_SAMPLES, &m);
        if (rc != GWM_OK) return rc;
        pcm = b->pcm;
        samples = m;
    }
    return gwm_encoder_encode(to->encoder, pcm, samples, out, cap, out_len);
}

static void consume_fifo(leg_state *from, size_t samples)
{
    from->fifo_len -= samples;
    memmove(from->fifo, from->fifo + samples, from->fifo_len * sizeof from->fifo[0]);
}

static void tick(gwm_bridge *b, leg_state *from, uint64_t now_us)
{
    leg_state *to = other_leg(b, from);
    size_t frame = b->internal_rate * to->cfg.ptime_ms / 1000;
    while (from->fifo_len < frame) {
        gwm_jitter_frame f;
        gwm_jitter_get(from->jitter, now_us, &f);
        if (f.result == GWM_JITTER_NONE) break;
        decode_into_fifo(b, from, &f);
    }
    if (from->fifo_len < frame) {
        to->audio_contiguous = 0;
        if (++from->idle_ticks > IDLE_TICKS_BEFORE_DISARM) from->tick_armed = 0;
        return;
    }
    from->idle_ticks = 0;

    out_slot *slot = NULL;
    if (can_send_to(to) && !(to->secure && !to->tx)) slot = queue_reserve(&b->queue);
    if (!slot) {
        to->counters.dropped++;
        to->audio_contiguous = 0;
        consume_fifo(from, frame);
        return;
    }
    size_t payload_len = 0;
    size_t cap = sizeof slot->data - GWM_RTP_MIN_HEADER - GWM_SRTP_MAX_OVERHEAD;
    if (encode_frame(b, to, from->fifo, frame, slot->data + GWM_RTP_MIN_HEADER, cap, &payload_len) != GWM_OK) {
        to->counters.codec_errors++;
        to->audio_contiguous = 0;
        consume_fifo(from, frame);
        return;
    }
    consume_fifo(from, frame);

    const sender_state *s = &to->tx_state;
    uint32_t frame_ts = to->clock_rate * to->cfg.ptime_ms / 1000;
    uint32_t ts;
    if (to->audio_contiguous) ts = to->audio_next_ts;
    else if (s->sent_any) ts = sender_ts_after_gap(s, now_us, to->clock_rate, frame_ts);
    else ts = to->cfg.initial_timestamp;
    uint16_t seq = s->sent_any ? (uint16_t)(s->last_seq + 1) : to->cfg.initial_sequence;
    uint8_t marker = to->audio_contiguous ? 0 : 1; /* first packet of a talk spurt */
    if (send_rtp(b, to, slot, to->cfg.payload_type, marker, seq, ts, payload_len, now_us) == GWM_OK) {
        to->audio_contiguous = 1;
        to->audio_next_ts = ts + frame_ts;
    }
}

void transcode_run_timers(gwm_bridge *b, uint64_t now_us)
{
    if (b->relaying) return;
    for (int i = 0; i < 2; i++) {
        leg_state *from = &b->legs[i];
        uint64_t period = (uint64_t)other_leg(b, from)->cfg.ptime_ms * 1000;
        for (int n = 0; from->tick_armed && now_us >= from->next_tick_us; n++) {
            if (n == MAX_CATCH_UP_TICKS) { /* the caller fell far behind: resynchronise */
                from->next_tick_us = now_us + period;
                break;
            }
            tick(b, from, now_us);
            from->next_tick_us += period;
        }
    }
}

uint64_t transcode_next_timeout(const gwm_bridge *b)
{
    uint64_t t = UINT64_MAX;
    if (b->relaying) return t;
    for (int i = 0; i < 2; i++)
        if (b->legs[i].tick_armed && b->legs[i].next_tick_us < t) t = b->legs[i].next_tick_us;
    return t;
}
