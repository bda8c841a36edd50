/*
 * libFuzzer target: the bridge's packet input. The input is a script of
 * datagrams: [flags][length][bytes...]..., where flags choose the leg and the
 * time step. The first byte chooses the bridge: relay or transcoding, plain
 * RTP or SRTP on leg A, narrowband or fullband.
 */
#include <stdlib.h>
#include <string.h>

#include <gwm/gwm.h>

static const uint8_t key[30] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t mode = data[0];
    gwm_bridge_config cfg;
    gwm_bridge_config_default(&cfg);
    cfg.legs[0].ssrc = 1;
    cfg.legs[1].ssrc = 2;
    cfg.rtcp_interval_ms = 100;
    cfg.fullband = (mode & 4) ? 1 : 0;
    if (mode & 1) { /* relay */
        cfg.legs[0].codec = GWM_CODEC_PCMU;
        cfg.legs[0].payload_type = 0;
        cfg.legs[0].dtmf_payload_type = 101;
    }
    if (mode & 8) cfg.legs[1].codec = GWM_CODEC_PCMA;
    gwm_bridge *b = NULL;
    if (gwm_bridge_create(&cfg, &b) != GWM_OK) abort();
    if (mode & 2) gwm_bridge_set_srtp(b, GWM_LEG_A, GWM_SRTP_AES128_CM_SHA1_80, key, key, sizeof key);
    if (mode & 16) gwm_bridge_set_direction(b, GWM_LEG_B, GWM_RECVONLY);

    uint64_t now = 0;
    size_t off = 1;
    while (off + 2 <= size) {
        uint8_t flags = data[off];
        size_t len = data[off + 1] | ((size_t)(flags & 0x07) << 8);
        off += 2;
        if (len > size - off) len = size - off;
        now += (uint64_t)(flags >> 4) * 5000;
        gwm_leg leg = (flags & 0x08) ? GWM_LEG_B : GWM_LEG_A;
        (void)gwm_bridge_receive(b, leg, data + off, len, now);
        off += len;
        gwm_bridge_output out;
        int guard = 0;
        while (gwm_bridge_poll(b, now, &out) == 1) {
            if (out.length == 0 || out.length > GWM_BRIDGE_MAX_PACKET + GWM_SRTP_MAX_OVERHEAD) abort();
            if (++guard > 64) abort();
        }
    }
    gwm_leg_stats stats;
    gwm_bridge_leg_stats(b, GWM_LEG_A, &stats);
    gwm_bridge_destroy(b);
    return 0;
}
