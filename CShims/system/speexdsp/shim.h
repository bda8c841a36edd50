/* System library, found through pkg-config (see Package.swift for the Debian package). */
#include <speex/speex_resampler.h>
