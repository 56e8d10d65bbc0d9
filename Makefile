# SPDX-License-Identifier: GPL-2.0
# memlockacct: `make` builds ./memlockacct; `make help` lists the targets.

# SANITIZE=1 builds the frontend and unit tests with ASan and UBSan, apart
# (in .output-san/, binary .output-san/memlockacct).
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
OUTPUT ?= .output-san
BIN := $(OUTPUT)/memlockacct
else
OUTPUT ?= .output
BIN := memlockacct
endif
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
CC ?= gcc
PKG_CONFIG ?= pkg-config
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
PREFIX ?= /usr/local
DESTDIR ?=
# SANITIZE=1 builds the frontend and unit tests with ASan and UBSan.
SANITIZE ?= 0

VMLINUX := vmlinux/$(ARCH)/vmlinux.h
BPF_SRCS := src/observe.bpf.c src/portable.bpf.c src/precise.bpf.c src/vfio_iter.bpf.c
BPF_HDRS := $(wildcard src/*.bpf.h) src/memlockacct.h src/syscall_nrs.h
BPF_OBJS := $(patsubst src/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKEL := $(OUTPUT)/memlockacct.skel.h

# The frontend: every src/*.c except the BPF programs and main.c, which the
# unit tests must not link.
LIB_SRCS := $(filter-out src/main.c %.bpf.c,$(wildcard src/*.c))
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(LIB_SRCS))
APP_OBJS := $(OUTPUT)/main.o $(LIB_OBJS)

DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf json-c 2>/dev/null)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs libbpf json-c 2>/dev/null) -lelf -lz
CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers \
	  -Werror=implicit-function-declaration -Werror=format-security \
	  -D_GNU_SOURCE -std=gnu11 -I$(OUTPUT) -Isrc $(DEP_CFLAGS)
LDFLAGS ?=
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	      -I$(dir $(VMLINUX)) -Isrc -Wall -Wno-unused-function

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean install uninstall check static deps \
	deps-test format lint help

all: $(BIN)

help:
	@echo 'make            build ./memlockacct'
	@echo 'make deps       install the Debian packages needed to build and run'
	@echo 'make deps-test  install those and the test dependencies'
	@echo 'make check      run every test (unit, BPF load, live, VM kernels)'
	@echo 'make unit|live|vm  one stage of the tests'
	@echo 'make static     a statically linked binary for test VMs'
	@echo 'make bench      the benchmarks (see BENCHMARKS.md)'
	@echo 'make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)'
	@echo 'make format|lint'

$(OUTPUT) $(OUTPUT)/static:
	$(Q)mkdir -p $@

# ---- BPF -------------------------------------------------------------------

$(OUTPUT)/%.bpf.o: src/%.bpf.c $(BPF_HDRS) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

# Both tiers are linked into one object, so they share maps and one skeleton.
$(OUTPUT)/memlockacct.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/memlockacct.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memlockacct > $@

# ---- frontend --------------------------------------------------------------

$(OUTPUT)/%.o: src/%.c $(wildcard src/*.h) $(SKEL) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(APP_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(DEP_LIBS) -o $@

# For the test VMs: no shared libraries in the guest.
STATIC_LIBS := -lbpf -ljson-c -lelf -lz
static: $(OUTPUT)/static/memlockacct
$(OUTPUT)/static/memlockacct: $(patsubst src/%.c,src/%.c,$(LIB_SRCS) src/main.c) $(SKEL) | $(OUTPUT)/static
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static -O2 -g -D_GNU_SOURCE -std=gnu11 -I$(OUTPUT) -Isrc \
		$(DEP_CFLAGS) $(LIB_SRCS) src/main.c $(STATIC_LIBS) -o $@

# ---- tests -----------------------------------------------------------------

include tests/tests.mk
include bench/bench.mk

# ---- install ---------------------------------------------------------------

install: $(BIN)
	install -D -m 0755 memlockacct $(DESTDIR)$(PREFIX)/sbin/memlockacct
	install -D -m 0644 man/memlockacct.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/memlockacct.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/memlockacct \
		$(DESTDIR)$(PREFIX)/share/man/man8/memlockacct.8

# ---- Debian packages -------------------------------------------------------

BUILD_DEPS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	      libjson-c-dev make gcc
# the VM stage's own list is tests/vm/DEPS
TEST_DEPS := libcmocka-dev python3 bpftrace prometheus valgrind \
	     libclang-rt-14-dev $(shell grep -v '^\#' tests/vm/DEPS)

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BUILD_DEPS)

deps-test: deps
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEST_DEPS)

# ---- style -----------------------------------------------------------------

# Only what changed since HEAD (see .clang-format); FORMAT_BASE=REV for more.
FORMAT_BASE ?= HEAD
format:
	git clang-format --force --style=file --extensions c,h $(FORMAT_BASE) -- src tests/unit tests/live tests/vm/scenarios bench

lint: $(SKEL)
	clang-tidy $(LIB_SRCS) src/main.c -- $(CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem \
		--include=/usr/include/bpf/libbpf.h -I src -I $(OUTPUT) \
		$(LIB_SRCS) src/main.c

clean:
	rm -rf .output .output-san memlockacct
