/*
 * gwm/bridge.h — the media bridge of one call: two legs (A, B), each with its
 * own codec, payload types, SSRC, sequence and timestamp space, optional
 * SRTP, RTCP and statistics.
 *
 * Drive loop (sans-IO, in the manner of str0m):
 *
 *     gwm_bridge_receive(bridge, leg, datagram, len, now_us);   // RTP or RTCP
 *     while (gwm_bridge_poll(bridge, now_us, &out) == 1)
 *         send(out.leg's socket, out.data, out.length);
 *     arm a timer for gwm_bridge_next_timeout(bridge) and poll again then.
 *
 * When both legs use the same codec the bridge relays (rewriting payload type,
 * SSRC, sequence number and timestamp); otherwise it transcodes through a
 * jitter buffer, frame by frame, at the outgoing leg's ptime. RFC 4733
 * telephone-events cross with payload type, timestamp and duration mapped.
 * Each leg's outgoing SSRC, sequence and SRTP rollover counter stay continuous
 * for the life of the bridge, whatever happens on the other leg.
 *
 * Threads: one thread at a time per bridge. No function allocates after
 * gwm_bridge_create except gwm_bridge_set_srtp and gwm_bridge_update_leg
 * (codec objects on a codec change).
 */
#ifndef GWM_BRIDGE_H
#define GWM_BRIDGE_H

#include "common.h"
#include "codec.h"
#include "jitter.h"
#include "srtp.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gwm_leg {
    GWM_LEG_A = 0,
    GWM_LEG_B = 1
} gwm_leg;

/** Media direction of a leg as negotiated in its SDP, seen from the gateway. */
typedef enum gwm_direction {
    GWM_SENDRECV = 0,
    GWM_SENDONLY = 1,   /**< the gateway sends to this leg and ignores what it sends */
    GWM_RECVONLY = 2,   /**< the gateway accepts from this leg and sends nothing to it */
    GWM_INACTIVE = 3
} gwm_direction;

/** Largest datagram the bridge accepts or produces. */
#define GWM_BRIDGE_MAX_PACKET 1500

typedef struct gwm_leg_config {
    gwm_codec codec;
    uint8_t payload_type;        /**< payload type of `codec` on this leg */
    int16_t dtmf_payload_type;   /**< telephone-event payload type, -1 if none */
    uint32_t dtmf_clock_rate;    /**< telephone-event clock, 0 = the codec's clock */
    uint32_t ptime_ms;           /**< frame length sent on this leg: 10, 20, 30, 40 or 60 */
    uint32_t ssrc;               /**< SSRC the gateway sends on this leg (fixed at create) */
    uint16_t initial_sequence;   /**< first sequence number (fixed at create) */
    uint32_t initial_timestamp;  /**< first timestamp (fixed at create) */
    int32_t opus_bitrate;        /**< 0 = 24000 */
    int32_t opus_complexity;     /**< 0..10 */
    uint8_t opus_fec;            /**< send in-band FEC */
    uint8_t require_srtp;        /**< the leg is SRTP: until gwm_bridge_set_srtp gives
                                      keys, nothing is sent to it or accepted from it
                                      (fixed at create) */
    char cname[64];              /**< RTCP CNAME, NUL-terminated */
} gwm_leg_config;

typedef struct gwm_bridge_config {
    gwm_leg_config legs[2];
    uint32_t jitter_min_ms;      /**< jitter buffer bounds when transcoding */
    uint32_t jitter_max_ms;
    uint16_t jitter_capacity;    /**< slots, power of two */
    uint8_t fullband;            /**< transcode through 48 kHz and the resampler
                                      instead of Opus's own 8 kHz path (costs ~4x) */
    uint32_t rtcp_interval_ms;   /**< mean RTCP report interval, 0 = no RTCP */
    int64_t wallclock_offset_us; /**< Unix time in µs = now_us + this (for SR NTP times) */
    uint64_t random_seed;        /**< seeds RTCP interval randomisation */
} gwm_bridge_config;

/** Defaults: leg A Opus PT 111 DTMF 126, leg B PCMU PT 0 DTMF 101, ptime 20,
 *  complexity 5, jitter 20..200 ms, RTCP every 5 s. SSRCs are 0 and must be set. */
GWM_API void gwm_bridge_config_default(gwm_bridge_config *GWM_NONNULL out);

typedef struct gwm_bridge gwm_bridge;

/** Creates a bridge; allocates all per-packet memory here. */
GWM_API int gwm_bridge_create(const gwm_bridge_config *GWM_NONNULL config,
                              gwm_bridge *GWM_NULLABLE *GWM_NONNULL out);
GWM_API void gwm_bridge_destroy(gwm_bridge *GWM_NULLABLE bridge);

/**
 * Renegotiation (re-INVITE, new offer): changes a leg's codec, payload types,
 * ptime and Opus settings. SSRC, sequence and timestamp continue; the SSRC,
 * initial_* and cname fields of `config` are ignored.
 */
