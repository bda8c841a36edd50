#include "gwm/common.h"

const char *gwm_strerror(int status)
{
    switch (status) {
    case GWM_OK: return "ok";
    case GWM_ERR_INVALID_ARGUMENT: return "invalid argument";
    case GWM_ERR_TRUNCATED: return "packet truncated";
    case GWM_ERR_MALFORMED: return "packet malformed";
    case GWM_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case GWM_ERR_NO_MEMORY: return "out of memory";
    case GWM_ERR_UNSUPPORTED: return "unsupported";
    case GWM_ERR_AUTH: return "SRTP authentication failed";
    case GWM_ERR_REPLAY: return "SRTP replay or too old";
    case GWM_ERR_CRYPTO: return "SRTP failure";
    case GWM_ERR_CODEC: return "codec error";
    case GWM_ERR_NOT_READY: return "not ready (no keys)";
    case GWM_ERR_UNKNOWN_PAYLOAD: return "payload type not negotiated";
    case GWM_ERR_FULL: return "queue full";
    case GWM_ERR_END: return "no more items";
    case GWM_ERR_TOO_LARGE: return "too large";
    case GWM_ERR_DIRECTION: return "media direction forbids it";
    default: return "unknown status";
    }
}

const char *gwm_version(void) { return GWM_VERSION_STRING; }

int gwm_abi_version(void) { return GWM_ABI_VERSION; }
