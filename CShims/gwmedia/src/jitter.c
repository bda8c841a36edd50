/*
 * Adaptive jitter buffer. Slots are indexed by sequence number modulo the
 * capacity, so insertion and playout are O(1) and memory is fixed.
 *
 * States: IDLE (no stream) -> PRIMING (packets held until the target delay has
 * passed since the first one) -> PLAYING. A run of underruns longer than the
 * maximum delay means the sender paused (hold, DTX, SSRC change): back to
 * PRIMING, so that the next talk spurt starts with a fresh target delay.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gwm/jitter.h"
#include "interarrival.h"
#include "units.h"

enum { STATE_IDLE, STATE_PRIMING, STATE_PLAYING };
/* So many late packets in a row mean the sender restarted its sequence space. */
enum { LATE_RUN_RESYNC = 8 };

struct slot {
    uint8_t used;
    uint8_t marker;
    uint16_t sequence;
    uint32_t timestamp;
    uint16_t length;
    uint64_t arrival_us;
};

struct gwm_jitter {
    gwm_jitter_config cfg;
    struct slot *slots;
    uint8_t *payloads;
    uint16_t mask;
    int state;
    int prime_on_next_put;
    uint64_t prime_at_us;
    uint16_t next_seq;
    uint16_t highest_seq;
    uint16_t count;
    uint32_t underrun_frames;
    uint32_t late_run;
    uint64_t played_history;  /* bit i: sequence next_seq-1-i was played */
    interarrival arrival;
    gwm_jitter_stats stats;
};

void gwm_jitter_config_default(uint32_t clock_rate, gwm_jitter_config *out)
{
    if (!out) return;
    out->clock_rate = clock_rate;
    out->frame_ms = 20;
    out->min_delay_ms = 20;
    out->max_delay_ms = 200;
    out->capacity = 32;
    out->max_payload = 1280;
}

int gwm_jitter_create(const gwm_jitter_config *cfg, gwm_jitter **out)
{
    if (!out) return GWM_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!cfg || cfg->clock_rate == 0 || cfg->frame_ms == 0 || cfg->max_payload == 0 ||
        cfg->capacity < 4 || cfg->capacity > 1024 || (cfg->capacity & (cfg->capacity - 1)) ||
        cfg->min_delay_ms > cfg->max_delay_ms)
        return GWM_ERR_INVALID_ARGUMENT;
    gwm_jitter *jb = calloc(1, sizeof *jb);
    if (!jb) return GWM_ERR_NO_MEMORY;
    jb->cfg = *cfg;
    jb->mask = (uint16_t)(cfg->capacity - 1);
    jb->slots = calloc(cfg->capacity, sizeof *jb->slots);
    jb->payloads = malloc((size_t)cfg->capacity * cfg->max_payload);
    if (!jb->slots || !jb->payloads) {
        gwm_jitter_destroy(jb);
        return GWM_ERR_NO_MEMORY;
    }
    jb->stats.target_delay_ms = cfg->min_delay_ms;
    *out = jb;
    return GWM_OK;
}

void gwm_jitter_destroy(gwm_jitter *jb)
{
    if (!jb) return;
    free(jb->slots);
    free(jb->payloads);
    free(jb);
}

static uint32_t target_delay_ms(const gwm_jitter *jb)
{
    /* Three times the mean deviation covers most of the interarrival spread. */
    double jitter_ms = jb->arrival.jitter * 1000.0 / jb->cfg.clock_rate;
    double frame = jb->cfg.frame_ms;
    double t = ceil(3.0 * jitter_ms / frame) * frame;
    if (t > jb->cfg.max_delay_ms) return jb->cfg.max_delay_ms;
    if (t < jb->cfg.min_delay_ms) return jb->cfg.min_delay_ms;
    return (uint32_t)t;
}

static void clear_slots(gwm_jitter *jb)
{
    for (unsigned i = 0; i <= jb->mask; i++) jb->slots[i].used = 0;
    jb->count = 0;
}

void gwm_jitter_reset(gwm_jitter *jb)
{
    if (!jb) return;
    clear_slots(jb);
    jb->state = STATE_IDLE;
    jb->prime_on_next_put = 0;
    jb->underrun_frames = 0;
    jb->late_run = 0;
    jb->played_history = 0;
    jb->arrival.have_transit = 0;
}

static void start_stream(gwm_jitter *jb, uint16_t seq, uint64_t now_us)
{
    clear_slots(jb);
    jb->state = STATE_PRIMING;
    jb->prime_on_next_put = 0;
    jb->prime_at_us = now_us + (uint64_t)target_delay_ms(jb) * 1000;
    jb->next_seq = seq;
    jb->highest_seq = seq;
    jb->underrun_frames = 0;
    jb->late_run = 0;
    jb->played_history = 0;
}

