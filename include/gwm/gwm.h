/*
 * gwm/gwm.h — umbrella header of the gateway media core.
 * Link with -lgwmedia. See each header for threading and ownership rules.
 */
#ifndef GWM_GWM_H
#define GWM_GWM_H

#include "common.h"
#include "rtp.h"
#include "rtcp.h"
#include "srtp.h"
#include "jitter.h"
#include "codec.h"
#include "bridge.h"

#endif
