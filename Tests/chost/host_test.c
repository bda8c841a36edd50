/*
 * A plain C host of the media core: compiled with only include/ and linked
 * with libgwmedia.so. It sets up a call bridge (browser leg: Opus over SRTP;
 * SIP leg: PCMU over RTP), pushes synthetic packets through it and checks
 * what comes out.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gwm/gwm.h>

#include "check.h"

static size_t build_rtp(uint8_t *buf, size_t cap, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc,
                        const uint8_t *payload, size_t len)
{
    gwm_rtp_header h;
    memset(&h, 0, sizeof h);
    h.payload_type = pt;
    h.sequence = seq;
    h.timestamp = ts;
    h.ssrc = ssrc;
    size_t out = 0;
    return gwm_rtp_build(&h, NULL, 0, payload, len, 0, buf, cap, &out) == GWM_OK ? out : 0;
}

/* Counts rising zero crossings: 1 kHz at 8 kHz gives one per 8 samples. */
static int rising_crossings(const int16_t *pcm, size_t n)
{
    int count = 0;
    for (size_t i = 1; i < n; i++)
        if (pcm[i - 1] < 0 && pcm[i] >= 0) count++;
    return count;
}

static void transcoding_call(void)
{
    gwm_bridge_config cfg;
    gwm_bridge_config_default(&cfg);
    cfg.legs[GWM_LEG_A].ssrc = 0x0A0A0A0A;
    cfg.legs[GWM_LEG_B].ssrc = 0x0B0B0B0B;
    gwm_bridge *bridge = NULL;
    CHECK(gwm_bridge_create(&cfg, &bridge) == GWM_OK);

    uint8_t key_in[30], key_out[30];
    for (int i = 0; i < 30; i++) { key_in[i] = (uint8_t)i; key_out[i] = (uint8_t)(100 + i); }
    CHECK(gwm_bridge_set_srtp(bridge, GWM_LEG_A, GWM_SRTP_AES128_CM_SHA1_80, key_out, key_in, 30) == GWM_OK);
    gwm_srtp *browser = NULL;
    CHECK(gwm_srtp_create(GWM_SRTP_AES128_CM_SHA1_80, GWM_SRTP_SEND, key_in, 30, &browser) == GWM_OK);

    gwm_encoder_config ec;
    gwm_encoder_config_default(GWM_CODEC_OPUS, &ec);
    gwm_encoder *opus = NULL;
    CHECK(gwm_encoder_create(&ec, &opus) == GWM_OK);

    int16_t pcm[960];
    int16_t heard[160 * 200];
    size_t heard_len = 0;
    double phase = 0;
    for (int n = 0; n < 150; n++) {
        uint64_t now = (uint64_t)n * 20000;
        for (int i = 0; i < 960; i++) {
            pcm[i] = (int16_t)(8000 * sin(phase));
            phase += 2 * 3.14159265358979323846 * 1000 / 48000;
        }
        uint8_t payload[400], packet[GWM_BRIDGE_MAX_PACKET];
        size_t plen = 0;
        CHECK(gwm_encoder_encode(opus, pcm, 960, payload, sizeof payload, &plen) == GWM_OK);
        size_t len = build_rtp(packet, sizeof packet - GWM_SRTP_MAX_OVERHEAD, 111, (uint16_t)n,
                               (uint32_t)n * 960, 0x1234, payload, plen);
        CHECK(gwm_srtp_protect(browser, packet, &len, sizeof packet) == GWM_OK);
        CHECK(gwm_bridge_receive(bridge, GWM_LEG_A, packet, len, now) == GWM_OK);

        gwm_bridge_output out;
        while (gwm_bridge_poll(bridge, now, &out) == 1) {
            if (out.is_rtcp || out.leg != GWM_LEG_B) continue;
            gwm_rtp_header h;
            CHECK(gwm_rtp_parse(out.data, out.length, &h) == GWM_OK);
            CHECK(h.payload_type == 0 && h.ssrc == 0x0B0B0B0B && h.payload_length == 160);
            if (heard_len + h.payload_length <= sizeof heard / sizeof heard[0]) {
                gwm_g711_decode(GWM_CODEC_PCMU, out.data + h.payload_offset, h.payload_length, heard + heard_len);
                heard_len += h.payload_length;
            }
        }
        CHECK(gwm_bridge_next_timeout(bridge) <= now + 20000);
    }
    CHECK(heard_len >= 140 * 160);
    int crossings = rising_crossings(heard + 8000, 8000); /* one second after the start */
    CHECK(crossings >= 995 && crossings <= 1005);

    gwm_leg_stats stats;
    CHECK(gwm_bridge_leg_stats(bridge, GWM_LEG_A, &stats) == GWM_OK);
    CHECK(stats.packets_received == 150 && stats.srtp_auth_failures == 0);

    /* Garbage is refused with a status, never a crash. */
    uint8_t junk[64];
    memset(junk, 0x80, sizeof junk);
    junk[0] = 0xbf; /* V=2 with padding, extension and 15 CSRCs: cannot fit */
    CHECK(gwm_bridge_receive(bridge, GWM_LEG_B, junk, sizeof junk, 3000000) < 0);
    CHECK(strcmp(gwm_strerror(GWM_ERR_AUTH), "SRTP authentication failed") == 0);

    gwm_encoder_destroy(opus);
    gwm_srtp_destroy(browser);
    gwm_bridge_destroy(bridge);
}

