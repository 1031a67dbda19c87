/*
 * Proxmox VM config: /etc/pve/qemu-server/<vmid>.conf, read as qemu-server's
 * parse_vm_config reads it (8.x and 9.x):
 *
 *   - lines split at '\n'; blank lines skipped;
 *   - a line "[...]" at column 0 (optionally followed by blanks) opens a
 *     section: [PENDING], [special:...], a snapshot or an unknown one. Only
 *     the lines before the first section describe the VM that will start;
 *   - "#..." at column 0 is the description;
 *   - "key: value" with key ^[a-z][a-z_-]*\d* at column 0, blanks after the
 *     colon and at the end dropped; anything else (an indented line, "[x")
 *     is ignored with a warning, and so is Proxmox;
 *   - a later line with the same key replaces the earlier one.
 *
 * A value of a key this library uses that Proxmox itself could not parse
 * refuses the config (vm-config) with the line number and the reason:
 * Proxmox would drop the line and start the VM without it. Keys and
 * property-string options this library does not know are ignored, so a
 * config a newer Proxmox wrote is never refused for them.
 */
#include "internal.h"
#include "host/host.h"
#include "base/propstr.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VMCONF_MAX_BYTES (1u << 20) /* pmxcfs's own file size limit */
/* Memory and balloon have no upper bound in the grammar that matters here;
 * this one only keeps the arithmetic away from overflow. */
#define VMCONF_MAX_MIB (UINT64_C(1) << 40)

/* Matches \d+(\.\d+)+ at *p, advancing it. */
static bool match_version(const char **p)
{
	const char *s = *p;
	size_t n = strspn(s, "0123456789");
	if (n == 0 || s[n] != '.')
		return false;
	s += n;
	while (*s == '.' && s[1] >= '0' && s[1] <= '9')
		s += 1 + strspn(s + 1, "0123456789");
	*p = s;
	return true;
}

/* Matches (\+pve\d+)? at *p. */
static void match_pve_suffix(const char **p)
{
	if (!strncmp(*p, "+pve", 4) && isdigit((unsigned char)(*p)[4]))
		*p += 4 + strspn(*p + 4, "0123456789");
}

/* Machine.pm's type pattern (anchored, at most 40 characters):
 * pc | pc(-i440fx)?-V(+pveN)?(.pxe)? | q35 | pc-q35-V(+pveN)?(.pxe)?
 *    | virt(-V)?(+pveN)?                                   V = \d+(\.\d+)+ */
static bool is_machine_type(const char *s)
{
	if (strlen(s) > 40)
		return false;
	if (!strcmp(s, "pc") || !strcmp(s, "q35") || !strcmp(s, "virt"))
		return true;
	const char *p;
	bool pxe_allowed = true;
	if (!strncmp(s, "pc-q35-", 7))
		p = s + 7;
	else if (!strncmp(s, "pc-i440fx-", 10))
		p = s + 10;
	else if (!strncmp(s, "pc-", 3))
		p = s + 3;
	else if (!strncmp(s, "virt", 4)) {
		p = s + 4;
		pxe_allowed = false;
		if (*p == '-' && (++p, !match_version(&p)))
			return false;
		match_pve_suffix(&p);
		return *p == '\0';
	} else
		return false;
	if (!match_version(&p))
		return false;
	match_pve_suffix(&p);
	if (pxe_allowed && !strcmp(p, ".pxe"))
		p += 4;
	return *p == '\0';
}

/* machine_base_type: q35 by the substring, i440fx by the "pc" prefix. */
static enum vh_machine machine_family(const char *type)
{
	if (strstr(type, "q35"))
		return VH_MACHINE_Q35;
	if (!strncmp(type, "virt", 4))
		return VH_MACHINE_VIRT;
	return VH_MACHINE_I440FX;
}

/* aw-bits: a JSON-schema number from 32 to 64. */
static int check_aw_bits(const struct vh_prop *p, struct vh_err *err)
{
	char buf[32];
	char *end;
	if (vh_prop_copy(p, buf, sizeof(buf), err) < 0)
		return -1;
	errno = 0;
	double v = strtod(buf, &end);
	if (!buf[0] || *end || errno || !isdigit((unsigned char)buf[0]) || v < 32 || v > 64)
		return vh_fail(err, "aw-bits=%s is not a number from 32 to 64", buf);
	return 0;
}

