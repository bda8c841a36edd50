/*
 * Media core benchmark: CPU time per call-second (50 packets each way at
 * 20 ms) for a relayed call (SRTP <-> RTP) and a transcoded call
 * (Opus/SRTP <-> PCMU/RTP), each beside its "floor": libsrtp (Debian's, on
 * NSS, which the core's own SRTP on OpenSSL replaced), libopus, libspeexdsp and
 * G.711 calls made directly, back to back. Also heap
 * allocations per packet on the steady path; then the transcoded call at other
 * Opus encoder complexities (the gateway's --opus-complexity). Prints figures;
 * asserts nothing.
 *
 *   make bench && build/media-bench [seconds-of-call]
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <opus.h>
#include <speex/speex_resampler.h>
#include <srtp2/srtp.h>

#include <gwm/gwm.h>

/* Count every heap allocation in the process, libraries included. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static unsigned long long allocations;
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { allocations++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }

enum { FRAMES_PER_SECOND = 50, MAX_PKT = GWM_BRIDGE_MAX_PACKET + GWM_SRTP_MAX_OVERHEAD, REPEATS = 5 };

typedef struct { uint8_t data[MAX_PKT]; size_t len; } packet;

/* The browser leg is SRTP normally; plain RTP isolates the core's own work. */
static int use_srtp = 1;
/* The Opus encoder's complexity, in the core and in the floor alike (the bridge's default). */
static int opus_complexity = 5;

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const uint8_t key_in[30] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29};
static const uint8_t key_out[30] = {9, 9, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29};

static srtp_t raw_srtp(const uint8_t *key, int inbound)
{
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    p.key = (unsigned char *)key;
    p.window_size = 512;
    srtp_t s;
    if (srtp_create(&s, &p) != srtp_err_status_ok) abort();
    return s;
}

static void tone(int16_t *pcm, size_t n, double *phase, double hz, double rate)
{
    for (size_t i = 0; i < n; i++) {
        pcm[i] = (int16_t)(6000 * sin(*phase));
        *phase += 2 * 3.14159265358979 * hz / rate;
    }
}

static size_t rtp(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts, const uint8_t *payload, size_t len)
{
    gwm_rtp_header h;
    memset(&h, 0, sizeof h);
    h.payload_type = pt;
    h.sequence = seq;
    h.timestamp = ts;
    h.ssrc = 0x5eed;
    size_t out = 0;
    gwm_rtp_build(&h, NULL, 0, payload, len, 0, buf, MAX_PKT, &out);
    return out;
}

/* Call input: browser packets (Opus or PCMU, SRTP) and SIP packets (PCMU, RTP). */
static void make_input(int frames, int opus, packet *browser, packet *sip)
{
    srtp_t tx = raw_srtp(key_in, 0);
    OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, NULL);
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
    double pa = 0, pb = 0;
    int16_t pcm48[960], pcm8[160];
    for (int n = 0; n < frames; n++) {
        uint8_t payload[400];
        size_t plen;
        if (opus) {
            tone(pcm48, 960, &pa, 1000, 48000);
            plen = (size_t)opus_encode(enc, pcm48, 960, payload, sizeof payload);
        } else {
            tone(pcm8, 160, &pa, 1000, 8000);
            gwm_g711_encode(GWM_CODEC_PCMU, pcm8, 160, payload);
            plen = 160;
        }
        browser[n].len = rtp(browser[n].data, opus ? 111 : 0, (uint16_t)n, (uint32_t)n * (opus ? 960 : 160), payload, plen);
        int len = (int)browser[n].len;
        if (use_srtp) srtp_protect(tx, browser[n].data, &len);
        browser[n].len = (size_t)len;
        tone(pcm8, 160, &pb, 440, 8000);
        gwm_g711_encode(GWM_CODEC_PCMU, pcm8, 160, payload);
        sip[n].len = rtp(sip[n].data, 0, (uint16_t)n, (uint32_t)n * 160, payload, 160);
    }
    opus_encoder_destroy(enc);
    srtp_dealloc(tx);
}

typedef struct { double seconds; unsigned long long allocs; unsigned long long packets; } run_result;

static run_result run_core(int frames, int opus, int fullband, const packet *browser, const packet *sip)
{
    gwm_bridge_config cfg;
    gwm_bridge_config_default(&cfg);
    cfg.legs[0].ssrc = 1;
    cfg.legs[1].ssrc = 2;
    cfg.fullband = (uint8_t)fullband;
    cfg.legs[0].opus_complexity = opus_complexity;
    if (!opus) {
        cfg.legs[0].codec = GWM_CODEC_PCMU;
        cfg.legs[0].payload_type = 0;
    }
    gwm_bridge *b;
    if (gwm_bridge_create(&cfg, &b) != GWM_OK) abort();
    if (use_srtp && gwm_bridge_set_srtp(b, GWM_LEG_A, GWM_SRTP_AES128_CM_SHA1_80, key_out, key_in, 30) != GWM_OK)
        abort();
    /* Warm up (jitter buffer priming, first SRTP streams) outside the measurement. */
    int warm = 10;
    gwm_bridge_output out;
    unsigned long long packets = 0;
    double t0 = 0;
    unsigned long long a0 = 0;
    for (int n = 0; n < frames; n++) {
        if (n == warm) { t0 = cpu_seconds(); a0 = allocations; packets = 0; }
        uint64_t now = (uint64_t)n * 20000;
        gwm_bridge_receive(b, GWM_LEG_A, browser[n].data, browser[n].len, now);
        gwm_bridge_receive(b, GWM_LEG_B, sip[n].data, sip[n].len, now);
        while (gwm_bridge_poll(b, now, &out) == 1) packets++;
    }
    run_result r = {cpu_seconds() - t0, allocations - a0, packets};
    gwm_leg_stats sa;
    gwm_bridge_leg_stats(b, GWM_LEG_A, &sa);
    if (sa.srtp_auth_failures || sa.srtp_other_failures || sa.packets_received != (uint64_t)frames) {
        fprintf(stderr, "bench: the bridge refused packets; figures would be meaningless\n");
        exit(1);
    }
    gwm_bridge_destroy(b);
    return r;
}

