# SPDX-License-Identifier: GPL-2.0
# Test programs and the test stages; included by the top-level Makefile.

TEST_OUT := $(OUTPUT)/tests
UNIT_TESTS := $(patsubst tests/unit/%.c,$(TEST_OUT)/%,$(wildcard tests/unit/test_*.c))
# Scenario programs run on the host (live) and in the test VMs (static).
SCENARIO_SRCS := $(wildcard tests/live/*.c tests/vm/scenarios/*.c)
SCENARIOS := $(patsubst %.c,$(TEST_OUT)/%,$(notdir $(SCENARIO_SRCS)))

$(TEST_OUT)/test_%: tests/unit/test_%.c $(LIB_OBJS) | $(TEST_OUT)
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) $(LDFLAGS) $(DEP_LIBS) -lcmocka -o $@

# Scenario programs are static so the same binary runs in a guest.
$(TEST_OUT)/%: tests/live/%.c | $(TEST_OUT)
	$(call msg,SCENARIO,$@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Wno-unused-parameter $< -o $@

$(TEST_OUT)/%: tests/vm/scenarios/%.c | $(TEST_OUT)
	$(call msg,SCENARIO,$@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Wno-unused-parameter $< -o $@ -lpthread

$(TEST_OUT):
	$(Q)mkdir -p $@

test-programs: memlockacct $(UNIT_TESTS) $(SCENARIOS)

# `make check` runs every stage; `make unit`, `make live`, `make vm` one.
check: test-programs static
	tests/run-all.sh

unit verify live cli vm: test-programs static
	tests/run-all.sh $@

.PHONY: test-programs verify cli
