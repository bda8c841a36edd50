/* The bridge's private state, shared by the bridge_*.c files. Internal. */
#ifndef GWM_BRIDGE_INTERNAL_H
#define GWM_BRIDGE_INTERNAL_H

#include "gwm/bridge.h"
#include "gwm/rtcp.h"
#include "gwm/rtp.h"
#include "receiver_stats.h"

enum {
    QUEUE_SLOTS = 16,
    SLOT_BYTES = GWM_BRIDGE_MAX_PACKET + GWM_SRTP_MAX_OVERHEAD,
    NARROWBAND_RATE = 8000,
    FULLBAND_RATE = 48000,
    /* Decoded audio waiting to be re-encoded: one 120 ms Opus packet plus a frame. */
    FIFO_SAMPLES = 5760 + 2880,
    /* Stop the playout timer after this long without a frame. */
    IDLE_TICKS_BEFORE_DISARM = 50
};

typedef struct out_slot {
    uint8_t data[SLOT_BYTES];
    size_t length;
    uint8_t leg;
    uint8_t is_rtcp;
} out_slot;

typedef struct out_queue {
    out_slot slots[QUEUE_SLOTS];
    unsigned head;
    unsigned count;
} out_queue;

/* What the gateway has sent on a leg: one sequence/timestamp space for life. */
typedef struct sender_state {
    uint32_t ssrc;
    int sent_any;
    uint16_t last_seq;     /* highest sequence sent */
    uint32_t last_ts;      /* timestamp of that packet */
    uint64_t last_send_us;
    uint32_t rollovers;
    uint32_t packets;
    uint32_t octets;
} sender_state;

/* Relay rewrite of one direction: out = in + offset, re-anchored on a new stream. */
typedef struct relay_map {
    int valid;
    uint32_t in_ssrc;
    uint16_t last_in_seq;
    uint16_t seq_offset;
    uint32_t ts_offset;
} relay_map;

/* One DTMF event keeps one timestamp on the way out, however long it lasts. */
typedef struct dtmf_map {
    int valid;
    uint32_t in_ts;
    uint32_t out_ts;
} dtmf_map;

typedef struct leg_state {
    gwm_leg_config cfg;
    uint32_t clock_rate;
    uint32_t dtmf_clock_rate;
    gwm_direction direction;

    int secure;
    gwm_srtp *tx;
    gwm_srtp *rx;

    receiver_stats rx_stats;   /* the stream from this leg */
    sender_state tx_state;     /* what we send to this leg */
    gwm_leg_stats counters;    /* the plain counters of gwm_leg_stats */
    uint64_t next_rtcp_us;

    /* The direction from this leg to the other one. */
    relay_map relay;
    dtmf_map dtmf;
    gwm_jitter *jitter;        /* transcoding only */
    gwm_decoder *decoder;      /* decodes this leg's codec */
    gwm_resampler *to_internal;/* decoder rate -> internal rate, when they differ */
    uint64_t next_tick_us;
    int tick_armed;
    unsigned idle_ticks;
    int16_t fifo[FIFO_SAMPLES];
    size_t fifo_len;

    /* Toward this leg. */
    gwm_encoder *encoder;      /* encodes this leg's codec */
    gwm_resampler *from_internal; /* internal rate -> encoder rate, when they differ */
    int audio_contiguous;      /* the previous playout tick sent a frame */
    uint32_t audio_next_ts;    /* timestamp of the next contiguous frame */
} leg_state;

struct gwm_bridge {
    gwm_bridge_config cfg;
    leg_state legs[2];
    int relaying;
    uint32_t internal_rate;
    out_queue queue;
    uint64_t rng;
    uint64_t last_now_us;
    uint8_t scratch[SLOT_BYTES];   /* packets that produce no output in place */
    int16_t pcm[FIFO_SAMPLES];     /* decode / resample staging */
};

static inline leg_state *other_leg(gwm_bridge *b, const leg_state *l)
{
    return l == &b->legs[0] ? &b->legs[1] : &b->legs[0];
}

static inline int can_send_to(const leg_state *l)
{
    return l->direction == GWM_SENDRECV || l->direction == GWM_SENDONLY;
}

static inline int can_receive_from(const leg_state *l)
{
    return l->direction == GWM_SENDRECV || l->direction == GWM_RECVONLY;
}

/* bridge_queue.c */
out_slot *queue_reserve(out_queue *q);
void queue_commit(out_queue *q, out_slot *slot, gwm_leg leg, int is_rtcp, size_t length);
out_slot *queue_pop(out_queue *q);

/* bridge_send.c */
uint32_t sender_ts_after_gap(const sender_state *s, uint64_t now_us, uint32_t clock_rate,
                             uint32_t min_advance);
int send_rtp(gwm_bridge *b, leg_state *to, out_slot *slot, uint8_t pt, uint8_t marker,
             uint16_t seq, uint32_t ts, size_t payload_len, uint64_t now_us);

/* bridge_relay.c */
int relay_forward(gwm_bridge *b, leg_state *from, out_slot *slot, const gwm_rtp_header *h,
                  uint64_t now_us);
void relay_map_out(gwm_bridge *b, leg_state *from, const gwm_rtp_header *h, uint64_t now_us,
                   uint16_t *seq, uint32_t *ts);

/* bridge_dtmf.c */
int dtmf_forward(gwm_bridge *b, leg_state *from, const uint8_t *packet, const gwm_rtp_header *h,
                 uint64_t now_us);

/* bridge_transcode.c */
int transcode_setup(gwm_bridge *b);
void transcode_teardown(gwm_bridge *b);
int transcode_put(gwm_bridge *b, leg_state *from, const uint8_t *packet, const gwm_rtp_header *h,
                  uint64_t now_us);
void transcode_run_timers(gwm_bridge *b, uint64_t now_us);
uint64_t transcode_next_timeout(const gwm_bridge *b);

/* bridge_rtcp.c */
int rtcp_receive(gwm_bridge *b, leg_state *from, uint8_t *packet, size_t len, uint64_t now_us);
void rtcp_schedule(gwm_bridge *b, leg_state *l, uint64_t now_us);
void rtcp_run_timers(gwm_bridge *b, uint64_t now_us);
int rtcp_send_bye(gwm_bridge *b, leg_state *l, uint64_t now_us);

#endif