static run_result run_floor(int frames, int opus, int fullband, const packet *browser, const packet *sip)
{
    srtp_t rx = raw_srtp(key_in, 1), tx = raw_srtp(key_out, 0);
    int rate = fullband ? 48000 : 8000;
    OpusDecoder *dec = opus_decoder_create(rate, 1, NULL);
    OpusEncoder *enc = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, NULL);
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(24000));
    opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(opus_complexity));
    opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
    opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(10));
    opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    SpeexResamplerState *down = speex_resampler_init(1, 48000, 8000, 4, NULL);
    SpeexResamplerState *up = speex_resampler_init(1, 8000, 48000, 4, NULL);
    packet work;
    int16_t pcm[5760], pcm8[960];
    int warm = 10;
    double t0 = 0;
    unsigned long long a0 = 0;
    for (int n = 0; n < frames; n++) {
        if (n == warm) { t0 = cpu_seconds(); a0 = allocations; }
        /* browser -> SIP */
        memcpy(work.data, browser[n].data, browser[n].len);
        int len = (int)browser[n].len;
        if (use_srtp && srtp_unprotect(rx, work.data, &len) != srtp_err_status_ok) abort();
        if (opus) {
            int samples = opus_decode(dec, work.data + 12, len - 12, pcm, 5760, 0);
            const int16_t *narrow = pcm;
            if (fullband) {
                spx_uint32_t in = (spx_uint32_t)samples, outn = 960;
                speex_resampler_process_int(down, 0, pcm, &in, pcm8, &outn);
                narrow = pcm8;
            }
            gwm_g711_encode(GWM_CODEC_PCMU, narrow, 160, work.data + 12);
        }
        /* SIP -> browser */
        memcpy(work.data, sip[n].data, sip[n].len);
        len = (int)sip[n].len;
        if (opus) {
            gwm_g711_decode(GWM_CODEC_PCMU, sip[n].data + 12, 160, pcm8);
            const int16_t *input = pcm8;
            int samples = 160;
            if (fullband) {
                spx_uint32_t in = 160, outn = 5760;
                speex_resampler_process_int(up, 0, pcm8, &in, pcm, &outn);
                input = pcm;
                samples = 960;
            }
            len = 12 + opus_encode(enc, input, samples, work.data + 12, 1000);
        }
        if (use_srtp && srtp_protect(tx, work.data, &len) != srtp_err_status_ok) abort();
    }
    run_result r = {cpu_seconds() - t0, allocations - a0, 0};
    speex_resampler_destroy(down);
    speex_resampler_destroy(up);
    opus_encoder_destroy(enc);
    opus_decoder_destroy(dec);
    srtp_dealloc(rx);
    srtp_dealloc(tx);
    return r;
}

static void report(const char *name, int seconds, int opus, int fullband)
{
    int frames = seconds * FRAMES_PER_SECOND + 10;
    packet *browser = malloc(sizeof(packet) * (size_t)frames);
    packet *sip = malloc(sizeof(packet) * (size_t)frames);
    make_input(frames, opus, browser, sip);
    double core = 1e9, floor = 1e9;
    run_result best = {0, 0, 0}, best_floor = {0, 0, 0};
    for (int i = 0; i < REPEATS; i++) {
        run_result c = run_core(frames, opus, fullband, browser, sip);
        run_result f = run_floor(frames, opus, fullband, browser, sip);
        if (c.seconds < core) { core = c.seconds; best = c; }
        if (f.seconds < floor) { floor = f.seconds; best_floor = f; }
    }
    double packets_in = 2.0 * (frames - 10);
    printf("%-46s core %7.1f us  floor %7.1f us  ratio %.3f  allocs/packet core %.2f floor %.2f\n",
           name, core / seconds * 1e6, floor / seconds * 1e6, core / floor,
           (double)best.allocs / packets_in, (double)best_floor.allocs / packets_in);
    free(browser);
    free(sip);
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 200;
    if (seconds < 1) seconds = 1;
    srtp_init();
    printf("media core %s, CPU time per call-second (50 packets each way), best of %d runs of %d s:\n",
           gwm_version(), REPEATS, seconds);
    report("(a) relay PCMU/SRTP <-> PCMU/RTP", seconds, 0, 0);
    report("(b) transcode Opus/SRTP <-> PCMU/RTP, 8 kHz", seconds, 1, 0);
    report("    transcode Opus/SRTP <-> PCMU/RTP, 48 kHz", seconds, 1, 1);
    use_srtp = 0; /* the core's own work, without the SRTP library's */
    report("    relay PCMU/RTP <-> PCMU/RTP", seconds, 0, 0);
    report("    transcode Opus/RTP <-> PCMU/RTP, 8 kHz", seconds, 1, 0);
    use_srtp = 1;
    static const int complexities[] = {0, 2, 8, 10};
    for (size_t i = 0; i < sizeof complexities / sizeof complexities[0]; i++) {
        opus_complexity = complexities[i];
        char name[64];
        snprintf(name, sizeof name, "(b) at Opus complexity %d", opus_complexity);
        report(name, seconds, 1, 0);
    }
    return 0;
}
