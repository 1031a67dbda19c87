/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel modules: loaded state, modprobe.d facts, modalias lookups, loading. */
#ifndef VFIOHELP_KMODS_H
#define VFIOHELP_KMODS_H

#include "internal.h"

struct kmod_ctx;

enum vh_module_state {
	VH_MOD_ERROR = -1,
	VH_MOD_MISSING,   /* this kernel has no such module */
	VH_MOD_AVAILABLE, /* a .ko file exists, not loaded */
	VH_MOD_LOADED,
	VH_MOD_BUILTIN,
};

struct vh_etc_module {
	int line;
	char name[64];
};

/* The modules passthrough needs, in load order; checks and the hook read
 * this one list. */
#define VH_VFIO_MODULE_COUNT 3
extern const char *const vh_vfio_modules[VH_VFIO_MODULE_COUNT];

struct kmod_ctx *vh_kmod(struct vh_host *h, struct vh_err *err);
/* The root has the kernel's module index (modules.dep.bin). */
bool vh_kmod_indexed(struct vh_host *h);
enum vh_module_state vh_module_state(struct vh_host *h, const char *name, struct vh_err *err);
/* The host drivers whose aliases match a device's modalias (vfio_pci left out). */
int vh_modalias_drivers(struct vh_host *h, const char *modalias, char names[][64], size_t max,
			size_t *count, struct vh_err *err);
bool vh_module_blacklisted(struct vh_host *h, const char *name);
/* The vfio-pci ids= the kernel gets when modprobe loads it: modprobe joins
 * every "options vfio-pci" line of every modprobe.d file (libkmod's order)
 * and the kernel keeps the last ids=. 1 with out filled, 0 when there is
 * none, -1 without libkmod or when it does not fit. */
int vh_vfio_ids_effective(struct vh_host *h, char *out, size_t size);
/* An ids= value ("10de:2803,10de:22bd"; ffffffff is any) names vendor:device. */
bool vh_vfio_ids_has(const char *ids, size_t len, uint16_t vendor, uint16_t device);
/* The effective ids= claims vendor:device: one of the VM's devices is bound
 * to vfio-pci at boot. A second ids= line elsewhere does not count. */
bool vh_vfio_ids_claim(struct vh_host *h, uint16_t vendor, uint16_t device);
/* Where the effective ids= value stands: the modprobe.d file (host path)
 * that libkmod reads last among those with an ids= line, when its value is
 * the effective one, and the byte range of the value in that file. 1 when
 * found, 0 when not (it comes from elsewhere, e.g. a continued line). */
struct vh_ids_site {
	char path[160];
	size_t off, len;
};
int vh_vfio_ids_site(struct vh_host *h, const char *value, struct vh_ids_site *out);
/* The value of PARAM in an "options MODULE PARAM=VALUE" line of modprobe.d. */
bool vh_module_option(struct vh_host *h, const char *module, const char *param, char *value,
		      size_t size);
/* The kernel has the module (file, builtin or alias). */
bool vh_module_exists(struct vh_host *h, const char *name);
/* Module names listed in <root>/etc/modules with their line numbers. */
int vh_etc_modules(struct vh_host *h, struct vh_etc_module *out, size_t max, size_t *count,
		   struct vh_err *err);
/* Loads a module and its dependencies into the running kernel (live host only). */
int vh_module_load(struct vh_host *h, const char *name, struct vh_err *err);
/* The text-level parser of /proc/modules ("name size refcount deps state
 * offset" lines): text[0..len) lists module name ('-' and '_' alike). */
bool vh_proc_modules_has(const char *text, size_t len, const char *name);
/* Forget the cached /proc/modules after loading. */
void vh_kmods_forget_loaded(struct vh_host *h);

#endif
