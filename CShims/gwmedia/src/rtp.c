/* RTP fixed header, CSRC list, extension header and padding (RFC 3550 §5.1, §5.3.1). */
#include <string.h>

#include "bytes.h"
#include "gwm/rtp.h"
#include "rtp_header.h"

enum {
    VERSION_SHIFT = 6,
    PADDING_BIT = 0x20,
    EXTENSION_BIT = 0x10,
    CC_MASK = 0x0f,
    MARKER_BIT = 0x80,
    PT_MASK = 0x7f,
    EXT_HEADER_LEN = 4,
    MAX_PACKET = 65535
};

int rtp_header_size(const uint8_t *data, size_t len, size_t *size)
{
    if (len < GWM_RTP_MIN_HEADER) return GWM_ERR_TRUNCATED;
    if ((data[0] >> VERSION_SHIFT) != 2) return GWM_ERR_MALFORMED;
    size_t off = GWM_RTP_MIN_HEADER + 4u * (data[0] & CC_MASK);
    if (len < off) return GWM_ERR_TRUNCATED;
    if (data[0] & EXTENSION_BIT) {
        if (len < off + EXT_HEADER_LEN) return GWM_ERR_TRUNCATED;
        off += EXT_HEADER_LEN + 4u * gwm_rd16(data + off + 2);
        if (len < off) return GWM_ERR_TRUNCATED;
    }
    *size = off;
    return GWM_OK;
}

int gwm_rtp_parse(const uint8_t *data, size_t len, gwm_rtp_header *out)
{
    if (!data || !out) return GWM_ERR_INVALID_ARGUMENT;
    if (len > MAX_PACKET) return GWM_ERR_TOO_LARGE;
    size_t off = 0;
    int rc = rtp_header_size(data, len, &off);
    if (rc != GWM_OK) return rc;

    memset(out, 0, sizeof *out);
    out->marker = (data[1] & MARKER_BIT) ? 1 : 0;
    out->payload_type = data[1] & PT_MASK;
    out->sequence = gwm_rd16(data + 2);
    out->timestamp = gwm_rd32(data + 4);
    out->ssrc = gwm_rd32(data + 8);
    out->csrc_count = data[0] & CC_MASK;
    for (unsigned i = 0; i < out->csrc_count; i++) out->csrc[i] = gwm_rd32(data + GWM_RTP_MIN_HEADER + 4 * i);
    if (data[0] & EXTENSION_BIT) {
        size_t ext = GWM_RTP_MIN_HEADER + 4u * out->csrc_count;
        out->has_extension = 1;
        out->extension_profile = gwm_rd16(data + ext);
        out->extension_offset = (uint16_t)(ext + EXT_HEADER_LEN);
        out->extension_length = (uint16_t)(off - ext - EXT_HEADER_LEN);
    }

    size_t end = len;
    if (data[0] & PADDING_BIT) {
        uint8_t pad = data[len - 1];
        if (pad == 0 || pad > len - off) return GWM_ERR_MALFORMED;
        out->padding_length = pad;
        end -= pad;
    }
    out->payload_offset = (uint16_t)off;
    out->payload_length = (uint16_t)(end - off);
    return GWM_OK;
}

int gwm_rtp_build(const gwm_rtp_header *h, const uint8_t *extension, size_t extension_len,
                  const uint8_t *payload, size_t payload_len, uint8_t padding,
                  uint8_t *buf, size_t cap, size_t *out_len)
{
    if (!h || !out_len) return GWM_ERR_INVALID_ARGUMENT;
    if (h->csrc_count > GWM_RTP_MAX_CSRC || h->payload_type > PT_MASK) return GWM_ERR_INVALID_ARGUMENT;
    if (h->has_extension && (extension_len % 4 != 0 || extension_len / 4 > 0xffff ||
                             (extension_len && !extension)))
        return GWM_ERR_INVALID_ARGUMENT;
    if (payload_len && !payload) return GWM_ERR_INVALID_ARGUMENT;

    size_t need = GWM_RTP_MIN_HEADER + 4u * h->csrc_count +
                  (h->has_extension ? EXT_HEADER_LEN + extension_len : 0) + payload_len + padding;
    if (need > MAX_PACKET) return GWM_ERR_TOO_LARGE;
    *out_len = need;
    if (!buf) return GWM_OK;
    if (cap < need) return GWM_ERR_BUFFER_TOO_SMALL;

    buf[0] = (uint8_t)((2 << VERSION_SHIFT) | (padding ? PADDING_BIT : 0) |
                       (h->has_extension ? EXTENSION_BIT : 0) | h->csrc_count);
    buf[1] = (uint8_t)((h->marker ? MARKER_BIT : 0) | h->payload_type);
    gwm_wr16(buf + 2, h->sequence);
    gwm_wr32(buf + 4, h->timestamp);
    gwm_wr32(buf + 8, h->ssrc);
    size_t off = GWM_RTP_MIN_HEADER;
    for (unsigned i = 0; i < h->csrc_count; i++, off += 4) gwm_wr32(buf + off, h->csrc[i]);
    if (h->has_extension) {
        gwm_wr16(buf + off, h->extension_profile);
        gwm_wr16(buf + off + 2, (uint16_t)(extension_len / 4));
        off += EXT_HEADER_LEN;
        if (extension_len) memcpy(buf + off, extension, extension_len);
        off += extension_len;
    }
    if (payload_len) memcpy(buf + off, payload, payload_len);
    off += payload_len;
    if (padding) {
        memset(buf + off, 0, padding);
        buf[off + padding - 1] = padding;
    }
    return GWM_OK;
}