static int parse_machine_option(const struct vh_prop *p, char *type, size_t type_size,
				struct vh_err *err)
{
	bool b;
	if (vh_prop_is(p, "type")) {
		if (vh_prop_copy(p, type, type_size, err) < 0)
			return -1;
		if (!is_machine_type(type))
			return vh_fail(err,
				       "'%s' is not a QEMU machine type (q35, pc, "
				       "pc-q35-8.1+pve0, ...)",
				       type);
		return 0;
	}
	if (vh_prop_is(p, "viommu")) {
		if (!(p->val_len == 5 && !memcmp(p->val, "intel", 5)) &&
		    !(p->val_len == 6 && !memcmp(p->val, "virtio", 6)))
			return vh_fail(err, "viommu=%.*s is neither intel nor virtio",
				       (int)p->val_len, p->val);
		return 0;
	}
	if (vh_prop_is(p, "aw-bits"))
		return check_aw_bits(p, err);
	if (vh_prop_is(p, "enable-s3") || vh_prop_is(p, "enable-s4"))
		return vh_prop_bool(p, &b, err);
	return 0; /* an option of a newer Proxmox */
}

static int parse_machine(const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	char type[128] = "";
	if (vh_strlcpy(vm->machine_raw, value, sizeof(vm->machine_raw)) >= sizeof(vm->machine_raw))
		return vh_fail(err, "longer than %zu characters", sizeof(vm->machine_raw) - 1);
	if (vh_propstr_split(value, "type", props, VH_MAX_PROPS, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (parse_machine_option(&props[i], type, sizeof(type), err) < 0)
			return -1;
	vm->machine = machine_family(type[0] ? type : "pc");
	return 0;
}

static int parse_uint_in(const char *what, const char *s, size_t len, uint64_t min, uint64_t *out,
			 struct vh_err *err)
{
	if (vh_parse_uint(s, len, VMCONF_MAX_MIB, out) < 0 || *out < min)
		return vh_fail(err, "%s '%.*s' is not a whole number of MiB of at least %llu", what,
			       (int)len, s, (unsigned long long)min);
	return 0;
}

/* memory: [current=]<MiB>, at least 16. */
static int parse_memory(const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	if (vh_propstr_split(value, "current", props, VH_MAX_PROPS, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (vh_prop_is(&props[i], "current") &&
		    parse_uint_in("memory", props[i].val, props[i].val_len, 16, &vm->memory_mib,
				  err) < 0)
			return -1;
	return 0;
}

/* One address list: PCIRE(;PCIRE)*. */
static int parse_host_addrs(const struct vh_prop *p, struct vh_hostpci *pci, struct vh_err *err)
{
	return vh_pci_addr_list_parse(p->val, p->val_len, pci->addrs, VH_MAX_HOSTPCI_ADDRS,
				      &pci->n_addrs, err);
}

/* vendor-id and friends: ^0x[0-9a-fA-F]{4}$ */
static int check_hex_id(const struct vh_prop *p, uint16_t *id, struct vh_err *err)
{
	uint64_t v;
	if (p->val_len != 6 || p->val[0] != '0' || p->val[1] != 'x' ||
	    vh_parse_hex(p->val + 2, 4, 0xffff, &v) < 0)
		return vh_fail(err, "%.*s=%.*s is not a 0xXXXX id", (int)p->key_len, p->key,
			       (int)p->val_len, p->val);
	*id = (uint16_t)v;
	return 0;
}

/* romfile: [^,;]+, a path under /usr/share/kvm/. qemu-server takes any
 * string; this library never builds a path that climbs out of that
 * directory, so a ".." component is refused. */
static int parse_romfile(const struct vh_prop *p, struct vh_hostpci *pci, struct vh_err *err)
{
	if (vh_prop_copy(p, pci->romfile, sizeof(pci->romfile), err) < 0)
		return -1;
	for (const char *c = pci->romfile; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return vh_fail(err, "romfile '%s' leaves /usr/share/kvm (a '..' component)",
				       pci->romfile);
		c += n + (c[n] == '/');
	}
	return 0;
}

/* mdev: [^/.:]+ */
static int parse_mdev(const struct vh_prop *p, struct vh_hostpci *pci, struct vh_err *err)
{
	if (vh_prop_copy(p, pci->mdev, sizeof(pci->mdev), err) < 0)
		return -1;
	if (strpbrk(pci->mdev, "/.:"))
		return vh_fail(err, "mdev '%s' is not an mdev type name (no '/', '.' or ':')",
			       pci->mdev);
	return 0;
}

static int parse_hostpci_option(const struct vh_prop *p, struct vh_hostpci *pci, struct vh_err *err)
{
	if (vh_prop_is(p, "host"))
		return parse_host_addrs(p, pci, err);
	if (vh_prop_is(p, "mapping")) {
		if (!vh_is_config_id(p->val, p->val_len))
			return vh_fail(err, "mapping '%.*s' is not a mapping id", (int)p->val_len,
				       p->val);
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
	if (vh_prop_is(p, "romfile"))
		return parse_romfile(p, pci, err);
	if (vh_prop_is(p, "mdev"))
		return parse_mdev(p, pci, err);
	if (vh_prop_is(p, "driver")) {
		if (p->val_len == 4 && !memcmp(p->val, "keep", 4))
			pci->driver_keep = true;
		else if (!(p->val_len == 4 && !memcmp(p->val, "vfio", 4)))
			return vh_fail(err, "driver=%.*s: only vfio or keep", (int)p->val_len,
				       p->val);
		return 0;
	}
	/* the ids the guest sees (qemu-server's x-pci-vendor-id=, ...) */
	if (vh_prop_is(p, "vendor-id")) {
		pci->has_vendor_id = true;
		return check_hex_id(p, &pci->vendor_id, err);
	}
	if (vh_prop_is(p, "device-id")) {
		pci->has_device_id = true;
		return check_hex_id(p, &pci->device_id, err);
	}
	if (vh_prop_is(p, "sub-vendor-id") || vh_prop_is(p, "sub-device-id")) {
		uint16_t unused;
		return check_hex_id(p, &unused, err);
	}
	return 0; /* an option of a newer Proxmox: kept in raw, not interpreted */
}

static int parse_hostpci(int index, const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	struct vh_hostpci pci = { .index = index, .rombar = true, .n_alternatives = 1 };
	if (vh_strlcpy(pci.raw, value, sizeof(pci.raw)) >= sizeof(pci.raw))
		return vh_fail(err, "longer than %zu characters", sizeof(pci.raw) - 1);
	if (vh_propstr_split(value, "host", props, VH_MAX_PROPS, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (parse_hostpci_option(&props[i], &pci, err) < 0)
			return -1;
	if (pci.has_mapping && pci.n_addrs)
		return vh_fail(err, "cannot set both 'host' and 'mapping'");
	if (!pci.has_mapping && !pci.n_addrs)
		return vh_fail(err, "either 'host' or 'mapping' must be set");
	for (size_t i = 0; i < vm->n_hostpci; i++)
		if (vm->hostpci[i].index == index) {
			vm->hostpci[i] = pci;
			return 0;
		}
	vm->hostpci[vm->n_hostpci++] = pci;
	return 0;
}

/* cpu, args, vga and hookscript are informational here (vga is only ever
 * compared with "none"): Proxmox takes any length, so a long value is kept
 * cut and marked with "...", never refused. */
static int copy_value(const char *value, char *buf, size_t size, struct vh_err *err)
{
	(void)err;
	if (vh_strlcpy(buf, value, size) >= size)
		memcpy(buf + size - 4, "...", 4);
	return 0;
}

static int parse_bios(const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	if (!strcmp(value, "ovmf"))
		vm->bios = VH_BIOS_OVMF;
	else if (!strcmp(value, "seabios"))
		vm->bios = VH_BIOS_SEABIOS;
	else
		return vh_fail(err, "bios '%s' is neither seabios nor ovmf", value);
	return 0;
}

/* efidisk0: only whether it is there and its pre-enrolled-keys (Secure
 * Boot with Microsoft's keys). A value this reader cannot split keeps the
 * disk and leaves the keys unknown: qemu-server is its judge. */
static int parse_efidisk(const char *value, struct vh_vmconf *vm)
{
	struct vh_prop props[VH_MAX_PROPS];
	size_t n;
	vm->has_efidisk = true;
	vm->efidisk_keys = -1;
	if (vh_propstr_split(value, "file", props, VH_MAX_PROPS, &n, NULL) < 0)
		return 0;
	bool four_m = false; /* efitype defaults to 2m, whose vars template has no keys */
	for (size_t i = 0; i < n; i++) {
		bool b;
		if (vh_prop_is(&props[i], "pre-enrolled-keys") &&
		    vh_prop_bool(&props[i], &b, NULL) == 0)
			vm->efidisk_keys = b;
		if (vh_prop_is(&props[i], "efitype"))
			four_m = props[i].val_len == 2 && !strncmp(props[i].val, "4m", 2);
	}
	if (vm->efidisk_keys == 1 && !four_m)
		vm->efidisk_keys = 0;
	return 0;
}

/* agent: [enabled=]1|0[,fstrim_cloned_disks=..][,freeze-fs-on-backup=..][,type=virtio|isa]:
 * qemu-server's agent format, "enabled" its default key. */
static int parse_agent(const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	struct vh_prop props[8];
	size_t n;
	if (vh_propstr_split(value, "enabled", props, VH_ARRAY_SIZE(props), &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (vh_prop_is(&props[i], "enabled") &&
		    vh_prop_bool(&props[i], &vm->agent, err) < 0)
			return -1;
	return 0;
}

/* hostpciN with N 0..15, no leading zero; any other digits are another key. */
static bool hostpci_index(const char *key, int *index)
{
	uint64_t v;
	if (strncmp(key, "hostpci", 7) || (key[7] == '0' && key[8]) ||
	    vh_parse_uint(key + 7, strlen(key + 7), VH_MAX_HOSTPCI - 1, &v) < 0)
		return false;
	*index = (int)v;
	return true;
}

/* "local-zfs:vm-100-disk-0,size=32G" of the first disk key: its storage. */
static void note_disk(const char *key, const char *value, struct vh_vmconf *vm)
{
	static const char *const buses[] = { "scsi", "virtio", "sata", "ide" };
	size_t b = 0;
	while (b < VH_ARRAY_SIZE(buses) && strncmp(key, buses[b], strlen(buses[b])))
		b++;
	uint64_t n;
	const char *colon = strchr(value, ':');
	size_t id_len = colon ? (size_t)(colon - value) : 0;
	if (vm->disk_storage[0] || b == VH_ARRAY_SIZE(buses) ||
	    vh_parse_uint(key + strlen(buses[b]), strlen(key + strlen(buses[b])), 30, &n) < 0 ||
	    !colon || strstr(value, "media=cdrom") || !vh_is_config_id(value, id_len) ||
	    id_len >= sizeof(vm->disk_storage))
		return;
	memcpy(vm->disk_storage, value, id_len);
	vm->disk_storage[id_len] = '\0';
}

/* One "key: value" line of the VM's own section. */
static int parse_line(const char *key, const char *value, struct vh_vmconf *vm, struct vh_err *err)
{
	uint64_t v;
	int index;
	if (!strcmp(key, "machine"))
		return parse_machine(value, vm, err);
	if (!strcmp(key, "arch")) {
		if (strcmp(value, "x86_64") && strcmp(value, "aarch64"))
			return vh_fail(err, "arch '%s' is neither x86_64 nor aarch64", value);
		vm->arch_aarch64 = !strcmp(value, "aarch64");
		return 0;
	}
	if (!strcmp(key, "bios"))
		return parse_bios(value, vm, err);
	if (!strcmp(key, "efidisk0"))
		return parse_efidisk(value, vm);
	if (!strcmp(key, "memory"))
		return parse_memory(value, vm, err);
	if (!strcmp(key, "balloon")) {
		if (parse_uint_in("balloon", value, strlen(value), 0, &v, err) < 0)
			return -1;
		vm->balloon_mib = (int64_t)v;
		return 0;
	}
	if (!strcmp(key, "hugepages")) {
		if (!strcmp(value, "any"))
			return vm->hugepages_any = true, 0;
		if (strcmp(value, "2") && strcmp(value, "1024"))
			return vh_fail(err, "hugepages '%s' is none of any, 2, 1024", value);
		vm->hugepages_mib = (unsigned)atoi(value);
		return 0;
	}
	if (!strcmp(key, "numa")) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return vh_fail(err, "numa '%s' is not a boolean (0 or 1)", value);
		vm->numa = value[0] == '1';
		return 0;
	}
	if (hostpci_index(key, &index))
		return parse_hostpci(index, value, vm, err);
	if (!strcmp(key, "cpu"))
		return copy_value(value, vm->cpu, sizeof(vm->cpu), err);
	if (!strcmp(key, "args"))
		return copy_value(value, vm->args, sizeof(vm->args), err);
	if (!strcmp(key, "vga"))
		return copy_value(value, vm->vga, sizeof(vm->vga), err);
	if (!strcmp(key, "hookscript"))
		return copy_value(value, vm->hookscript, sizeof(vm->hookscript), err);
	if (!strcmp(key, "agent"))
		return parse_agent(value, vm, err);
	if (!strcmp(key, "ostype"))
		return copy_value(value, vm->ostype, sizeof(vm->ostype), err);
	note_disk(key, value, vm);
	return 0;
}

/* Perl's \s, which qemu-server's patterns use. */
static bool is_perl_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_blank_line(const char *l)
{
	while (is_perl_space(*l))
		l++;
	return !*l;
}

/* ^\[[^\]]*\]\s*$ : every kind of section header, at column 0. */
static bool is_section_header(const char *l)
{
	if (l[0] != '[')
		return false;
	const char *close = strchr(l + 1, ']');
	return close && is_blank_line(close + 1);
}

/* ^([a-z][a-z_\-]*\d*):\s*(.+?)\s*$ at column 0; the value loses its
 * trailing blanks. */
static bool split_key(char *line, char **key, char **value)
{
	char *p = line;
	if (!(*p >= 'a' && *p <= 'z'))
		return false;
	while ((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != ':')
		return false;
	*p = '\0';
	char *v = p + 1, *end = v + strlen(v);
	while (is_perl_space(*v))
		v++;
	while (end > v && is_perl_space(end[-1]))
		*--end = '\0';
	*key = line;
	*value = v;
	return *v != '\0';
}

/* qemu-server walks hostpci0..hostpci15 by index; files list hostpci10
 * before hostpci2. */
static void sort_hostpci(struct vh_vmconf *vm)
{
	for (size_t i = 1; i < vm->n_hostpci; i++)
		for (size_t j = i; j > 0 && vm->hostpci[j - 1].index > vm->hostpci[j].index; j--) {
			struct vh_hostpci t = vm->hostpci[j];
			vm->hostpci[j] = vm->hostpci[j - 1];
			vm->hostpci[j - 1] = t;
		}
}

static void vmconf_defaults(struct vh_vmconf *vm, unsigned vmid)
{
	memset(vm, 0, sizeof(*vm));
	vm->vmid = vmid;
	vm->memory_mib = 512;
	vm->balloon_mib = -1;
	vm->efidisk_keys = -1;
}

int vh_vmconf_parse(const char *text, size_t len, unsigned vmid, struct vh_vmconf *vm,
		    struct vh_err *err)
{
	vmconf_defaults(vm, vmid);
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
		char *key, *value;
		if (is_blank_line(line))
			continue;
		if (is_section_header(line))
			break; /* snapshots, [PENDING], [special:...] are not the VM that starts */
		if (line[0] == '#' || !split_key(line, &key, &value))
			continue;
		struct vh_err e;
		if (parse_line(key, value, vm, &e) < 0) {
			rc = vh_fail(err,
				     "line %d, %s: %s (Proxmox cannot parse this value either: "
				     "it skips the line)",
				     lineno, key, e.msg);
			break;
		}
	}
	free(copy);
	sort_hostpci(vm);
	if (rc == 0 && !vm->machine_raw[0] && vm->arch_aarch64)
		vm->machine = VH_MACHINE_VIRT; /* the default machine of an aarch64 VM */
	return rc;
}

/* pve-common's pve-node format: ^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$ */
static bool node_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int vh_host_set_migration(struct vh_host *h, unsigned vmid, const char *node, struct vh_err *err)
{
	if (!node_name_valid(node))
		return vh_fail(err,
			       "PVE_MIGRATED_FROM is not a node name (letters, digits and inner "
			       "'-', at most 63)");
	h->migrating_vmid = vmid;
	vh_strlcpy(h->migrated_from, node, sizeof(h->migrated_from));
	return 0;
}

/* The VM's config: under the source node's directory while it migrates in. */
static int config_path(struct vh_host *h, unsigned vmid, char *path, size_t size)
{
	if (h->migrated_from[0] && vmid == h->migrating_vmid)
		return vh_host_path(h, path, size, "/etc/pve/nodes/%s/qemu-server/%u.conf",
				    h->migrated_from, vmid);
	return vh_host_path(h, path, size, "/etc/pve/qemu-server/%u.conf", vmid);
}

int vh_vmconf_load(struct vh_host *h, unsigned vmid, struct vh_vmconf *vm, struct vh_err *err)
{
	char path[PATH_MAX];
	if (config_path(h, vmid, path, PATH_MAX) < 0)
		return vh_fail(err, "config path too long under %s", vh_host_root(h));
	char *text;
	size_t len;
	if (vh_slurp(path, VMCONF_MAX_BYTES, &text, &len) < 0)
		return vh_fail(err, "%s: %s", path,
			       errno == ENOENT ? "no such VM config on this node"
					       : strerror(errno));
	struct vh_err e;
	int rc = vh_vmconf_parse(text, len, vmid, vm, &e);
	free(text);
	if (rc < 0)
		return vh_failc(err, e.code, "%s: %s", path, e.msg);
	return 0;
}
