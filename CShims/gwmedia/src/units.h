/* Conversions of statistics whose inputs come from the network. Internal. */
#ifndef GWM_UNITS_H
#define GWM_UNITS_H

#include <stdint.h>

/* RTP timestamp units to microseconds, saturated: timestamps are chosen by
 * the peer, so the jitter they imply can be arbitrarily large. */
static inline uint32_t gwm_rtp_units_to_us(double units, uint32_t clock_rate)
{
    double us = units * 1e6 / clock_rate;
    return us >= (double)UINT32_MAX ? UINT32_MAX : us <= 0 ? 0 : (uint32_t)us;
}

#endif
