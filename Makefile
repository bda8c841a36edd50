# The C side of the build: the media core as a shared library for C hosts
# (no Swift runtime), the C host test, the libFuzzer targets and the benchmark.
# SwiftPM builds the same sources for the Swift side.

CC ?= cc
FUZZ_CC ?= clang
BUILD ?= build
PKGS := libcrypto opus speexdsp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))

ABI_MAJOR := 1
LIB_NAME := libgwmedia.so
SONAME := $(LIB_NAME).$(ABI_MAJOR)
LIB_REAL := $(SONAME).0.0

SRC := $(wildcard CShims/gwmedia/src/*.c)
HDR := $(wildcard include/gwm/*.h CShims/gwmedia/src/*.h)
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
LIB_CFLAGS := $(CFLAGS) $(WARN) -std=c11 -D_DEFAULT_SOURCE -fPIC -fvisibility=hidden -Iinclude $(PKG_CFLAGS)

.PHONY: lib host-test srtp-reference-test sanitized-test fuzz bench bench-dtls alloc-counter clean
lib: $(BUILD)/$(LIB_REAL)

$(BUILD)/$(LIB_REAL): $(SRC) $(HDR) CShims/gwmedia/exports.map
	@mkdir -p $(BUILD)
	$(CC) $(LIB_CFLAGS) -shared -Wl,-soname,$(SONAME) \
	    -Wl,--version-script=CShims/gwmedia/exports.map -Wl,--no-undefined \
	    -o $@ $(SRC) $(PKG_LIBS) -lpthread -lm
	ln -sf $(LIB_REAL) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/$(LIB_NAME)

# A plain C program that sees only include/ and the shared library.
host-test: lib
	$(CC) -std=c99 -Wall -Wextra -Werror -Iinclude -o $(BUILD)/host_test Tests/chost/host_test.c \
	    -L$(BUILD) -lgwmedia -lm -Wl,-rpath,'$$ORIGIN'
	$(BUILD)/host_test

# The media core's SRTP against libsrtp (the reference), under AddressSanitizer and UBSan.
srtp-reference-test:
	@mkdir -p $(BUILD)
	$(FUZZ_CC) $(SAN_FLAGS) -Iinclude $(PKG_CFLAGS) -o $(BUILD)/srtp_reference_test Tests/chost/srtp_reference_test.c \
	    $(SRC) $(PKG_LIBS) $$(pkg-config --cflags --libs libsrtp2) -lpthread -lm
	$(BUILD)/srtp_reference_test

# The same host and the TLS shim's fingerprint test, built from the sources
# with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS := -g -O1 -fuse-ld=lld -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter
TLS_SRC := $(wildcard CShims/tls/src/*.c)
sanitized-test:
	@mkdir -p $(BUILD)
	$(FUZZ_CC) $(SAN_FLAGS) -Iinclude $(PKG_CFLAGS) -o $(BUILD)/host_test_sanitized Tests/chost/host_test.c $(SRC) \
	    $(PKG_LIBS) -lpthread -lm
	$(FUZZ_CC) $(SAN_FLAGS) -ICShims/tls/include -o $(BUILD)/tls_test_sanitized Tests/chost/tls_fingerprint_test.c \
	    $(TLS_SRC) $$(pkg-config --libs openssl) -lpthread
	ASAN_OPTIONS=detect_leaks=1 $(BUILD)/host_test_sanitized
	ASAN_OPTIONS=detect_leaks=1 $(BUILD)/tls_test_sanitized

FUZZ_OPT ?= -O1
FUZZ_FLAGS := -g $(FUZZ_OPT) -fuse-ld=lld -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -std=c11 -D_DEFAULT_SOURCE -Iinclude $(PKG_CFLAGS)
FUZZ_TARGETS := fuzz_rtp fuzz_bridge fuzz_srtp fuzz_dns
fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))

# The DNS shim of the Swift side, with the C library's resolver.
$(BUILD)/fuzz/fuzz_dns: Tests/fuzz/fuzz_dns.c CShims/dns/src/dns.c CShims/dns/include/gwm_dns.h
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -ICShims/dns/include -o $@ $< CShims/dns/src/dns.c -lresolv

$(BUILD)/fuzz/%: Tests/fuzz/%.c $(SRC) $(HDR)
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(SRC) $(PKG_LIBS) -lpthread -lm

bench: $(BUILD)/media-bench
$(BUILD)/media-bench: Benchmarks/media_bench.c $(SRC) $(HDR)
	@mkdir -p $(BUILD)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -o $@ $< $(SRC) $(PKG_LIBS) \
	    $$(pkg-config --cflags --libs libsrtp2) -lpthread -lm

# Counts a running gateway's allocations (LD_PRELOAD; see the file).
alloc-counter: $(BUILD)/alloc-counter.so
$(BUILD)/alloc-counter.so: Benchmarks/alloc_counter.c
	@mkdir -p $(BUILD)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -shared -o $@ $<

# The OpenSSL shim of the Swift side, measured alone.
bench-dtls: $(BUILD)/dtls-bench
$(BUILD)/dtls-bench: Benchmarks/dtls_bench.c $(TLS_SRC) $(wildcard CShims/tls/src/*.h CShims/tls/include/*.h)
	@mkdir -p $(BUILD)
	$(CC) -O2 -g -std=c11 -D_DEFAULT_SOURCE -ICShims/tls/include -o $@ $< $(TLS_SRC) $$(pkg-config --libs openssl) -lpthread

clean:
	rm -rf $(BUILD)
