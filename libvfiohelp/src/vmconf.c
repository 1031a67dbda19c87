/*
 * Proxmox VM config: /etc/pve/qemu-server/<vmid>.conf.
 *
 * Grammar (qemu-server's parse_vm_config): "key: value" lines; "#" lines are
 * the description; a "[name]" line opens a snapshot, [PENDING] or
 * [special:...] section, and only the lines before the first section
 * describe the VM that will start. Lines that match no key are ignored, as
 * Proxmox ignores them; a key this library uses must carry a value of its
 * grammar, otherwise the whole config is refused with the line number.
 */
#include "internal.h"
#include "host.h"
#include "propstr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VMCONF_MAX_BYTES (1u << 20) /* pmxcfs's own file size limit */

int vh_vmid_parse(const char *s, unsigned *out)
{
	uint64_t v;
	/* pve-vmid: [1-9][0-9]{2,8} */
	size_t len = strlen(s);
	if (len < 3 || len > 9 || s[0] == '0' || vh_parse_uint(s, len, 999999999, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Matches digits(.digits)+ at *p, advancing it. */
static bool match_version(const char **p)
{
	const char *s = *p;
	int parts = 0;
	for (;;) {
		size_t n = strspn(s, "0123456789");
		if (n == 0)
			return false;
		s += n;
		parts++;
		if (*s != '.' || !(s[1] >= '0' && s[1] <= '9'))
			break;
		s++;
	}
	*p = s;
	return parts >= 2;
}

/* qemu-server's machine type grammar:
 * pc | pc(-i440fx)?-V(+pveN)?(.pxe)? | q35 | pc-q35-V(+pveN)?(.pxe)? | virt... */
static bool is_machine_type(const char *s)
{
	if (!strcmp(s, "pc") || !strcmp(s, "q35"))
		return true;
	const char *p;
	if (!strncmp(s, "pc-q35-", 7))
		p = s + 7;
	else if (!strncmp(s, "pc-i440fx-", 10))
		p = s + 10;
	else if (!strncmp(s, "pc-", 3))
		p = s + 3;
	else
		return false;
	if (!match_version(&p))
		return false;
	if (!strncmp(p, "+pve", 4)) {
		p += 4;
		size_t n = strspn(p, "0123456789");
		if (n == 0)
			return false;
		p += n;
	}
	if (!strcmp(p, ".pxe"))
		p += 4;
	return *p == '\0';
}

static int parse_machine(const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	char type[128] = "";
	if (vh_prop_copy(&(struct vh_prop){ "machine", 7, value, strlen(value) }, vm->machine_raw,
			 sizeof(vm->machine_raw), err) < 0 ||
	    vh_propstr_split(value, "type", props, VH_MAX_PROPS, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (vh_prop_is(&props[i], "type")) {
			if (vh_prop_copy(&props[i], type, sizeof(type), err) < 0)
				return -1;
		} else if (!vh_prop_is(&props[i], "viommu") && !vh_prop_is(&props[i], "enable-s3") &&
			   !vh_prop_is(&props[i], "enable-s4")) {
			return vh_fail(err, "unknown machine option '%.*s'", (int)props[i].key_len,
				       props[i].key);
		}
	}
	if (type[0] && !is_machine_type(type))
		return vh_fail(err, "'%s' is not a QEMU machine type (q35, pc, pc-q35-8.1, ...)", type);
	/* Proxmox decides q35 by the substring. */
	vm->machine = strstr(type, "q35") ? VH_MACHINE_Q35 : VH_MACHINE_I440FX;
	return 0;
}

static int parse_memory(const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	uint64_t mib = 0;
	bool have = false;
	if (vh_propstr_split(value, "current", props, VH_MAX_PROPS, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!vh_prop_is(&props[i], "current"))
			return vh_fail(err, "unknown memory option '%.*s'", (int)props[i].key_len,
				       props[i].key);
		if (vh_parse_uint(props[i].val, props[i].val_len, 4178944, &mib) < 0 || mib < 16)
			return vh_fail(err, "memory '%s' is not a size in MiB (16..4178944)", value);
		have = true;
	}
	if (have)
		vm->memory_mib = mib;
	return 0;
}

static int parse_uint_key(const char *key, const char *value, uint64_t max, uint64_t *out,
			  struct vh_err *err)
{
	if (vh_parse_uint(value, strlen(value), max, out) < 0)
		return vh_fail(err, "%s '%s' is not a whole number up to %llu", key, value,
			       (unsigned long long)max);
	return 0;
}

/* The host= value: addresses joined by ';'. */
static int parse_host_addrs(const struct vh_prop *p, struct vh_hostpci *pci, struct vh_err *err)
{
	const char *s = p->val, *end = p->val + p->val_len;
	while (s <= end) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *stop = semi ? semi : end;
		if (pci->n_addrs == VH_MAX_HOSTPCI_ADDRS)
			return vh_fail(err, "more than %d addresses", VH_MAX_HOSTPCI_ADDRS);
		if (vh_pci_addr_parse(s, (size_t)(stop - s), &pci->addrs[pci->n_addrs]) < 0)
			return vh_fail(err, "'%.*s' is not a PCI address ([domain:]bus:dev[.func])",
				       (int)(stop - s), s);
		pci->n_addrs++;
		if (!semi)
			break;
		s = semi + 1;
	}
	return 0;
}

static int check_hex_id(const struct vh_prop *p, struct vh_err *err)
{
	uint64_t v;
	if (p->val_len < 3 || p->val[0] != '0' || (p->val[1] | 0x20) != 'x' ||
	    vh_parse_hex(p->val + 2, p->val_len - 2, 0xffff, &v) < 0)
		return vh_fail(err, "%.*s=%.*s is not a 0xXXXX id", (int)p->key_len, p->key,
			       (int)p->val_len, p->val);
	return 0;
}

static int parse_hostpci_option(const struct vh_prop *p, struct vh_hostpci *pci, struct vh_err *err)
{
	if (vh_prop_is(p, "host"))
		return parse_host_addrs(p, pci, err);
	if (vh_prop_is(p, "mapping")) {
		if (!vh_is_config_id(p->val, p->val_len))
			return vh_fail(err, "mapping '%.*s' is not a mapping id", (int)p->val_len, p->val);
		pci->has_mapping = true;
		return vh_prop_copy(p, pci->mapping, sizeof(pci->mapping), err);
	}
	if (vh_prop_is(p, "pcie"))
		return vh_prop_bool(p, &pci->pcie, err);
	if (vh_prop_is(p, "rombar"))
		return vh_prop_bool(p, &pci->rombar, err);
	if (vh_prop_is(p, "x-vga"))
		return vh_prop_bool(p, &pci->x_vga, err);
	if (vh_prop_is(p, "legacy-igd"))
		return vh_prop_bool(p, &pci->legacy_igd, err);
	if (vh_prop_is(p, "romfile")) {
		if (vh_prop_copy(p, pci->romfile, sizeof(pci->romfile), err) < 0)
			return -1;
		/* A path under /usr/share/kvm/ ("nvidia/gp104.rom" too). */
		if (!vh_is_safe_relpath(pci->romfile))
			return vh_fail(err, "romfile '%s' is not a file name", pci->romfile);
		return 0;
	}
	if (vh_prop_is(p, "mdev")) {
		if (vh_prop_copy(p, pci->mdev, sizeof(pci->mdev), err) < 0)
			return -1;
		if (!vh_is_safe_component(pci->mdev))
			return vh_fail(err, "mdev '%s' is not an mdev type name", pci->mdev);
		return 0;
	}
	if (vh_prop_is(p, "driver")) {
		if (p->val_len == 4 && !memcmp(p->val, "keep", 4))
			pci->driver_keep = true;
		else if (!(p->val_len == 4 && !memcmp(p->val, "vfio", 4)))
			return vh_fail(err, "driver=%.*s: only vfio or keep", (int)p->val_len, p->val);
		return 0;
	}
	if (vh_prop_is(p, "vendor-id") || vh_prop_is(p, "device-id") ||
	    vh_prop_is(p, "sub-vendor-id") || vh_prop_is(p, "sub-device-id"))
		return check_hex_id(p, err);
	return vh_fail(err, "unknown option '%.*s'", (int)p->key_len, p->key);
}

static int parse_hostpci(int index, const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	struct vh_hostpci pci = { .index = index, .rombar = true };
	if (vh_strlcpy(pci.raw, value, sizeof(pci.raw)) >= sizeof(pci.raw))
		return vh_fail(err, "longer than %zu characters", sizeof(pci.raw) - 1);
	if (vh_propstr_split(value, "host", props, VH_MAX_PROPS, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (parse_hostpci_option(&props[i], &pci, err) < 0)
			return -1;
	if (pci.has_mapping == (pci.n_addrs > 0))
		return vh_fail(err, "needs exactly one of host=<address> or mapping=<id>");
	/* A later line with the same key replaces the earlier one, as in Proxmox. */
	for (size_t i = 0; i < vm->n_hostpci; i++)
		if (vm->hostpci[i].index == index) {
			vm->hostpci[i] = pci;
			return 0;
		}
	vm->hostpci[vm->n_hostpci++] = pci;
	return 0;
}

static int copy_value(const char *key, const char *value, char *buf, size_t size, struct vh_err *err)
{
	if (vh_strlcpy(buf, value, size) >= size)
		return vh_fail(err, "%s is longer than %zu characters", key, size - 1);
	return 0;
}

/* One "key: value" line of the VM's current section. */
static int parse_line(const char *key, const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	uint64_t v;
	if (!strcmp(key, "machine"))
		return parse_machine(value, vm, err);
	if (!strcmp(key, "bios")) {
		if (!strcmp(value, "ovmf"))
			vm->bios = VH_BIOS_OVMF;
		else if (!strcmp(value, "seabios"))
			vm->bios = VH_BIOS_SEABIOS;
		else
			return vh_fail(err, "bios '%s' is neither seabios nor ovmf", value);
		return 0;
	}
	if (!strcmp(key, "efidisk0")) {
		vm->has_efidisk = true;
		return 0;
	}
	if (!strcmp(key, "memory"))
		return parse_memory(value, vm, err);
	if (!strcmp(key, "balloon")) {
		if (parse_uint_key(key, value, 4178944, &v, err) < 0)
			return -1;
		vm->balloon_mib = (int64_t)v;
		return 0;
	}
	if (!strncmp(key, "hostpci", 7)) {
		if (vh_parse_uint(key + 7, strlen(key + 7), VH_MAX_HOSTPCI - 1, &v) < 0 ||
		    (key[7] == '0' && key[8]))
			return 0; /* not a key Proxmox knows; ignored like any other */
		return parse_hostpci((int)v, value, vm, err);
	}
	if (!strcmp(key, "cpu"))
		return copy_value(key, value, vm->cpu, sizeof(vm->cpu), err);
	if (!strcmp(key, "args"))
		return copy_value(key, value, vm->args, sizeof(vm->args), err);
	if (!strcmp(key, "vga"))
		return copy_value(key, value, vm->vga, sizeof(vm->vga), err);
	if (!strcmp(key, "hookscript"))
		return copy_value(key, value, vm->hookscript, sizeof(vm->hookscript), err);
	return 0;
}

/* Splits "key: value" per qemu-server: ^([a-z][a-z_]*\d*):\s*(.+?)\s*$ */
static bool split_key(char *line, char **key, char **value)
{
	char *p = line;
	if (!(*p >= 'a' && *p <= 'z'))
		return false;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != ':')
		return false;
	*p = '\0';
	*key = line;
	*value = vh_strip(p + 1);
	return **value != '\0';
}

int vh_vmconf_parse(const char *text, size_t len, unsigned vmid, struct vh_vmconf *vm,
		    struct vh_err *err)
{
	memset(vm, 0, sizeof(*vm));
	vm->vmid = vmid;
	vm->memory_mib = 512;
	vm->balloon_mib = -1;
	if (memchr(text, '\0', len))
		return vh_fail(err, "the config contains a NUL byte");
	char *copy = strndup(text, len);
	if (!copy)
		return vh_fail(err, "out of memory");
	int rc = 0, lineno = 0;
	for (char *line = copy, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *l = vh_strip(line), *key, *value;
		if (l[0] == '[')
			break; /* snapshots and pending changes are not the VM that starts */
		if (l[0] == '#' || !split_key(l, &key, &value))
			continue;
		struct vh_err e;
		if (parse_line(key, value, vm, &e) < 0) {
			rc = vh_fail(err, "line %d, %s: %s", lineno, key, e.msg);
			break;
		}
	}
	free(copy);
	return rc;
}

int vh_vmconf_load(struct vh_host *h, unsigned vmid, struct vh_vmconf *vm, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "/etc/pve/qemu-server/%u.conf", vmid) < 0)
		return vh_fail(err, "config path too long under %s", vh_host_root(h));
	char *text;
	size_t len;
	if (vh_slurp(path, VMCONF_MAX_BYTES, &text, &len) < 0)
		return vh_fail(err, "%s: %s", path,
			       errno == ENOENT ? "no such VM config on this node" : strerror(errno));
	struct vh_err e;
	int rc = vh_vmconf_parse(text, len, vmid, vm, &e);
	free(text);
	if (rc < 0)
		return vh_fail(err, "%s: %s", path, e.msg);
	return 0;
}
