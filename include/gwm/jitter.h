/*
 * gwm/jitter.h — an adaptive jitter buffer for one incoming RTP stream.
 *
 * It reorders, drops duplicates and late packets, and plays out one packet
 * per call of gwm_jitter_get (the caller calls it once per frame interval).
 * The target delay follows the interarrival jitter of RFC 3550 §A.8 between
 * the configured bounds: when the buffer runs dry the delay grows by a frame
 * (the frame is concealed), when it holds more than the target it drops a
 * frame. Memory is fixed at creation: `capacity` slots of `max_payload` bytes.
 *
 * Threads: one thread at a time per object.
 */
#ifndef GWM_JITTER_H
#define GWM_JITTER_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gwm_jitter gwm_jitter;

typedef struct gwm_jitter_config {
    uint32_t clock_rate;    /**< RTP clock of the stream, e.g. 48000 or 8000 */
    uint32_t frame_ms;      /**< duration of one packet, e.g. 20 */
    uint32_t min_delay_ms;  /**< lower bound of the target delay (>= frame_ms is sensible) */
    uint32_t max_delay_ms;  /**< upper bound of the target delay */
    uint16_t capacity;      /**< slots; a power of two, 4..1024 */
    uint16_t max_payload;   /**< bytes per slot; larger payloads are refused */
} gwm_jitter_config;

/** Fills `out` with defaults: 20 ms frames, 20..200 ms, 32 slots of 1280 bytes. */
GWM_API void gwm_jitter_config_default(uint32_t clock_rate,
                                       gwm_jitter_config *GWM_NONNULL out);

typedef enum gwm_jitter_result {
    GWM_JITTER_NONE = 0,    /**< nothing to play: not started, priming, or the stream paused */
    GWM_JITTER_FRAME = 1,   /**< `payload` is the next frame */
    GWM_JITTER_MISSING = 2  /**< the next frame is missing: conceal it; `next_payload`,
                                 when set, is the frame after it (for in-band FEC) */
} gwm_jitter_result;

typedef struct gwm_jitter_frame {
    gwm_jitter_result result;
    uint16_t sequence;
    uint32_t timestamp;
    uint8_t marker;
    const uint8_t *GWM_NULLABLE payload;       /**< valid until the next call on the buffer */
    size_t payload_length;
    const uint8_t *GWM_NULLABLE next_payload;  /**< valid until the next call on the buffer */
    size_t next_payload_length;
} gwm_jitter_frame;

typedef struct gwm_jitter_stats {
    uint64_t received;       /**< packets accepted into the buffer */
    uint64_t played;         /**< frames played out */
    uint64_t lost;           /**< frames missing at their playout time */
    uint64_t late;           /**< packets that arrived after their playout time */
    uint64_t duplicate;      /**< packets received twice */
    uint64_t discarded;      /**< frames dropped to shrink the delay, or on overflow */
    uint64_t concealed;      /**< frames concealed while the buffer ran dry */
    uint64_t resets;         /**< resynchronisations (sequence jump, restart) */
    uint32_t current_delay_ms; /**< time the last played frame spent in the buffer */
    uint32_t target_delay_ms;
    uint32_t jitter_us;      /**< RFC 3550 interarrival jitter, microseconds */
    uint16_t buffered;       /**< packets held now */
} gwm_jitter_stats;

/** Creates a buffer; all memory is allocated here. */
GWM_API int gwm_jitter_create(const gwm_jitter_config *GWM_NONNULL config,
                              gwm_jitter *GWM_NULLABLE *GWM_NONNULL out);
GWM_API void gwm_jitter_destroy(gwm_jitter *GWM_NULLABLE jitter);

/**
 * Offers one packet (its payload is copied). Duplicates, late packets and
 * overflow are counted, not errors. Returns GWM_ERR_TOO_LARGE when the
 * payload exceeds max_payload.
 */
GWM_API int gwm_jitter_put(gwm_jitter *GWM_NONNULL jitter, uint16_t sequence,
                           uint32_t timestamp, uint8_t marker,
                           const uint8_t *GWM_NULLABLE payload, size_t len, uint64_t now_us);

/** Takes the frame due now; call once per frame interval. */
GWM_API void gwm_jitter_get(gwm_jitter *GWM_NONNULL jitter, uint64_t now_us,
                            gwm_jitter_frame *GWM_NONNULL out);

/** Drops everything buffered and waits for a new stream (e.g. a new SSRC). */
GWM_API void gwm_jitter_reset(gwm_jitter *GWM_NONNULL jitter);

GWM_API void gwm_jitter_stats_get(const gwm_jitter *GWM_NONNULL jitter,
                                  gwm_jitter_stats *GWM_NONNULL out);

#ifdef __cplusplus
}
#endif
#endif
