/* System library, found through pkg-config (see Package.swift for the Debian package). */
#include <openssl/ssl.h>
