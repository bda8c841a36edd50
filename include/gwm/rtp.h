/*
 * gwm/rtp.h — RTP header parsing and building (RFC 3550 §5.1), RTP header
 * extensions (RFC 8285 one-byte and two-byte forms), and the first-byte demux
 * of a shared media port (RFC 7983, RFC 5761).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |           synchronization source (SSRC) identifier            |
 *   |            contributing source (CSRC) identifiers             |
 *   |  profile (0xBEDE / 0x100x)    |     length (32-bit words)     |
 *   |                      header extension ...                     |
 *
 * All functions here are pure: no allocation, no global state, thread-safe.
 */
#ifndef GWM_RTP_H
#define GWM_RTP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GWM_RTP_MIN_HEADER 12
#define GWM_RTP_MAX_CSRC 15
/** RFC 8285 §4.2: one-byte header form. */
#define GWM_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
/** RFC 8285 §4.3: two-byte header form; the low 4 bits ("appbits") are free. */
#define GWM_RTP_EXT_PROFILE_TWO_BYTE 0x1000

typedef struct gwm_rtp_header {
    uint8_t marker;            /**< 0 or 1 */
    uint8_t payload_type;      /**< 0..127 */
    uint16_t sequence;
    uint32_t timestamp;
    uint32_t ssrc;
    uint8_t csrc_count;        /**< 0..15 */
    uint32_t csrc[GWM_RTP_MAX_CSRC];
    uint8_t has_extension;     /**< X bit */
    uint16_t extension_profile;
    uint16_t extension_offset; /**< offset of the extension data (after its 4-byte header) */
    uint16_t extension_length; /**< bytes of extension data (a multiple of 4) */
    uint16_t payload_offset;   /**< offset of the payload */
    uint16_t payload_length;   /**< payload bytes, padding excluded */
    uint8_t padding_length;    /**< trailing padding bytes incl. the count byte; 0 if none */
} gwm_rtp_header;

/**
 * Parses the RTP header of `data[0..len)` into `out` (fully overwritten).
 * Checks version 2, CSRC and extension lengths, and that the padding count is
 * 1..payload bytes. Returns GWM_OK, GWM_ERR_TRUNCATED or GWM_ERR_MALFORMED.
 * Packets longer than 65535 bytes are GWM_ERR_TOO_LARGE.
 */
GWM_API int gwm_rtp_parse(const uint8_t *GWM_NONNULL data, size_t len,
                          gwm_rtp_header *GWM_NONNULL out);

/**
 * Writes a complete RTP packet: `header` (its offset/length fields are
 * ignored), the extension block `extension[0..extension_len)` when
 * header->has_extension (extension_len must be a multiple of 4), the payload,
 * and `padding` bytes of RTP padding (0, or 1..255 with the count in the last
 * byte). When `buf` is NULL, only stores the size needed in *out_len and
 * returns GWM_OK. Returns GWM_ERR_BUFFER_TOO_SMALL if `cap` is short.
 */
GWM_API int gwm_rtp_build(const gwm_rtp_header *GWM_NONNULL header,
                          const uint8_t *GWM_NULLABLE extension, size_t extension_len,
                          const uint8_t *GWM_NULLABLE payload, size_t payload_len,
                          uint8_t padding,
                          uint8_t *GWM_NULLABLE buf, size_t cap,
                          size_t *GWM_NONNULL out_len);

/** One RFC 8285 extension element; `data` points into the parsed packet. */
typedef struct gwm_rtp_extension {
    uint8_t id;      /**< 1..14 (one-byte form) or 1..255 (two-byte form) */
    uint8_t length;  /**< data bytes: 1..16 (one-byte) or 0..255 (two-byte) */
    const uint8_t *GWM_NULLABLE data;
} gwm_rtp_extension;

/**
 * Iterates the elements of an extension block. Start with *cursor = 0; each
 * call stores the next element in `out` and advances *cursor. Returns GWM_OK,
 * GWM_ERR_END when no element is left, GWM_ERR_MALFORMED for an element that
 * overruns the block, GWM_ERR_UNSUPPORTED for a profile that is neither
 * RFC 8285 form. Padding bytes (id 0) are skipped; id 15 in the one-byte form
 * stops the iteration as RFC 8285 §4.2 requires.
 */
GWM_API int gwm_rtp_extension_next(uint16_t profile,
                                   const uint8_t *GWM_NONNULL block, size_t block_len,
                                   size_t *GWM_NONNULL cursor,
                                   gwm_rtp_extension *GWM_NONNULL out);

/**
 * Writes `count` elements as one extension block, choosing the one-byte form
 * when every id is 1..14 and every length 1..16, and the two-byte form
 * otherwise; pads to a multiple of 4. Stores the profile in *out_profile and
 * the block size in *out_len. NULL `buf` asks for the size only.
 */
GWM_API int gwm_rtp_extension_build(const gwm_rtp_extension *GWM_NONNULL elements,
                                    size_t count,
                                    uint8_t *GWM_NULLABLE buf, size_t cap,
                                    uint16_t *GWM_NONNULL out_profile,
                                    size_t *GWM_NONNULL out_len);

/** What a datagram on a shared media port is (RFC 7983 §7, RFC 5761 §4). */
typedef enum gwm_packet_kind {
    GWM_PACKET_UNKNOWN = 0,
    GWM_PACKET_STUN = 1,   /**< first byte 0..3 */
    GWM_PACKET_ZRTP = 2,   /**< 16..19 */
    GWM_PACKET_DTLS = 3,   /**< 20..63 */
    GWM_PACKET_TURN = 4,   /**< 64..79 (TURN channel data) */
    GWM_PACKET_RTP = 5,    /**< 128..191, second byte not an RTCP type */
    GWM_PACKET_RTCP = 6    /**< 128..191, second byte 192..223 */
} gwm_packet_kind;

/** Classifies a datagram by its first two bytes. Pure. */
GWM_API gwm_packet_kind gwm_packet_classify(const uint8_t *GWM_NULLABLE data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
