/*
 * gwm/common.h — status codes, version, and conventions shared by the
 * gateway media core (prefix gwm_).
 *
 * Conventions for every gwm_ function:
 *  - Status: 0 (GWM_OK) is success, negative values are gwm_status errors.
 *  - Ownership: a function named *_create hands the caller an object that the
 *    caller releases with the matching *_destroy. Pointers passed in are
 *    borrowed for the duration of the call unless the function says otherwise.
 *  - Threads: the core starts no thread and takes no lock. Pure functions
 *    (parsers, builders, G.711) are safe from any thread. An object is used by
 *    one thread at a time; different objects may be used concurrently.
 *  - Time: the core never reads a clock. Functions that need time take
 *    `now_us`, a monotonic time in microseconds chosen by the caller.
 *  - I/O: the core opens no socket and no file.
 */
#ifndef GWM_COMMON_H
#define GWM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__clang__)
#define GWM_NONNULL _Nonnull
#define GWM_NULLABLE _Nullable
#else
#define GWM_NONNULL
#define GWM_NULLABLE
#endif

#if defined(_WIN32)
#define GWM_API
#else
#define GWM_API __attribute__((visibility("default")))
#endif

/** Bumped whenever a public struct layout or function signature changes. */
#define GWM_ABI_VERSION 1
#define GWM_VERSION_STRING "0.1.0"

typedef enum gwm_status {
    GWM_OK = 0,
    GWM_ERR_INVALID_ARGUMENT = -1,  /**< a NULL pointer, an out-of-range value */
    GWM_ERR_TRUNCATED = -2,         /**< input shorter than its headers say */
    GWM_ERR_MALFORMED = -3,         /**< inconsistent fields in the input */
    GWM_ERR_BUFFER_TOO_SMALL = -4,  /**< the output buffer cannot hold the result */
    GWM_ERR_NO_MEMORY = -5,
    GWM_ERR_UNSUPPORTED = -6,       /**< codec, profile or version not supported */
    GWM_ERR_AUTH = -7,              /**< SRTP/SRTCP authentication failed */
    GWM_ERR_REPLAY = -8,            /**< SRTP/SRTCP packet replayed or too old */
    GWM_ERR_CRYPTO = -9,            /**< any other SRTP failure */
    GWM_ERR_CODEC = -10,            /**< the codec rejected the data */
    GWM_ERR_NOT_READY = -11,        /**< e.g. SRTP keys not set yet */
    GWM_ERR_UNKNOWN_PAYLOAD = -12,  /**< payload type not negotiated on this leg */
    GWM_ERR_FULL = -13,             /**< a bounded queue is full; nothing was added */
    GWM_ERR_END = -14,              /**< an iterator has no more items */
    GWM_ERR_TOO_LARGE = -15,        /**< input larger than the configured bound */
    GWM_ERR_DIRECTION = -16         /**< media direction (hold) forbids this packet */
} gwm_status;

/**
 * A static, NUL-terminated English description of a status code.
 * Never NULL; unknown codes give "unknown status". Thread-safe.
 */
GWM_API const char *GWM_NONNULL gwm_strerror(int status);

/** The library's version, e.g. "0.1.0". Static storage. Thread-safe. */
GWM_API const char *GWM_NONNULL gwm_version(void);

/** GWM_ABI_VERSION as compiled into the library: compare with the header's. */
GWM_API int gwm_abi_version(void);

#ifdef __cplusplus
}
#endif
#endif
