/* RFC 8285 header extension elements: one-byte (§4.2) and two-byte (§4.3) forms. */
#include <string.h>

#include "gwm/rtp.h"

enum {
    ONE_BYTE_ID_STOP = 15,
    ONE_BYTE_MAX_ID = 14,
    ONE_BYTE_MAX_LEN = 16,
    TWO_BYTE_PROFILE_MASK = 0xfff0
};

int gwm_rtp_extension_next(uint16_t profile, const uint8_t *block, size_t block_len,
                           size_t *cursor, gwm_rtp_extension *out)
{
    if (!block || !cursor || !out) return GWM_ERR_INVALID_ARGUMENT;
    int one_byte = profile == GWM_RTP_EXT_PROFILE_ONE_BYTE;
    if (!one_byte && (profile & TWO_BYTE_PROFILE_MASK) != GWM_RTP_EXT_PROFILE_TWO_BYTE)
        return GWM_ERR_UNSUPPORTED;

    size_t off = *cursor;
    while (off < block_len && block[off] == 0) off++; /* padding */
    if (off >= block_len) { *cursor = off; return GWM_ERR_END; }

    size_t id, len, header;
    if (one_byte) {
        id = block[off] >> 4;
        if (id == ONE_BYTE_ID_STOP) { *cursor = block_len; return GWM_ERR_END; }
        len = (size_t)(block[off] & 0x0f) + 1;
        header = 1;
    } else {
        if (off + 2 > block_len) return GWM_ERR_MALFORMED;
        id = block[off];
        len = block[off + 1];
        header = 2;
    }
    if (off + header + len > block_len) return GWM_ERR_MALFORMED;
    out->id = (uint8_t)id;
    out->length = (uint8_t)len;
    out->data = block + off + header;
    *cursor = off + header + len;
    return GWM_OK;
}

int gwm_rtp_extension_build(const gwm_rtp_extension *elements, size_t count,
                            uint8_t *buf, size_t cap, uint16_t *out_profile, size_t *out_len)
{
    if (!elements || !out_profile || !out_len) return GWM_ERR_INVALID_ARGUMENT;
    int one_byte = 1;
    size_t raw = 0;
    for (size_t i = 0; i < count; i++) {
        const gwm_rtp_extension *e = &elements[i];
        if (e->id == 0 || (e->length && !e->data)) return GWM_ERR_INVALID_ARGUMENT;
        if (e->id > ONE_BYTE_MAX_ID || e->length == 0 || e->length > ONE_BYTE_MAX_LEN) one_byte = 0;
    }
    for (size_t i = 0; i < count; i++) raw += (one_byte ? 1u : 2u) + elements[i].length;
    size_t need = (raw + 3) & ~(size_t)3;
    *out_profile = one_byte ? GWM_RTP_EXT_PROFILE_ONE_BYTE : GWM_RTP_EXT_PROFILE_TWO_BYTE;
    *out_len = need;
    if (!buf) return GWM_OK;
    if (cap < need) return GWM_ERR_BUFFER_TOO_SMALL;

    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        const gwm_rtp_extension *e = &elements[i];
        if (one_byte) {
            buf[off++] = (uint8_t)((e->id << 4) | (e->length - 1));
        } else {
            buf[off++] = e->id;
            buf[off++] = e->length;
        }
        if (e->length) memcpy(buf + off, e->data, e->length);
        off += e->length;
    }
    memset(buf + off, 0, need - off);
    return GWM_OK;
}
