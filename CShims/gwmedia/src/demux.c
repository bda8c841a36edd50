/* First-byte demultiplexing of a shared media port: RFC 7983 §7 and RFC 5761 §4. */
#include "gwm/rtp.h"

gwm_packet_kind gwm_packet_classify(const uint8_t *data, size_t len)
{
    if (!data || len == 0) return GWM_PACKET_UNKNOWN;
    uint8_t b = data[0];
    if (b <= 3) return GWM_PACKET_STUN;
    if (b >= 16 && b <= 19) return GWM_PACKET_ZRTP;
    if (b >= 20 && b <= 63) return GWM_PACKET_DTLS;
    if (b >= 64 && b <= 79) return GWM_PACKET_TURN;
    if (b >= 128 && b <= 191) {
        if (len < 2) return GWM_PACKET_UNKNOWN;
        /* RTCP packet types 192..223 collide with RTP payload types 64..95 with the
         * marker bit set; RFC 5761 §4 forbids those payload types when muxing. */
        uint8_t pt = data[1];
        return (pt >= 192 && pt <= 223) ? GWM_PACKET_RTCP : GWM_PACKET_RTP;
    }
    return GWM_PACKET_UNKNOWN;
}