static void relay_call(void)
{
    gwm_bridge_config cfg;
    gwm_bridge_config_default(&cfg);
    cfg.legs[GWM_LEG_A].codec = GWM_CODEC_PCMA;
    cfg.legs[GWM_LEG_A].payload_type = 8;
    cfg.legs[GWM_LEG_B].codec = GWM_CODEC_PCMA;
    cfg.legs[GWM_LEG_B].payload_type = 8;
    cfg.legs[GWM_LEG_A].ssrc = 1;
    cfg.legs[GWM_LEG_B].ssrc = 2;
    cfg.legs[GWM_LEG_B].initial_sequence = 65535;
    gwm_bridge *bridge = NULL;
    CHECK(gwm_bridge_create(&cfg, &bridge) == GWM_OK);
    CHECK(gwm_bridge_is_relaying(bridge) == 1);
    uint8_t payload[160], packet[256];
    memset(payload, 0xd5, sizeof payload);
    for (int n = 0; n < 3; n++) {
        size_t len = build_rtp(packet, sizeof packet, 8, (uint16_t)(77 + n), (uint32_t)n * 160, 99, payload, 160);
        CHECK(gwm_bridge_receive(bridge, GWM_LEG_A, packet, len, (uint64_t)n * 20000) == GWM_OK);
        gwm_bridge_output out;
        CHECK(gwm_bridge_poll(bridge, (uint64_t)n * 20000, &out) == 1);
        gwm_rtp_header h;
        CHECK(gwm_rtp_parse(out.data, out.length, &h) == GWM_OK);
        CHECK(h.sequence == (uint16_t)(65535 + n) && h.ssrc == 2);
    }
    gwm_bridge_destroy(bridge);
}

/* A relayed telephone-event with a CSRC: its payload moves down 4 bytes
 * inside the slot it arrived in (once an overlapping memcpy, which the
 * sanitized build of this test catches). */
static void relay_dtmf_with_a_csrc(void)
{
    gwm_bridge_config cfg;
    gwm_bridge_config_default(&cfg);
    for (int leg = 0; leg < 2; leg++) {
        cfg.legs[leg].codec = GWM_CODEC_PCMU;
        cfg.legs[leg].payload_type = 0;
        cfg.legs[leg].dtmf_payload_type = 101;
        cfg.legs[leg].ssrc = (uint32_t)leg + 1;
    }
    gwm_bridge *bridge = NULL;
    CHECK(gwm_bridge_create(&cfg, &bridge) == GWM_OK);
    gwm_rtp_header h;
    memset(&h, 0, sizeof h);
    h.payload_type = 101;
    h.sequence = 9;
    h.ssrc = 99;
    h.csrc_count = 1;
    h.csrc[0] = 7;
    const uint8_t events[12] = {5, 0x0a, 0x01, 0x40, 5, 0x0a, 0x02, 0x80, 5, 0x8a, 0x03, 0x20};
    uint8_t packet[256];
    size_t len = 0;
    CHECK(gwm_rtp_build(&h, NULL, 0, events, sizeof events, 0, packet, sizeof packet, &len) == GWM_OK);
    CHECK(gwm_bridge_receive(bridge, GWM_LEG_A, packet, len, 0) == GWM_OK);
    gwm_bridge_output out;
    CHECK(gwm_bridge_poll(bridge, 0, &out) == 1);
    gwm_rtp_header got;
    CHECK(gwm_rtp_parse(out.data, out.length, &got) == GWM_OK);
    CHECK(got.payload_type == 101 && got.payload_length == sizeof events && got.csrc_count == 0);
    CHECK(memcmp(out.data + got.payload_offset, events, sizeof events) == 0);
    gwm_bridge_destroy(bridge);
}

int main(void)
{
    CHECK(gwm_abi_version() == GWM_ABI_VERSION);
    CHECK(strcmp(gwm_version(), GWM_VERSION_STRING) == 0);
    transcoding_call();
    relay_call();
    relay_dtmf_with_a_csrc();
    printf("C host test: %d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