GWM_API int gwm_bridge_update_leg(gwm_bridge *GWM_NONNULL bridge, gwm_leg leg,
                                  const gwm_leg_config *GWM_NONNULL config);

/**
 * Sets or replaces a leg's SRTP keys (master key || salt, as
 * gwm_srtp_key_length); GWM_SRTP_NONE makes the leg plain RTP. Keys are
 * copied. Replacing keys starts new SRTP contexts (a new DTLS handshake);
 * the outgoing sequence numbers continue.
 */
GWM_API int gwm_bridge_set_srtp(gwm_bridge *GWM_NONNULL bridge, gwm_leg leg,
                                gwm_srtp_profile profile,
                                const uint8_t *GWM_NULLABLE send_key,
                                const uint8_t *GWM_NULLABLE receive_key, size_t key_len);

/** Sets a leg's media direction (hold and resume). */
GWM_API int gwm_bridge_set_direction(gwm_bridge *GWM_NONNULL bridge, gwm_leg leg,
                                     gwm_direction direction);

/**
 * Takes one datagram (RTP or RTCP, muxed per RFC 5761, SRTP if the leg has
 * keys) received on `leg`. The data is copied; the caller keeps its buffer.
 * Returns GWM_OK, or an error saying why the packet was dropped (it is also
 * counted in the leg's statistics); no error changes the bridge's state.
 */
GWM_API int gwm_bridge_receive(gwm_bridge *GWM_NONNULL bridge, gwm_leg leg,
                               const uint8_t *GWM_NONNULL data, size_t len, uint64_t now_us);

typedef struct gwm_bridge_output {
    gwm_leg leg;                 /**< the leg to send it on */
    uint8_t is_rtcp;
    const uint8_t *GWM_NULLABLE data; /**< valid until the next call on the bridge */
    size_t length;
} gwm_bridge_output;

/**
 * Runs the timers due at `now_us` (playout, RTCP) and hands out the next
 * packet to send: returns 1 with `out` filled, 0 when nothing is due.
 */
GWM_API int gwm_bridge_poll(gwm_bridge *GWM_NONNULL bridge, uint64_t now_us,
                            gwm_bridge_output *GWM_NONNULL out);

/** The time at which gwm_bridge_poll has work next; UINT64_MAX if none. */
GWM_API uint64_t gwm_bridge_next_timeout(const gwm_bridge *GWM_NONNULL bridge);

/** Queues an RTCP BYE on the leg (call teardown). */
GWM_API int gwm_bridge_send_bye(gwm_bridge *GWM_NONNULL bridge, gwm_leg leg, uint64_t now_us);

/** 1 when the bridge relays without transcoding, 0 when it transcodes. */
GWM_API int gwm_bridge_is_relaying(const gwm_bridge *GWM_NONNULL bridge);

typedef struct gwm_leg_stats {
    uint64_t packets_received;   /**< RTP accepted from this leg */
    uint64_t bytes_received;
    uint64_t packets_sent;       /**< RTP sent to this leg */
    uint64_t bytes_sent;
    uint64_t rtcp_received;
    uint64_t rtcp_sent;
    uint64_t dtmf_received;      /**< telephone-event packets from this leg */
    uint64_t malformed;          /**< unparseable RTP/RTCP */
    uint64_t unknown_payload;    /**< payload type not negotiated */
    uint64_t srtp_auth_failures;
    uint64_t srtp_replays;
    uint64_t srtp_other_failures;
    uint64_t dropped;            /**< dropped by hold, missing keys or a full queue */
    uint64_t codec_errors;
    uint64_t fec_recovered;      /**< frames rebuilt from in-band FEC */
    uint64_t concealed;          /**< frames concealed (PLC) */
    uint32_t remote_ssrc;        /**< current SSRC of the stream from this leg */
    uint32_t ssrc_changes;
    int64_t cumulative_lost;     /**< RFC 3550 §A.3, for the stream from this leg */
    uint32_t extended_highest_sequence;
    uint32_t jitter_us;          /**< RFC 3550 §A.8 interarrival jitter */
    uint8_t remote_fraction_lost;/**< from the peer's report about our stream (/256) */
    int32_t remote_cumulative_lost;
    uint32_t remote_jitter_us;
    uint32_t round_trip_us;      /**< from the peer's LSR/DLSR; 0 = unknown */
    uint16_t next_sequence;      /**< next sequence number the gateway sends here */
    uint32_t send_rollover;      /**< SRTP rollover counter of what the gateway sent */
    gwm_jitter_stats jitter;     /**< buffer of the stream from this leg (transcoding) */
} gwm_leg_stats;

GWM_API int gwm_bridge_leg_stats(const gwm_bridge *GWM_NONNULL bridge, gwm_leg leg,
                                 gwm_leg_stats *GWM_NONNULL out);

#ifdef __cplusplus
}
#endif
#endif
