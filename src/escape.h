/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process names and command lines are chosen by whoever runs the process.
 * Before printing one, escape what could steer a terminal or break a format.
 */
#ifndef MLA_ESCAPE_H
#define MLA_ESCAPE_H

#include <stddef.h>

/*
 * Copy @in to @out (always NUL-terminated), keeping printable ASCII and
 * valid UTF-8 letters, and writing every control character (C0, DEL, C1),
 * invalid UTF-8 byte and backslash as \xNN (backslash as \\).
 */
char *escape_text(const char *in, char *out, size_t outlen);

/* The same for a buffer of @len bytes that need not be NUL-terminated. */
char *escape_bytes(const char *in, size_t len, char *out, size_t outlen);

/* A Prometheus label value: escape_text, then \" and \\ as the format wants. */
char *escape_prom_label(const char *in, char *out, size_t outlen);

#endif
