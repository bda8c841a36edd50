/* System library, found through pkg-config (see Package.swift for the Debian package). */
#include <srtp2/srtp.h>
