# SPDX-License-Identifier: GPL-2.0
# memlockacct: `make` builds ./memlockacct; `make help` lists the targets.

.DEFAULT_GOAL := all

# ---- Debian packages -------------------------------------------------------

BUILD_DEPS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	      libjson-c-dev libmicrohttpd-dev libyaml-dev libcrypt-dev make gcc \
	      libc6-dev
# the VM stage's own list is tests/vm/DEPS, the fresh-root stage's
# tests/fresh-root/DEPS, the package build's debian/control
TEST_DEPS := libcmocka-dev python3 python3-yaml bpftrace prometheus valgrind \
	     openssl apache2-utils \
	     libclang-rt-dev $(shell grep -hv '^\#' tests/vm/DEPS tests/fresh-root/DEPS)
DEB_DEPS := build-essential debhelper dpkg-dev lintian fakeroot

DEPS_GOALS := $(filter deps deps-test,$(MAKECMDGOALS))

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BUILD_DEPS)

deps-test: deps
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEST_DEPS) $(DEB_DEPS)

.PHONY: deps deps-test

ifneq ($(DEPS_GOALS),)
# `make deps all`: make reads this whole file, and expands what the rules
# below need (pkg-config's flags, the include files), before any recipe
# runs, i.e. before deps has installed anything. So a make given a deps goal
# only installs; the other goals are made by a new make started after it.
AFTER_DEPS := $(filter-out $(DEPS_GOALS),$(MAKECMDGOALS))
after-deps: $(DEPS_GOALS)
	+$(if $(AFTER_DEPS),$(MAKE) $(AFTER_DEPS))
$(AFTER_DEPS): after-deps ; @:
.PHONY: after-deps $(AFTER_DEPS)
else

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
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=

