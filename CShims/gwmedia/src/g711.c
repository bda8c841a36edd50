/* G.711 mu-law and A-law (ITU-T G.711), by the segment formulas rather than tables. */
#include "gwm/codec.h"

enum { ULAW_BIAS = 0x84, ULAW_CLIP = 32635 };

static uint8_t ulaw_encode(int16_t sample)
{
    int pcm = sample;
    uint8_t sign = 0;
    if (pcm < 0) { pcm = -pcm; sign = 0x80; }
    if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
    pcm += ULAW_BIAS;
    int exponent = 7;
    for (int mask = 0x4000; !(pcm & mask) && exponent > 0; mask >>= 1) exponent--;
    int mantissa = (pcm >> (exponent + 3)) & 0x0f;
    return (uint8_t)~(sign | (exponent << 4) | mantissa);
}

static int16_t ulaw_decode(uint8_t byte)
{
    int u = (uint8_t)~byte;
    int t = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
    return (int16_t)((u & 0x80) ? (ULAW_BIAS - t) : (t - ULAW_BIAS));
}

static uint8_t alaw_encode(int16_t sample)
{
    int pcm = sample >> 3; /* 13-bit magnitude */
    uint8_t mask;
    if (pcm >= 0) {
        mask = 0xd5;
    } else {
        mask = 0x55;
        pcm = -pcm - 1;
    }
    int seg = 0;
    for (int end = 0x1f; seg < 8 && pcm > end; end = (end << 1) | 1) seg++;
    if (seg >= 8) return (uint8_t)(0x7f ^ mask);
    int aval = seg << 4;
    aval |= (seg < 2) ? ((pcm >> 1) & 0x0f) : ((pcm >> seg) & 0x0f);
    return (uint8_t)(aval ^ mask);
}

static int16_t alaw_decode(uint8_t byte)
{
    int a = byte ^ 0x55;
    int t = (a & 0x0f) << 4;
    int seg = (a & 0x70) >> 4;
    if (seg == 0) t += 8;
    else if (seg == 1) t += 0x108;
    else t = (t + 0x108) << (seg - 1);
    return (int16_t)((a & 0x80) ? t : -t);
}

int gwm_g711_encode(gwm_codec codec, const int16_t *pcm, size_t count, uint8_t *out)
{
    if (!pcm || !out) return GWM_ERR_INVALID_ARGUMENT;
    if (codec == GWM_CODEC_PCMU) {
        for (size_t i = 0; i < count; i++) out[i] = ulaw_encode(pcm[i]);
    } else if (codec == GWM_CODEC_PCMA) {
        for (size_t i = 0; i < count; i++) out[i] = alaw_encode(pcm[i]);
    } else {
        return GWM_ERR_UNSUPPORTED;
    }
    return GWM_OK;
}

int gwm_g711_decode(gwm_codec codec, const uint8_t *data, size_t count, int16_t *out)
{
    if (!data || !out) return GWM_ERR_INVALID_ARGUMENT;
    if (codec == GWM_CODEC_PCMU) {
        for (size_t i = 0; i < count; i++) out[i] = ulaw_decode(data[i]);
    } else if (codec == GWM_CODEC_PCMA) {
        for (size_t i = 0; i < count; i++) out[i] = alaw_decode(data[i]);
    } else {
        return GWM_ERR_UNSUPPORTED;
    }
    return GWM_OK;
}

uint32_t gwm_codec_clock_rate(gwm_codec codec)
{
    switch (codec) {
    case GWM_CODEC_PCMU:
    case GWM_CODEC_PCMA: return 8000;
    case GWM_CODEC_OPUS: return 48000;
    default: return 0;
    }
}
