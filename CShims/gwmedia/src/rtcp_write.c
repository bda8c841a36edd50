/* RTCP builders (RFC 3550 §6.4, §6.5, §6.6). Each appends one packet. */
#include <string.h>

#include "bytes.h"
#include "gwm/rtcp.h"

enum { MAX_COUNT = 31, REPORT_BLOCK_LEN = 24, SENDER_INFO_LEN = 20 };

static void write_header(uint8_t *p, uint8_t count, uint8_t type, size_t total)
{
    p[0] = (uint8_t)(0x80 | count);
    p[1] = type;
    gwm_wr16(p + 2, (uint16_t)(total / 4 - 1));
}

static void write_block(uint8_t *p, const gwm_rtcp_report_block *rb)
{
    gwm_wr32(p, rb->ssrc);
    int32_t lost = rb->cumulative_lost;
    if (lost > 0x7fffff) lost = 0x7fffff;
    if (lost < -0x800000) lost = -0x800000;
    p[4] = rb->fraction_lost;
    p[5] = (uint8_t)((uint32_t)lost >> 16);
    p[6] = (uint8_t)((uint32_t)lost >> 8);
    p[7] = (uint8_t)lost;
    gwm_wr32(p + 8, rb->highest_sequence);
    gwm_wr32(p + 12, rb->jitter);
    gwm_wr32(p + 16, rb->last_sr);
    gwm_wr32(p + 20, rb->delay_since_last_sr);
}

static int write_report(uint8_t *buf, size_t cap, size_t *len, uint8_t type, uint32_t ssrc,
                        const gwm_rtcp_sender_info *info, const gwm_rtcp_report_block *blocks,
                        size_t count)
{
    if (!buf || !len || count > MAX_COUNT || (count && !blocks)) return GWM_ERR_INVALID_ARGUMENT;
    size_t total = 8 + (info ? SENDER_INFO_LEN : 0) + count * REPORT_BLOCK_LEN;
    if (*len > cap || cap - *len < total) return GWM_ERR_BUFFER_TOO_SMALL;
    uint8_t *p = buf + *len;
    write_header(p, (uint8_t)count, type, total);
    gwm_wr32(p + 4, ssrc);
    size_t off = 8;
    if (info) {
        gwm_wr32(p + off, (uint32_t)(info->ntp_timestamp >> 32));
        gwm_wr32(p + off + 4, (uint32_t)info->ntp_timestamp);
        gwm_wr32(p + off + 8, info->rtp_timestamp);
        gwm_wr32(p + off + 12, info->packet_count);
        gwm_wr32(p + off + 16, info->octet_count);
        off += SENDER_INFO_LEN;
    }
    for (size_t i = 0; i < count; i++, off += REPORT_BLOCK_LEN) write_block(p + off, &blocks[i]);
    *len += total;
    return GWM_OK;
}

int gwm_rtcp_write_sr(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
                      const gwm_rtcp_sender_info *info, const gwm_rtcp_report_block *blocks,
                      size_t count)
{
    if (!info) return GWM_ERR_INVALID_ARGUMENT;
    return write_report(buf, cap, len, GWM_RTCP_SR, ssrc, info, blocks, count);
}

int gwm_rtcp_write_rr(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
                      const gwm_rtcp_report_block *blocks, size_t count)
{
    return write_report(buf, cap, len, GWM_RTCP_RR, ssrc, NULL, blocks, count);
}

int gwm_rtcp_write_sdes_cname(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
                              const char *cname, size_t cname_len)
{
    if (!buf || !len || !cname || cname_len == 0 || cname_len > 255) return GWM_ERR_INVALID_ARGUMENT;
    /* header + SSRC + type + length + text + at least one zero byte, to 32 bits */
    size_t total = (4 + 4 + 2 + cname_len + 1 + 3) & ~(size_t)3;
    if (*len > cap || cap - *len < total) return GWM_ERR_BUFFER_TOO_SMALL;
    uint8_t *p = buf + *len;
    memset(p, 0, total);
    write_header(p, 1, GWM_RTCP_SDES, total);
    gwm_wr32(p + 4, ssrc);
    p[8] = GWM_RTCP_SDES_CNAME;
    p[9] = (uint8_t)cname_len;
    memcpy(p + 10, cname, cname_len);
    *len += total;
    return GWM_OK;
}

int gwm_rtcp_write_bye(uint8_t *buf, size_t cap, size_t *len, const uint32_t *ssrcs, size_t count,
                       const char *reason, size_t reason_len)
{
    if (!buf || !len || !ssrcs || count > MAX_COUNT || reason_len > 255 || (reason_len && !reason))
        return GWM_ERR_INVALID_ARGUMENT;
    size_t total = 4 + 4 * count + (reason_len ? (1 + reason_len + 3) & ~(size_t)3 : 0);
    if (*len > cap || cap - *len < total) return GWM_ERR_BUFFER_TOO_SMALL;
    uint8_t *p = buf + *len;
    memset(p, 0, total);
    write_header(p, (uint8_t)count, GWM_RTCP_BYE, total);
    for (size_t i = 0; i < count; i++) gwm_wr32(p + 4 + 4 * i, ssrcs[i]);
    if (reason_len) {
        p[4 + 4 * count] = (uint8_t)reason_len;
        memcpy(p + 5 + 4 * count, reason, reason_len);
    }
    *len += total;
    return GWM_OK;
}
