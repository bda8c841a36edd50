/*
 * gwm/codec.h — audio codecs (Opus, G.711 PCMU/PCMA) and resampling, on
 * mono 16-bit PCM.
 *
 * Encoders and decoders are objects (one thread at a time each); the G.711
 * table functions are pure and thread-safe.
 */
#ifndef GWM_CODEC_H
#define GWM_CODEC_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gwm_codec {
    GWM_CODEC_PCMU = 1,  /**< G.711 mu-law, 8 kHz RTP clock */
    GWM_CODEC_PCMA = 2,  /**< G.711 A-law, 8 kHz RTP clock */
    GWM_CODEC_OPUS = 3   /**< Opus, 48 kHz RTP clock (RFC 7587) */
} gwm_codec;

/** RTP clock rate of a codec (8000 or 48000), 0 if unknown. */
GWM_API uint32_t gwm_codec_clock_rate(gwm_codec codec);

/** G.711 encode: `count` samples to `count` bytes. Pure. */
GWM_API int gwm_g711_encode(gwm_codec codec, const int16_t *GWM_NONNULL pcm, size_t count,
                            uint8_t *GWM_NONNULL out);
/** G.711 decode: `count` bytes to `count` samples. Pure. */
GWM_API int gwm_g711_decode(gwm_codec codec, const uint8_t *GWM_NONNULL data, size_t count,
                            int16_t *GWM_NONNULL out);

typedef struct gwm_encoder gwm_encoder;
typedef struct gwm_decoder gwm_decoder;

typedef struct gwm_encoder_config {
    gwm_codec codec;
    uint32_t sample_rate;    /**< rate of the PCM handed in: 8000 for G.711; 8000,
                                  12000, 16000, 24000 or 48000 for Opus */
    int32_t bitrate;         /**< Opus bits/s; 0 = 24000 */
    int32_t complexity;      /**< Opus 0..10 */
    uint8_t inband_fec;      /**< Opus LBRR on (1) or off (0) */
    uint8_t expected_loss;   /**< Opus packet-loss percentage hint, 0..100 */
    uint8_t dtx;             /**< Opus discontinuous transmission */
} gwm_encoder_config;

/** Defaults for a codec: Opus at 48 kHz, 24 kb/s, complexity 5, FEC on, 10 % loss hint. */
GWM_API void gwm_encoder_config_default(gwm_codec codec, gwm_encoder_config *GWM_NONNULL out);

GWM_API int gwm_encoder_create(const gwm_encoder_config *GWM_NONNULL config,
                               gwm_encoder *GWM_NULLABLE *GWM_NONNULL out);
GWM_API void gwm_encoder_destroy(gwm_encoder *GWM_NULLABLE encoder);

/**
 * Encodes one frame of `samples` (2.5..60 ms for Opus) into out[0..cap);
 * stores the payload size in *out_len.
 */
GWM_API int gwm_encoder_encode(gwm_encoder *GWM_NONNULL encoder,
                               const int16_t *GWM_NONNULL pcm, size_t samples,
                               uint8_t *GWM_NONNULL out, size_t cap,
                               size_t *GWM_NONNULL out_len);

/**
 * Creates a decoder producing PCM at `sample_rate` (8000 for G.711; 8000,
 * 12000, 16000, 24000 or 48000 for Opus, which decodes straight to that rate).
 */
GWM_API int gwm_decoder_create(gwm_codec codec, uint32_t sample_rate,
                               gwm_decoder *GWM_NULLABLE *GWM_NONNULL out);
GWM_API void gwm_decoder_destroy(gwm_decoder *GWM_NULLABLE decoder);

/** Decodes one payload into pcm[0..cap); stores the sample count in *samples. */
GWM_API int gwm_decoder_decode(gwm_decoder *GWM_NONNULL decoder,
                               const uint8_t *GWM_NONNULL payload, size_t len,
                               int16_t *GWM_NONNULL pcm, size_t cap,
                               size_t *GWM_NONNULL samples);

/**
 * Conceals `frame_samples` of lost audio. With `next_payload` (the packet
 * after the lost one) Opus recovers the loss from its in-band FEC; without it,
 * or for G.711, it extrapolates the last frames with a fade (PLC).
 */
GWM_API int gwm_decoder_conceal(gwm_decoder *GWM_NONNULL decoder,
                                const uint8_t *GWM_NULLABLE next_payload, size_t next_len,
                                size_t frame_samples,
                                int16_t *GWM_NONNULL pcm, size_t cap,
                                size_t *GWM_NONNULL samples);

typedef struct gwm_resampler gwm_resampler;

/** Creates a mono resampler (libspeexdsp), quality 0..10. */
GWM_API int gwm_resampler_create(uint32_t in_rate, uint32_t out_rate, int quality,
                                 gwm_resampler *GWM_NULLABLE *GWM_NONNULL out);
GWM_API void gwm_resampler_destroy(gwm_resampler *GWM_NULLABLE resampler);

/**
 * Resamples in[0..in_count) into out[0..out_cap). Stores the samples produced
 * in *out_count. All input is consumed when out_cap is at least
 * in_count * out_rate / in_rate + 1; otherwise GWM_ERR_BUFFER_TOO_SMALL.
 */
GWM_API int gwm_resampler_process(gwm_resampler *GWM_NONNULL resampler,
                                  const int16_t *GWM_NONNULL in, size_t in_count,
                                  int16_t *GWM_NONNULL out, size_t out_cap,
                                  size_t *GWM_NONNULL out_count);

#ifdef __cplusplus
}
#endif
#endif
