/* RFC 3550 §A.8 interarrival jitter estimator. Internal. */
#ifndef GWM_INTERARRIVAL_H
#define GWM_INTERARRIVAL_H

#include <stdint.h>

typedef struct interarrival {
    int have_transit;
    uint32_t last_transit;
    double jitter; /* RTP timestamp units */
} interarrival;

/* Both the arrival clock and the timestamps wrap; differences are taken
 * modulo 2^32 and read as signed, so no input can overflow. */
static inline void interarrival_update(interarrival *e, uint32_t timestamp, uint64_t now_us,
                                       uint32_t clock_rate)
{
    uint32_t arrival = (uint32_t)(now_us * clock_rate / 1000000u);
    uint32_t transit = arrival - timestamp;
    if (e->have_transit) {
        int64_t d = (int32_t)(transit - e->last_transit);
        if (d < 0) d = -d;
        e->jitter += ((double)d - e->jitter) / 16.0;
    }
    e->have_transit = 1;
    e->last_transit = transit;
}

#endif
