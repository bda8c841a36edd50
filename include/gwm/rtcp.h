/*
 * gwm/rtcp.h — RTCP parsing and building (RFC 3550 §6): SR, RR, SDES, BYE,
 * compound packets; other types (APP, feedback, XR) are iterated over and
 * left to the caller.
 *
 *    0                   1                   2                   3
 *   |V=2|P|   RC    |      PT       |             length            |
 *   |                         SSRC of sender                        |
 *   SR: NTP timestamp (64) | RTP timestamp | packet count | octet count
 *   then RC report blocks of 24 bytes each.
 *
 * All functions here are pure: no allocation, no global state, thread-safe.
 */
#ifndef GWM_RTCP_H
#define GWM_RTCP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    GWM_RTCP_SR = 200,
    GWM_RTCP_RR = 201,
    GWM_RTCP_SDES = 202,
    GWM_RTCP_BYE = 203,
    GWM_RTCP_APP = 204,
    GWM_RTCP_RTPFB = 205,
    GWM_RTCP_PSFB = 206,
    GWM_RTCP_XR = 207
};

enum { GWM_RTCP_SDES_CNAME = 1 };

/** One packet of a compound RTCP packet; `body` points into the input. */
typedef struct gwm_rtcp_packet {
    uint8_t type;       /**< packet type, 200.. */
    uint8_t count;      /**< the 5-bit RC/SC/FMT field */
    uint16_t length;    /**< whole packet bytes, header and padding included */
    const uint8_t *GWM_NULLABLE body; /**< bytes after the 4-byte header */
    uint16_t body_length;             /**< body bytes, padding excluded */
} gwm_rtcp_packet;

typedef struct gwm_rtcp_sender_info {
    uint64_t ntp_timestamp;
    uint32_t rtp_timestamp;
    uint32_t packet_count;
    uint32_t octet_count;
} gwm_rtcp_sender_info;

typedef struct gwm_rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;       /**< fixed point, /256 */
    int32_t cumulative_lost;     /**< 24-bit signed */
    uint32_t highest_sequence;   /**< extended highest sequence number */
    uint32_t jitter;             /**< RTP timestamp units */
    uint32_t last_sr;            /**< middle 32 bits of the last SR's NTP time */
    uint32_t delay_since_last_sr;/**< 1/65536 s */
} gwm_rtcp_report_block;

typedef struct gwm_rtcp_sdes_item {
    uint32_t ssrc;
    uint8_t type;                /**< GWM_RTCP_SDES_CNAME, ... */
    uint8_t length;
    const uint8_t *GWM_NULLABLE text; /**< not NUL-terminated */
} gwm_rtcp_sdes_item;

/**
 * Iterates the packets of a compound RTCP packet. Start with *cursor = 0.
 * Returns GWM_OK with `out` filled, GWM_ERR_END after the last packet,
 * GWM_ERR_TRUNCATED / GWM_ERR_MALFORMED when a length or version is wrong
 * (iteration must stop then).
 */
GWM_API int gwm_rtcp_next(const uint8_t *GWM_NONNULL data, size_t len,
                          size_t *GWM_NONNULL cursor, gwm_rtcp_packet *GWM_NONNULL out);

/**
 * Validates a whole compound packet (RFC 3550 §A.2, relaxed per RFC 5506 for
 * reduced-size RTCP: the first packet need not be SR/RR): version 2 throughout,
 * lengths adding up exactly, padding only in the last packet.
 */
GWM_API int gwm_rtcp_validate(const uint8_t *GWM_NONNULL data, size_t len);

/** SSRC of the sender (SR, RR, and feedback packets). */
GWM_API int gwm_rtcp_sender_ssrc(const gwm_rtcp_packet *GWM_NONNULL packet,
                                 uint32_t *GWM_NONNULL out);

/** The sender info of an SR. GWM_ERR_INVALID_ARGUMENT for other types. */
GWM_API int gwm_rtcp_sender_info_get(const gwm_rtcp_packet *GWM_NONNULL packet,
                                     gwm_rtcp_sender_info *GWM_NONNULL out);

/** Report block `index` (< packet->count) of an SR or RR. */
GWM_API int gwm_rtcp_report_block_get(const gwm_rtcp_packet *GWM_NONNULL packet,
                                      unsigned index,
                                      gwm_rtcp_report_block *GWM_NONNULL out);

/** Iterates the items of all chunks of an SDES packet; *cursor starts at 0. */
GWM_API int gwm_rtcp_sdes_next(const gwm_rtcp_packet *GWM_NONNULL packet,
                               size_t *GWM_NONNULL cursor,
                               gwm_rtcp_sdes_item *GWM_NONNULL out);

/** SSRC `index` (< packet->count) of a BYE. */
GWM_API int gwm_rtcp_bye_ssrc(const gwm_rtcp_packet *GWM_NONNULL packet, unsigned index,
                              uint32_t *GWM_NONNULL out);

/*
 * Builders append one packet at buf[*len] and advance *len; on
 * GWM_ERR_BUFFER_TOO_SMALL nothing is written and *len is unchanged.
 */

/** SR with up to 31 report blocks. */
GWM_API int gwm_rtcp_write_sr(uint8_t *GWM_NONNULL buf, size_t cap, size_t *GWM_NONNULL len,
                              uint32_t ssrc, const gwm_rtcp_sender_info *GWM_NONNULL info,
                              const gwm_rtcp_report_block *GWM_NULLABLE blocks, size_t count);

/** RR with up to 31 report blocks. */
GWM_API int gwm_rtcp_write_rr(uint8_t *GWM_NONNULL buf, size_t cap, size_t *GWM_NONNULL len,
                              uint32_t ssrc,
                              const gwm_rtcp_report_block *GWM_NULLABLE blocks, size_t count);

/** SDES with one chunk holding one CNAME item (1..255 bytes). */
GWM_API int gwm_rtcp_write_sdes_cname(uint8_t *GWM_NONNULL buf, size_t cap,
                                      size_t *GWM_NONNULL len, uint32_t ssrc,
                                      const char *GWM_NONNULL cname, size_t cname_len);

/** BYE for up to 31 SSRCs with an optional reason (0..255 bytes). */
GWM_API int gwm_rtcp_write_bye(uint8_t *GWM_NONNULL buf, size_t cap, size_t *GWM_NONNULL len,
                               const uint32_t *GWM_NONNULL ssrcs, size_t count,
                               const char *GWM_NULLABLE reason, size_t reason_len);

#ifdef __cplusplus
}
#endif
#endif
