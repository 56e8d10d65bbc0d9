// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* Length of the valid UTF-8 sequence at @s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t n;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode, and C1 controls */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

char *escape_bytes(const char *in, size_t len, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (!outlen)
		return out;
	for (size_t i = 0; i < len && s[i];) {
		size_t n = utf8_len(s + i, len - i);
		char esc[5];
		const char *piece;
		size_t plen;

		if (n == 1 && s[i] >= 0x20 && s[i] != 0x7f && s[i] != '\\') {
			piece = (const char *)s + i;
			plen = 1;
		} else if (n > 1) {
			piece = (const char *)s + i;
			plen = n;
		} else {
			if (s[i] == '\\')
				memcpy(esc, "\\\\", 3);
			else
				snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
			piece = esc;
			plen = strlen(esc);
			n = 1;
		}
		if (o + plen >= outlen)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	out[o] = '\0';
	return out;
}

char *escape_text(const char *in, char *out, size_t outlen)
{
	return escape_bytes(in, in ? strlen(in) : 0, out, outlen);
}

char *escape_prom_label(const char *in, char *out, size_t outlen)
{
	char tmp[512];
	size_t o = 0;

	escape_text(in, tmp, sizeof(tmp));
	for (size_t i = 0; tmp[i] && o + 2 < outlen; i++) {
		if (tmp[i] == '"' || tmp[i] == '\\')
			out[o++] = '\\';
		out[o++] = tmp[i];
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return out;
}
