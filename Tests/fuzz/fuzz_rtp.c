/*
 * libFuzzer target: the RTP, RTP header extension and RTCP parsers, and the
 * RTP builder's round trip of whatever the parser accepts.
 */
#include <stdlib.h>
#include <string.h>

#include <gwm/gwm.h>

static void rtp(const uint8_t *data, size_t size)
{
    gwm_rtp_header h;
    if (gwm_rtp_parse(data, size, &h) != GWM_OK) return;
    if ((size_t)h.payload_offset + h.payload_length + h.padding_length != size) abort();
    if (h.has_extension) {
        size_t cursor = 0;
        gwm_rtp_extension e;
        int guard = 0;
        while (gwm_rtp_extension_next(h.extension_profile, data + h.extension_offset, h.extension_length,
                                      &cursor, &e) == GWM_OK) {
            if (e.data + e.length > data + h.extension_offset + h.extension_length) abort();
            if (++guard > 1024) abort();
        }
    }
    /* Rebuild from the parsed fields and parse again: the same header. */
    uint8_t out[70000];
    size_t len = 0;
    if (gwm_rtp_build(&h, data + h.extension_offset, h.extension_length, data + h.payload_offset,
                      h.payload_length, h.padding_length, out, sizeof out, &len) != GWM_OK)
        abort();
    gwm_rtp_header again;
    if (gwm_rtp_parse(out, len, &again) != GWM_OK) abort();
    if (again.sequence != h.sequence || again.timestamp != h.timestamp || again.ssrc != h.ssrc ||
        again.payload_length != h.payload_length || again.csrc_count != h.csrc_count ||
        memcmp(out + again.payload_offset, data + h.payload_offset, h.payload_length) != 0)
        abort();
}

static void rtcp(const uint8_t *data, size_t size)
{
    (void)gwm_rtcp_validate(data, size);
    size_t cursor = 0;
    gwm_rtcp_packet p;
    while (gwm_rtcp_next(data, size, &cursor, &p) == GWM_OK) {
        uint32_t ssrc;
        gwm_rtcp_sender_info si;
        gwm_rtcp_report_block rb;
        gwm_rtcp_sdes_item item;
        (void)gwm_rtcp_sender_ssrc(&p, &ssrc);
        (void)gwm_rtcp_sender_info_get(&p, &si);
        for (unsigned i = 0; i < 32 && gwm_rtcp_report_block_get(&p, i, &rb) == GWM_OK; i++) {}
        for (unsigned i = 0; i < 32 && gwm_rtcp_bye_ssrc(&p, i, &ssrc) == GWM_OK; i++) {}
        size_t sdes = 0;
        for (int i = 0; i < 512 && gwm_rtcp_sdes_next(&p, &sdes, &item) == GWM_OK; i++)
            if (item.text + item.length > data + size) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)gwm_packet_classify(data, size);
    rtp(data, size);
    rtcp(data, size);
    if (size >= 2) {
        size_t cursor = 0;
        gwm_rtp_extension e;
        uint16_t profile = data[0] & 1 ? GWM_RTP_EXT_PROFILE_ONE_BYTE : GWM_RTP_EXT_PROFILE_TWO_BYTE;
        for (int i = 0; i < 4096 && gwm_rtp_extension_next(profile, data + 1, size - 1, &cursor, &e) == GWM_OK; i++) {}
    }
    return 0;
}
