/* SPDX-License-Identifier: GPL-2.0 */
/* Names for the enums of memlockacct.h, as printed and as written in JSON. */
#ifndef MLA_NAMES_H
#define MLA_NAMES_H

#include <stddef.h>
#include <stdint.h>

const char *counter_name(unsigned int counter);
const char *source_name(unsigned int source);
int source_by_name(const char *name);
const char *kfunc_name(unsigned int kfunc);
const char *syscall_name(unsigned int nr);
const char *errno_name(int err);

/*
 * The cause of a change in words: "mlock", "VFIO_IOMMU_MAP_DMA",
 * "close (other task)", "__account_locked_vm", ... Writes into @buf.
 */
const char *cause_str(unsigned int kind, unsigned int nr, uint64_t cmd,
		      char *buf, size_t len);

#endif
