/* Audio encoders: Opus through libopus, G.711 through the formulas in g711.c. */
#include <stdlib.h>

#include <opus.h>

#include "gwm/codec.h"

struct gwm_encoder {
    gwm_codec codec;
    OpusEncoder *opus;
};

static int valid_opus_rate(uint32_t rate)
{
    return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

void gwm_encoder_config_default(gwm_codec codec, gwm_encoder_config *out)
{
    if (!out) return;
    out->codec = codec;
    out->sample_rate = codec == GWM_CODEC_OPUS ? 48000 : 8000;
    out->bitrate = 24000;
    out->complexity = 5;
    out->inband_fec = 1;
    out->expected_loss = 10;
    out->dtx = 0;
}

int gwm_encoder_create(const gwm_encoder_config *cfg, gwm_encoder **out)
{
    if (!out) return GWM_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!cfg) return GWM_ERR_INVALID_ARGUMENT;
    if (cfg->codec == GWM_CODEC_OPUS) {
        if (!valid_opus_rate(cfg->sample_rate) || cfg->complexity < 0 || cfg->complexity > 10 ||
            cfg->expected_loss > 100 || cfg->bitrate < 0)
            return GWM_ERR_INVALID_ARGUMENT;
    } else if (cfg->codec == GWM_CODEC_PCMU || cfg->codec == GWM_CODEC_PCMA) {
        if (cfg->sample_rate != 8000) return GWM_ERR_INVALID_ARGUMENT;
    } else {
        return GWM_ERR_UNSUPPORTED;
    }
    gwm_encoder *enc = calloc(1, sizeof *enc);
    if (!enc) return GWM_ERR_NO_MEMORY;
    enc->codec = cfg->codec;
    if (cfg->codec == GWM_CODEC_OPUS) {
        int err = OPUS_OK;
        enc->opus = opus_encoder_create((opus_int32)cfg->sample_rate, 1, OPUS_APPLICATION_VOIP, &err);
        if (err != OPUS_OK || !enc->opus) {
            free(enc);
            return err == OPUS_ALLOC_FAIL ? GWM_ERR_NO_MEMORY : GWM_ERR_CODEC;
        }
        opus_encoder_ctl(enc->opus, OPUS_SET_BITRATE(cfg->bitrate ? cfg->bitrate : 24000));
        opus_encoder_ctl(enc->opus, OPUS_SET_COMPLEXITY(cfg->complexity));
        opus_encoder_ctl(enc->opus, OPUS_SET_INBAND_FEC(cfg->inband_fec ? 1 : 0));
        opus_encoder_ctl(enc->opus, OPUS_SET_PACKET_LOSS_PERC(cfg->expected_loss));
        opus_encoder_ctl(enc->opus, OPUS_SET_DTX(cfg->dtx ? 1 : 0));
        opus_encoder_ctl(enc->opus, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    }
    *out = enc;
    return GWM_OK;
}

void gwm_encoder_destroy(gwm_encoder *enc)
{
    if (!enc) return;
    if (enc->opus) opus_encoder_destroy(enc->opus);
    free(enc);
}

int gwm_encoder_encode(gwm_encoder *enc, const int16_t *pcm, size_t samples, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    if (!enc || !pcm || !out || !out_len) return GWM_ERR_INVALID_ARGUMENT;
    if (enc->codec != GWM_CODEC_OPUS) {
        if (cap < samples) return GWM_ERR_BUFFER_TOO_SMALL;
        *out_len = samples;
        return gwm_g711_encode(enc->codec, pcm, samples, out);
    }
    if (samples > 5760 || cap > INT32_MAX) return GWM_ERR_INVALID_ARGUMENT;
    opus_int32 n = opus_encode(enc->opus, pcm, (int)samples, out, (opus_int32)cap);
    if (n == OPUS_BUFFER_TOO_SMALL) return GWM_ERR_BUFFER_TOO_SMALL;
    if (n < 0) return GWM_ERR_CODEC;
    *out_len = (size_t)n;
    return GWM_OK;
}
