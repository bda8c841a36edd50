/*
 * Audio decoders with loss concealment: Opus uses its own PLC and in-band
 * FEC; G.711 repeats the last frame with a fading gain (a simple PLC in the
 * spirit of G.711 Appendix I, without its pitch search).
 */
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#include "gwm/codec.h"

enum { G711_HISTORY = 480 /* 60 ms at 8 kHz */ };

struct gwm_decoder {
    gwm_codec codec;
    OpusDecoder *opus;
    int16_t history[G711_HISTORY];
    size_t history_len;
    unsigned concealed_in_row;
};

int gwm_decoder_create(gwm_codec codec, uint32_t sample_rate, gwm_decoder **out)
{
    if (!out) return GWM_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (codec == GWM_CODEC_OPUS) {
        if (sample_rate != 8000 && sample_rate != 12000 && sample_rate != 16000 &&
            sample_rate != 24000 && sample_rate != 48000)
            return GWM_ERR_INVALID_ARGUMENT;
    } else if (codec == GWM_CODEC_PCMU || codec == GWM_CODEC_PCMA) {
        if (sample_rate != 8000) return GWM_ERR_INVALID_ARGUMENT;
    } else {
        return GWM_ERR_UNSUPPORTED;
    }
    gwm_decoder *dec = calloc(1, sizeof *dec);
    if (!dec) return GWM_ERR_NO_MEMORY;
    dec->codec = codec;
    if (codec == GWM_CODEC_OPUS) {
        int err = OPUS_OK;
        dec->opus = opus_decoder_create((opus_int32)sample_rate, 1, &err);
        if (err != OPUS_OK || !dec->opus) {
            free(dec);
            return err == OPUS_ALLOC_FAIL ? GWM_ERR_NO_MEMORY : GWM_ERR_CODEC;
        }
    }
    *out = dec;
    return GWM_OK;
}

void gwm_decoder_destroy(gwm_decoder *dec)
{
    if (!dec) return;
    if (dec->opus) opus_decoder_destroy(dec->opus);
    free(dec);
}

static int opus_result(int n, size_t *samples)
{
    if (n == OPUS_BUFFER_TOO_SMALL) return GWM_ERR_BUFFER_TOO_SMALL;
    if (n < 0) return GWM_ERR_CODEC;
    *samples = (size_t)n;
    return GWM_OK;
}

int gwm_decoder_decode(gwm_decoder *dec, const uint8_t *payload, size_t len, int16_t *pcm,
                       size_t cap, size_t *samples)
{
    if (!dec || !payload || !pcm || !samples) return GWM_ERR_INVALID_ARGUMENT;
    dec->concealed_in_row = 0;
    if (dec->opus) {
        if (len == 0 || len > INT32_MAX || cap > INT32_MAX) return GWM_ERR_CODEC;
        return opus_result(opus_decode(dec->opus, payload, (opus_int32)len, pcm, (int)cap, 0), samples);
    }
    if (cap < len) return GWM_ERR_BUFFER_TOO_SMALL;
    int rc = gwm_g711_decode(dec->codec, payload, len, pcm);
    if (rc != GWM_OK) return rc;
    size_t keep = len < G711_HISTORY ? len : G711_HISTORY;
    memcpy(dec->history, pcm + len - keep, keep * sizeof *pcm);
    dec->history_len = keep;
    *samples = len;
    return GWM_OK;
}

static void g711_conceal(gwm_decoder *dec, size_t frame, int16_t *pcm)
{
    /* Gain falls by a quarter per concealed frame: silence after four. */
    unsigned k = ++dec->concealed_in_row;
    int gain_q8 = k >= 4 ? 0 : 256 - 64 * (int)k;
    for (size_t i = 0; i < frame; i++) {
        int16_t s = dec->history_len ? dec->history[(dec->history_len - frame % dec->history_len + i) %
                                                    dec->history_len]
                                     : 0;
        pcm[i] = (int16_t)((s * gain_q8) / 256);
    }
}

int gwm_decoder_conceal(gwm_decoder *dec, const uint8_t *next_payload, size_t next_len,
                        size_t frame_samples, int16_t *pcm, size_t cap, size_t *samples)
{
    if (!dec || !pcm || !samples || frame_samples == 0) return GWM_ERR_INVALID_ARGUMENT;
    if (cap < frame_samples) return GWM_ERR_BUFFER_TOO_SMALL;
    if (dec->opus) {
        if (frame_samples > INT32_MAX) return GWM_ERR_INVALID_ARGUMENT;
        if (next_payload && next_len && next_len <= INT32_MAX)
            return opus_result(opus_decode(dec->opus, next_payload, (opus_int32)next_len, pcm,
                                           (int)frame_samples, 1),
                               samples);
        return opus_result(opus_decode(dec->opus, NULL, 0, pcm, (int)frame_samples, 0), samples);
    }
    g711_conceal(dec, frame_samples, pcm);
    *samples = frame_samples;
    return GWM_OK;
}