int gwm_jitter_put(gwm_jitter *jb, uint16_t seq, uint32_t timestamp, uint8_t marker,
                   const uint8_t *payload, size_t len, uint64_t now_us)
{
    if (!jb || (len && !payload)) return GWM_ERR_INVALID_ARGUMENT;
    if (len > jb->cfg.max_payload) return GWM_ERR_TOO_LARGE;

    if (jb->state == STATE_IDLE) start_stream(jb, seq, now_us);
    int16_t diff = (int16_t)(seq - jb->next_seq);
    if (diff < 0) {
        if (-diff <= 64 && (jb->played_history >> (-diff - 1)) & 1) {
            jb->stats.duplicate++;
            return GWM_OK;
        }
        jb->stats.late++;
        if (++jb->late_run < LATE_RUN_RESYNC) return GWM_OK;
        jb->stats.resets++;
        start_stream(jb, seq, now_us);
        diff = 0;
    } else if (diff > jb->mask) {
        jb->stats.resets++;
        start_stream(jb, seq, now_us);
        diff = 0;
    }
    jb->late_run = 0;

    struct slot *s = &jb->slots[seq & jb->mask];
    if (s->used) {
        jb->stats.duplicate++;
        return GWM_OK;
    }
    interarrival_update(&jb->arrival, timestamp, now_us, jb->cfg.clock_rate);
    s->used = 1;
    s->marker = marker ? 1 : 0;
    s->sequence = seq;
    s->timestamp = timestamp;
    s->length = (uint16_t)len;
    s->arrival_us = now_us;
    if (len) memcpy(jb->payloads + (size_t)(seq & jb->mask) * jb->cfg.max_payload, payload, len);
    jb->count++;
    jb->stats.received++;
    if ((int16_t)(seq - jb->highest_seq) > 0) jb->highest_seq = seq;
    if (jb->prime_on_next_put) {
        jb->prime_on_next_put = 0;
        jb->prime_at_us = now_us + (uint64_t)target_delay_ms(jb) * 1000;
    }
    return GWM_OK;
}

static const uint8_t *slot_payload(const gwm_jitter *jb, uint16_t seq)
{
    return jb->payloads + (size_t)(seq & jb->mask) * jb->cfg.max_payload;
}

static struct slot *slot_for(gwm_jitter *jb, uint16_t seq)
{
    struct slot *s = &jb->slots[seq & jb->mask];
    return (s->used && s->sequence == seq) ? s : NULL;
}

/* Advances past next_seq, recording whether it was played. */
static void advance(gwm_jitter *jb, int played)
{
    jb->played_history = (jb->played_history << 1) | (played ? 1u : 0u);
    jb->next_seq++;
}

/* After a pause the first buffered packet may not be next_seq: skip the gap. */
static void skip_to_first_buffered(gwm_jitter *jb)
{
    for (unsigned i = 0; i <= jb->mask && !slot_for(jb, jb->next_seq); i++) advance(jb, 0);
}

static void shrink_if_too_deep(gwm_jitter *jb)
{
    if (jb->count == 0) return;
    uint32_t depth_ms = (uint32_t)((uint16_t)(jb->highest_seq - jb->next_seq) + 1) * jb->cfg.frame_ms;
    if (depth_ms <= jb->stats.target_delay_ms + 2 * jb->cfg.frame_ms) return;
    struct slot *s = slot_for(jb, jb->next_seq);
    if (s) {
        s->used = 0;
        jb->count--;
    }
    jb->stats.discarded++;
    advance(jb, s != NULL);
}

void gwm_jitter_get(gwm_jitter *jb, uint64_t now_us, gwm_jitter_frame *out)
{
    if (!jb || !out) return;
    memset(out, 0, sizeof *out);
    jb->stats.target_delay_ms = target_delay_ms(jb);

    if (jb->state == STATE_PRIMING) {
        if (jb->count == 0 || jb->prime_on_next_put || now_us < jb->prime_at_us) return;
        jb->state = STATE_PLAYING;
        jb->underrun_frames = 0;
        skip_to_first_buffered(jb);
    }
    if (jb->state != STATE_PLAYING) return;

    struct slot *s = slot_for(jb, jb->next_seq);
    if (s) {
        s->used = 0;
        jb->count--;
        out->result = GWM_JITTER_FRAME;
        out->sequence = s->sequence;
        out->timestamp = s->timestamp;
        out->marker = s->marker;
        out->payload = slot_payload(jb, s->sequence);
        out->payload_length = s->length;
        jb->stats.played++;
        jb->stats.current_delay_ms = (uint32_t)((now_us - s->arrival_us) / 1000);
        jb->underrun_frames = 0;
        advance(jb, 1);
        shrink_if_too_deep(jb);
        return;
    }
    if (jb->count > 0) {
        out->result = GWM_JITTER_MISSING;
        out->sequence = jb->next_seq;
        jb->stats.lost++;
        advance(jb, 0);
        struct slot *next = slot_for(jb, jb->next_seq);
        if (next) {
            out->next_payload = slot_payload(jb, next->sequence);
            out->next_payload_length = next->length;
        }
        return;
    }
    /* Ran dry: conceal without advancing, which grows the delay by a frame. */
    jb->underrun_frames++;
    if (jb->underrun_frames * jb->cfg.frame_ms > jb->cfg.max_delay_ms) {
        jb->state = STATE_PRIMING;
        jb->prime_on_next_put = 1;
        return;
    }
    jb->stats.concealed++;
    out->result = GWM_JITTER_MISSING;
    out->sequence = jb->next_seq;
}

void gwm_jitter_stats_get(const gwm_jitter *jb, gwm_jitter_stats *out)
{
    if (!jb || !out) return;
    *out = jb->stats;
    out->jitter_us = gwm_rtp_units_to_us(jb->arrival.jitter, jb->cfg.clock_rate);
    out->buffered = jb->count;
}
