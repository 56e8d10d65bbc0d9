# SPDX-License-Identifier: GPL-2.0
# The benchmarks (bench/README in BENCHMARKS.md); included by the Makefile.

BENCH_OUT := $(OUTPUT)/bench

$(BENCH_OUT):
	$(Q)mkdir -p $@

$(BENCH_OUT)/floor.bpf.o: bench/floor.bpf.c src/syscall_nrs.h $(VMLINUX) | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_OUT)/floor.skel.h: $(BENCH_OUT)/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor > $@

$(BENCH_OUT)/floor: bench/floor.c $(BENCH_OUT)/floor.skel.h
	$(call msg,BENCH,$@)
	$(Q)$(CC) -O2 -I$(BENCH_OUT) $< $(DEP_LIBS) -o $@

$(BENCH_OUT)/hookcost: bench/hookcost.c bench/ops.h $(BENCH_OUT)/floor.skel.h
	$(call msg,BENCH,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -I$(BENCH_OUT) $< $(DEP_LIBS) -o $@

$(BENCH_OUT)/workload: bench/workload.c bench/ops.h | $(BENCH_OUT)
	$(call msg,BENCH,$@)
	$(Q)$(CC) -O2 -Wall $< -o $@ -lpthread

# static: it runs in the test VM too (bench/vm-vfio.sh)
$(BENCH_OUT)/progstats: bench/progstats.c | $(BENCH_OUT)
	$(call msg,BENCH,$@)
	$(Q)$(CC) -static -O2 -Wall $< -o $@

# static copies of the floor and the workloads for the test VM's hook
# benchmark (bench/vm-hooks.sh): its guest has no libraries
$(BENCH_OUT)/static:
	$(Q)mkdir -p $@

$(BENCH_OUT)/static/floor: bench/floor.c $(BENCH_OUT)/floor.skel.h | $(BENCH_OUT)/static
	$(call msg,BENCH,$@)
	$(Q)$(CC) -static -O2 -I$(BENCH_OUT) $< $(STATIC_LIBS) -o $@

$(BENCH_OUT)/static/workload: bench/workload.c bench/ops.h | $(BENCH_OUT)/static
	$(call msg,BENCH,$@)
	$(Q)$(CC) -static -O2 -Wall $< -o $@ -lpthread

bench-programs: $(BIN) $(BENCH_OUT)/floor $(BENCH_OUT)/workload \
		$(BENCH_OUT)/hookcost $(BENCH_OUT)/static/floor \
		$(BENCH_OUT)/static/workload \
		$(BENCH_OUT)/progstats test-programs

bench: bench-programs static
	bench/run.sh
	$(BENCH_OUT)/hookcost 30 bench/results-hookcost.json
	bench/progcost.sh
	bench/vm-vfio.sh
	bench/vm-hooks.sh 6.12
	bench/vm-hooks.sh newest
	bench/exporter.py

.PHONY: bench bench-programs
