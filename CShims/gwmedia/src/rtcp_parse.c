/* RTCP compound packets (RFC 3550 §6.1, §A.2) and the SR/RR/SDES/BYE bodies. */
#include <string.h>

#include "bytes.h"
#include "gwm/rtcp.h"

enum {
    HEADER_LEN = 4,
    SENDER_INFO_LEN = 20,
    REPORT_BLOCK_LEN = 24,
    PADDING_BIT = 0x20,
    COUNT_MASK = 0x1f
};

int gwm_rtcp_next(const uint8_t *data, size_t len, size_t *cursor, gwm_rtcp_packet *out)
{
    if (!data || !cursor || !out) return GWM_ERR_INVALID_ARGUMENT;
    size_t off = *cursor;
    if (off >= len) return GWM_ERR_END;
    if (len - off < HEADER_LEN) return GWM_ERR_TRUNCATED;
    const uint8_t *p = data + off;
    if ((p[0] >> 6) != 2) return GWM_ERR_MALFORMED;
    size_t plen = 4u * ((size_t)gwm_rd16(p + 2) + 1);
    if (plen > len - off) return GWM_ERR_TRUNCATED;
    size_t body = plen - HEADER_LEN;
    if (p[0] & PADDING_BIT) {
        uint8_t pad = p[plen - 1];
        if (pad == 0 || pad > body) return GWM_ERR_MALFORMED;
        body -= pad;
    }
    out->type = p[1];
    out->count = p[0] & COUNT_MASK;
    out->length = (uint16_t)plen;
    out->body = p + HEADER_LEN;
    out->body_length = (uint16_t)body;
    *cursor = off + plen;
    return GWM_OK;
}

int gwm_rtcp_validate(const uint8_t *data, size_t len)
{
    if (!data) return GWM_ERR_INVALID_ARGUMENT;
    if (len < HEADER_LEN) return GWM_ERR_TRUNCATED;
    size_t cursor = 0;
    gwm_rtcp_packet pkt;
    int rc;
    while ((rc = gwm_rtcp_next(data, len, &cursor, &pkt)) == GWM_OK) {
        int padded = (data[cursor - pkt.length] & PADDING_BIT) != 0;
        if (padded && cursor != len) return GWM_ERR_MALFORMED; /* padding only on the last */
        if (pkt.type < 192 || pkt.type > 223) return GWM_ERR_MALFORMED;
    }
    return rc == GWM_ERR_END ? GWM_OK : rc;
}

static int has_sender_ssrc(uint8_t type) { return type == GWM_RTCP_SR || type == GWM_RTCP_RR ||
                                                   type == GWM_RTCP_RTPFB || type == GWM_RTCP_PSFB ||
                                                   type == GWM_RTCP_XR || type == GWM_RTCP_APP; }

int gwm_rtcp_sender_ssrc(const gwm_rtcp_packet *pkt, uint32_t *out)
{
    if (!pkt || !out || !pkt->body) return GWM_ERR_INVALID_ARGUMENT;
    if (!has_sender_ssrc(pkt->type)) return GWM_ERR_INVALID_ARGUMENT;
    if (pkt->body_length < 4) return GWM_ERR_TRUNCATED;
    *out = gwm_rd32(pkt->body);
    return GWM_OK;
}

int gwm_rtcp_sender_info_get(const gwm_rtcp_packet *pkt, gwm_rtcp_sender_info *out)
{
    if (!pkt || !out || !pkt->body || pkt->type != GWM_RTCP_SR) return GWM_ERR_INVALID_ARGUMENT;
    if (pkt->body_length < 4 + SENDER_INFO_LEN) return GWM_ERR_TRUNCATED;
    const uint8_t *p = pkt->body + 4;
    out->ntp_timestamp = ((uint64_t)gwm_rd32(p) << 32) | gwm_rd32(p + 4);
    out->rtp_timestamp = gwm_rd32(p + 8);
    out->packet_count = gwm_rd32(p + 12);
    out->octet_count = gwm_rd32(p + 16);
    return GWM_OK;
}

int gwm_rtcp_report_block_get(const gwm_rtcp_packet *pkt, unsigned index, gwm_rtcp_report_block *out)
{
    if (!pkt || !out || !pkt->body) return GWM_ERR_INVALID_ARGUMENT;
    size_t first;
    if (pkt->type == GWM_RTCP_SR) first = 4 + SENDER_INFO_LEN;
    else if (pkt->type == GWM_RTCP_RR) first = 4;
    else return GWM_ERR_INVALID_ARGUMENT;
    if (index >= pkt->count) return GWM_ERR_END;
    size_t off = first + (size_t)index * REPORT_BLOCK_LEN;
    if (off + REPORT_BLOCK_LEN > pkt->body_length) return GWM_ERR_TRUNCATED;
    const uint8_t *p = pkt->body + off;
    out->ssrc = gwm_rd32(p);
    out->fraction_lost = p[4];
    uint32_t lost = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    out->cumulative_lost = (lost & 0x800000) ? (int32_t)(lost | 0xff000000u) : (int32_t)lost;
    out->highest_sequence = gwm_rd32(p + 8);
    out->jitter = gwm_rd32(p + 12);
    out->last_sr = gwm_rd32(p + 16);
    out->delay_since_last_sr = gwm_rd32(p + 20);
    return GWM_OK;
}

/*
 * SDES body: chunks of SSRC + items (type, length, text) ending with a zero
 * byte and padded to 32 bits. The cursor encodes the offset inside the body;
 * the current chunk's SSRC is re-read by scanning, which keeps the iterator
 * state a single integer.
 */
int gwm_rtcp_sdes_next(const gwm_rtcp_packet *pkt, size_t *cursor, gwm_rtcp_sdes_item *out)
{
    if (!pkt || !cursor || !out || !pkt->body || pkt->type != GWM_RTCP_SDES)
        return GWM_ERR_INVALID_ARGUMENT;
    const uint8_t *b = pkt->body;
    size_t n = pkt->body_length;
    size_t off = 0, chunk = 0;
    uint32_t ssrc = 0;
    /* Walk from the start to the cursor so that the chunk's SSRC is known. */
    while (chunk < pkt->count) {
        if (off + 4 > n) return GWM_ERR_TRUNCATED;
        ssrc = gwm_rd32(b + off);
        off += 4;
        for (;;) {
            if (off >= n) return GWM_ERR_TRUNCATED;
            if (b[off] == 0) { /* end of chunk: skip to the next 32-bit boundary */
                off = (off + 4) & ~(size_t)3;
                break;
            }
            if (off + 2 > n) return GWM_ERR_TRUNCATED;
            size_t ilen = b[off + 1];
            if (off + 2 + ilen > n) return GWM_ERR_TRUNCATED;
            if (off >= *cursor) {
                out->ssrc = ssrc;
                out->type = b[off];
                out->length = (uint8_t)ilen;
                out->text = b + off + 2;
                *cursor = off + 2 + ilen;
                return GWM_OK;
            }
            off += 2 + ilen;
        }
        chunk++;
    }
    return GWM_ERR_END;
}

int gwm_rtcp_bye_ssrc(const gwm_rtcp_packet *pkt, unsigned index, uint32_t *out)
{
    if (!pkt || !out || !pkt->body || pkt->type != GWM_RTCP_BYE) return GWM_ERR_INVALID_ARGUMENT;
    if (index >= pkt->count) return GWM_ERR_END;
    if (4u * (index + 1) > pkt->body_length) return GWM_ERR_TRUNCATED;
    *out = gwm_rd32(pkt->body + 4u * index);
    return GWM_OK;
}
