# SPDX-License-Identifier: GPL-2.0
# Test programs and the test stages; included by the top-level Makefile.

TEST_OUT := $(OUTPUT)/tests
UNIT_TESTS := $(patsubst tests/unit/%.c,$(TEST_OUT)/%,$(wildcard tests/unit/test_*.c))
# Scenario programs run on the host (live) and in the test VMs (static).
SCENARIO_SRCS := $(wildcard tests/live/*.c tests/vm/scenarios/*.c)
SCENARIOS := $(patsubst %.c,$(TEST_OUT)/%,$(notdir $(SCENARIO_SRCS)))

$(TEST_OUT)/test_%: tests/unit/test_%.c $(LIB_OBJS) | $(TEST_OUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(MLA_CFLAGS) -MMD -MP $< $(LIB_OBJS) $(MLA_LDFLAGS) $(DEP_LIBS) -lcmocka -o $@

# Scenario programs are static so the same binary runs in a guest.
$(TEST_OUT)/%: tests/live/%.c | $(TEST_OUT)
	$(call msg,SCENARIO,$@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Wno-unused-parameter -MMD -MP $< -o $@

# ...but for verbs: rdma-core's libibverbs loads its providers with dlopen
# (the guest gets the libraries, tests/vm/mkinitramfs.sh).
$(TEST_OUT)/verbs: tests/vm/scenarios/verbs.c | $(TEST_OUT)
	$(call msg,SCENARIO,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -Wno-unused-parameter -MMD -MP $< -o $@ -libverbs

$(TEST_OUT)/%: tests/vm/scenarios/%.c | $(TEST_OUT)
	$(call msg,SCENARIO,$@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Wno-unused-parameter -MMD -MP $< -o $@ -lpthread

$(TEST_OUT):
	$(Q)mkdir -p $@

-include $(wildcard $(TEST_OUT)/*.d)

test-programs: $(BIN) $(UNIT_TESTS) $(SCENARIOS)

# `make check` runs every stage; `make unit`, `make live`, `make vm` one.
check: test-programs static
	tests/run-all.sh

unit verify live cli exporter vm fuzz-short sanitize valgrind fresh-root: test-programs static
	tests/run-all.sh $@

.PHONY: unit verify live cli exporter vm fuzz-short sanitize valgrind fresh-root

.PHONY: test-programs verify cli

# ---- fuzzing ---------------------------------------------------------------
# libFuzzer targets for every parser of outside input (tests/fuzz/). The
# corpus dirs keep seeds and every input that once crashed, as regressions.

FUZZ_OUT := .output/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_LIBSRC := src/procfs.c src/ksyms.c src/escape.c src/rangeset.c src/record.c \
	       src/model.c src/model_ranges.c src/figures.c src/out_text.c src/out_groups.c src/out_json.c \
	       src/names.c src/explain.c src/vm.c src/kube.c src/cgroup_attr.c \
	       src/users.c
FUZZ_SECONDS ?= 300

$(FUZZ_OUT)/%: tests/fuzz/%.c $(FUZZ_LIBSRC) $(wildcard src/*.h) | $(SKEL)
	$(Q)mkdir -p $(FUZZ_OUT)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -D_GNU_SOURCE -Isrc \
		-I$(OUTPUT) $(DEP_CFLAGS) $< $(FUZZ_LIBSRC) -ljson-c -o $@

fuzz-programs: $(FUZZ_TARGETS)

# The long run: FUZZ_SECONDS per target (check runs a short one).
fuzz: fuzz-programs
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

.PHONY: fuzz fuzz-programs