VMLINUX := vmlinux/$(ARCH)/vmlinux.h
NOBUILD_GOALS := help clean format uninstall
ifneq ($(filter-out $(NOBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(wildcard $(VMLINUX)),)
$(error ARCH=$(ARCH) is not supported: there is no $(VMLINUX) (supported: $(patsubst vmlinux/%/vmlinux.h,%,$(wildcard vmlinux/*/vmlinux.h))))
endif
endif

# Linked into one object in this order, which is the skeleton's program
# order (features --verify lists them so). A new file must be named here.
BPF_SRCS := $(addprefix src/,observe.bpf.c \
	portable_mm.bpf.c portable_mlock.bpf.c portable_pin.bpf.c \
	portable_limit.bpf.c portable_iter.bpf.c precise_account.bpf.c precise_vfio.bpf.c \
	precise_user.bpf.c precise_rdma.bpf.c vfio_iter.bpf.c)
ifneq ($(filter-out $(BPF_SRCS),$(wildcard src/*.bpf.c)),)
$(error $(filter-out $(BPF_SRCS),$(wildcard src/*.bpf.c)): not in BPF_SRCS)
endif
BPF_OBJS := $(patsubst src/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKEL := $(OUTPUT)/memlockacct.skel.h

# The frontend: every src/*.c except the BPF programs and main.c, which the
# unit tests must not link.
LIB_SRCS := $(filter-out src/main.c src/exporter_none.c %.bpf.c,$(wildcard src/*.c))
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(LIB_SRCS))
APP_OBJS := $(OUTPUT)/main.o $(LIB_OBJS)
# Only the files that include the skeleton wait for it (grep: a file of
# this tree, no package needed).
SKEL_USERS := $(patsubst src/%.c,%.o,$(shell grep -l 'memlockacct\.skel\.h' src/*.c))

# Recursively expanded: pkg-config runs when a recipe needs the flags, once
# the packages are there (see deps above), not when this file is read.
DEP_CFLAGS = $(shell $(PKG_CONFIG) --cflags libbpf json-c libmicrohttpd yaml-0.1 libcrypt)
DEP_LIBS = $(shell $(PKG_CONFIG) --libs libbpf json-c libmicrohttpd yaml-0.1 libcrypt) -lelf -lz -pthread

# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (dpkg-buildflags, say);
# what the code needs is added whatever they are.
CFLAGS ?= -g -O2
LDFLAGS ?=
MLA_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wmissing-field-initializers \
	     -Werror=implicit-function-declaration -Werror=format-security \
	     -D_GNU_SOURCE -std=gnu11 -I$(OUTPUT) -Isrc $(DEP_CFLAGS) \
	     $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS)
MLA_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
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
.PHONY: all clean install uninstall check static format lint help deb

all: $(BIN)

help:
	@echo 'make            build ./memlockacct'
	@echo 'make deps       install the Debian packages needed to build and run'
	@echo 'make deps-test  install those and the test dependencies'
	@echo 'make check      run every test (unit, BPF load, live, VM kernels, a fresh root)'
	@echo 'make unit|live|vm|fresh-root  one stage of the tests'
	@echo 'make static     a statically linked binary for test VMs'
	@echo 'make bench      the benchmarks (see BENCHMARKS.md)'
	@echo 'make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)'
	@echo 'make deb        the Debian package, in ../'
	@echo 'make format|lint'

$(OUTPUT) $(OUTPUT)/static:
	$(Q)mkdir -p $@

# A missing tool or library is named, with what installs it, before the
# first compile fails on it.
BUILD_TOOLS := $(CLANG):clang $(LLVM_STRIP):llvm $(BPFTOOL):bpftool \
	       $(PKG_CONFIG):pkg-config $(CC):gcc
$(OUTPUT)/build-deps.ok: | $(OUTPUT)
	$(Q)for t in $(BUILD_TOOLS); do \
		command -v $${t%%:*} >/dev/null || { echo "memlockacct: '$${t%%:*}' not found: run 'make deps' (as root), or install the Debian package $${t##*:}" >&2; exit 1; }; \
	done; \
	$(PKG_CONFIG) --exists libbpf json-c libmicrohttpd yaml-0.1 libcrypt || { echo "memlockacct: libbpf, json-c, libmicrohttpd, yaml-0.1 or libcrypt not found by pkg-config: run 'make deps' (as root), or install libbpf-dev libjson-c-dev libmicrohttpd-dev libyaml-dev libcrypt-dev libelf-dev zlib1g-dev" >&2; exit 1; }; \
	touch $@

# ---- BPF -------------------------------------------------------------------

$(OUTPUT)/%.bpf.o: src/%.bpf.c $(OUTPUT)/%.bpf.d | $(OUTPUT)/build-deps.ok
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

# Both tiers are linked into one object, so they share maps and one skeleton.
$(OUTPUT)/memlockacct.bpf.o: $(BPF_OBJS)
	$(call msg,LINK-BPF,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/memlockacct.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memlockacct > $@

# ---- frontend --------------------------------------------------------------

# Headers are found by the compiler (-MMD: OUTPUT/*.d, included below); an
# object without its .d file is made again, so that it gets one.
$(OUTPUT)/%.o: src/%.c $(OUTPUT)/%.d | $(OUTPUT)/build-deps.ok
	$(call msg,CC,$@)
	$(Q)$(CC) $(MLA_CFLAGS) -MMD -MP -c $< -o $@

$(addprefix $(OUTPUT)/,$(SKEL_USERS)): $(SKEL)

$(BIN): $(APP_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(MLA_LDFLAGS) $^ $(DEP_LIBS) -o $@

# For the test VMs: no shared libraries in the guest. pkg-config knows what
# the static libraries need in turn (trixie's libelf.a needs libzstd).
# Debian's libmicrohttpd needs GnuTLS and p11-kit, which have no static
# library: this binary has exporter_none.c in place of the HTTP exporter
# (and of its web configuration, webconfig.c).
STATIC_LIBS = $(shell $(PKG_CONFIG) --static --libs libbpf json-c)
STATIC_OBJS := $(patsubst src/%.c,$(OUTPUT)/static/%.o,\
	$(filter-out src/exporter.c src/webconfig.c,$(LIB_SRCS)) src/exporter_none.c \
	src/main.c)
static: $(OUTPUT)/static/memlockacct
$(OUTPUT)/static/%.o: src/%.c $(OUTPUT)/static/%.d | $(OUTPUT)/static $(OUTPUT)/build-deps.ok
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -D_GNU_SOURCE -std=gnu11 -I$(OUTPUT) -Isrc \
		$(DEP_CFLAGS) -MMD -MP -c $< -o $@
$(addprefix $(OUTPUT)/static/,$(SKEL_USERS)): $(SKEL)
$(OUTPUT)/static/memlockacct: $(STATIC_OBJS)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ $(STATIC_LIBS) -o $@

$(OUTPUT)/%.d $(OUTPUT)/static/%.d: ;
.PRECIOUS: $(OUTPUT)/%.d $(OUTPUT)/static/%.d
-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/static/*.d)

# ---- tests -----------------------------------------------------------------

include tests/tests.mk
include bench/bench.mk

# ---- install ---------------------------------------------------------------

# The units run the installed binary: its path is filled in here.
UNITS := memlockacct.service memlockacct-exporter.service
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/memlockacct
	install -D -m 0644 man/memlockacct.8 $(DESTDIR)$(MANDIR)/man8/memlockacct.8
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(UNITS); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/systemd/$$u.in \
			> $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/memlockacct \
		$(DESTDIR)$(MANDIR)/man8/memlockacct.8 \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))

# The Debian package (debian/), in the parent directory, as
# dpkg-buildpackage puts it; then lintian on it.
deb:
	dpkg-buildpackage -us -uc -b
	lintian --fail-on error ../memlockacct_$$(dpkg-parsechangelog -S Version)_$$(dpkg --print-architecture).changes

# ---- style -----------------------------------------------------------------

# Only what changed since HEAD (see .clang-format); FORMAT_BASE=REV for more.
FORMAT_BASE ?= HEAD
format:
	git clang-format --force --style=file --extensions c,h $(FORMAT_BASE) -- src tests/unit tests/live tests/vm/scenarios bench

lint: $(SKEL)
	clang-tidy $(LIB_SRCS) src/main.c -- $(MLA_CFLAGS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--suppress=missingIncludeSystem \
		--include=/usr/include/bpf/libbpf.h -I src -I $(OUTPUT) \
		$(LIB_SRCS) src/main.c

clean:
	rm -rf .output .output-san memlockacct

endif
