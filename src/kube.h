/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What Kubernetes says of a pod and KubeVirt of a VM, where the host shows
 * it without an API server: the kubelet names each pod's log directory
 * /var/log/pods/<namespace>_<name>_<uid>, and KubeVirt names each VMI's
 * libvirt domain <namespace>_<name>. Unit-tested with a made-up directory.
 */
#ifndef MLA_KUBE_H
#define MLA_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#define KUBE_POD_LOG_DIR "/var/log/pods"
#define KUBE_NS_LEN 64	  /* a DNS-1123 label: 63 characters */
#define KUBE_NAME_LEN 254 /* a DNS-1123 subdomain: 253 */

/*
 * The namespace and name of the pod with @uid, from the entries of @dir.
 * False (both "") when no entry is that pod's or the names are not DNS-1123.
 */
bool kube_pod_names(const char *dir, const char *uid, char *ns, char *name);

/*
 * The VMI a KubeVirt domain name stands for ("default_vm1": namespace
 * default, name vm1). False when @domain is not of that shape.
 */
bool kube_vmi(const char *domain, char *ns, char *name);

#endif
