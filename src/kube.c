// SPDX-License-Identifier: GPL-2.0
/*
 * Pod and VMI names from what the kubelet and KubeVirt leave on the host
 * (kube.h). Names are checked to be DNS-1123, so "_" cannot occur in
 * them and splits are unambiguous.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "kube.h"

/* [a-z0-9] at both ends, [a-z0-9.-] between (a subdomain; a label has no '.') */
static bool dns1123(const char *s, size_t len, size_t max, bool dots)
{
	if (!len || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && !(c == '-' || (dots && c == '.')))
			return false;
		if (!alnum && (i == 0 || i == len - 1))
			return false;
	}
	return true;
}

/* "<ns>_<name>" at @s, @len bytes, into @ns and @name. */
static bool split_ns_name(const char *s, size_t len, char *ns, char *name)
{
	const char *us = memchr(s, '_', len);
	size_t nlen;

	if (!us)
		return false;
	nlen = len - (size_t)(us - s) - 1;
	if (!dns1123(s, (size_t)(us - s), KUBE_NS_LEN - 1, false) ||
	    !dns1123(us + 1, nlen, KUBE_NAME_LEN - 1, true))
		return false;
	snprintf(ns, KUBE_NS_LEN, "%.*s", (int)(us - s), s);
	snprintf(name, KUBE_NAME_LEN, "%.*s", (int)nlen, us + 1);
	return true;
}

bool kube_pod_names(const char *dir, const char *uid, char *ns, char *name)
{
	size_t ulen = strlen(uid);
	struct dirent *de;
	bool found = false;
	DIR *d;

	ns[0] = name[0] = '\0';
	if (!ulen || !(d = opendir(dir)))
		return false;
	while (!found && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len <= ulen + 1 || de->d_name[len - ulen - 1] != '_' ||
		    strcmp(de->d_name + len - ulen, uid))
			continue;
		found = split_ns_name(de->d_name, len - ulen - 1, ns, name);
	}
	closedir(d);
	if (!found)
		ns[0] = name[0] = '\0';
	return found;
}

bool kube_vmi(const char *domain, char *ns, char *name)
{
	ns[0] = name[0] = '\0';
	if (!split_ns_name(domain, strlen(domain), ns, name)) {
		ns[0] = name[0] = '\0';
		return false;
	}
	return true;
}
