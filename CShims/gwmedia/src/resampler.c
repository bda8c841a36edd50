/* Mono resampling through libspeexdsp. */
#include <stdlib.h>

#include <speex/speex_resampler.h>

#include "gwm/codec.h"

struct gwm_resampler {
    SpeexResamplerState *state;
    uint32_t in_rate, out_rate;
};

int gwm_resampler_create(uint32_t in_rate, uint32_t out_rate, int quality, gwm_resampler **out)
{
    if (!out) return GWM_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (in_rate == 0 || out_rate == 0 || in_rate > 192000 || out_rate > 192000 || quality < 0 ||
        quality > 10)
        return GWM_ERR_INVALID_ARGUMENT;
    gwm_resampler *r = calloc(1, sizeof *r);
    if (!r) return GWM_ERR_NO_MEMORY;
    int err = 0;
    r->state = speex_resampler_init(1, in_rate, out_rate, quality, &err);
    if (!r->state) {
        free(r);
        return GWM_ERR_NO_MEMORY;
    }
    speex_resampler_skip_zeros(r->state);
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    *out = r;
    return GWM_OK;
}

void gwm_resampler_destroy(gwm_resampler *r)
{
    if (!r) return;
    speex_resampler_destroy(r->state);
    free(r);
}

int gwm_resampler_process(gwm_resampler *r, const int16_t *in, size_t in_count, int16_t *out,
                          size_t out_cap, size_t *out_count)
{
    if (!r || !in || !out || !out_count || in_count > UINT32_MAX || out_cap > UINT32_MAX)
        return GWM_ERR_INVALID_ARGUMENT;
    if (out_cap < (uint64_t)in_count * r->out_rate / r->in_rate + 1) return GWM_ERR_BUFFER_TOO_SMALL;
    spx_uint32_t in_len = (spx_uint32_t)in_count, out_len = (spx_uint32_t)out_cap;
    if (speex_resampler_process_int(r->state, 0, in, &in_len, out, &out_len) != RESAMPLER_ERR_SUCCESS)
        return GWM_ERR_CODEC;
    *out_count = out_len;
    return GWM_OK;
}
