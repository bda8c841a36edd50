/* The extent of an RTP header, shared by the parser and SRTP (which must not
 * read the padding byte: it is encrypted). Internal. */
#ifndef GWM_RTP_HEADER_H
#define GWM_RTP_HEADER_H

#include <stddef.h>
#include <stdint.h>

/* The length of the header of data[0..len) (fixed part, CSRCs, extension) in
 * *size: GWM_OK, GWM_ERR_TRUNCATED when len cannot hold it, GWM_ERR_MALFORMED
 * when the version is not 2. Reads only within len. */
int rtp_header_size(const uint8_t *data, size_t len, size_t *size);

#endif
