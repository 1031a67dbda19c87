/*
 * The setup plan (hookctl setup VMID): what this host and VM still lack for
 * passthrough, each part with its reason, and nothing that is already in
 * place. The planner only reads; apply.c is the only code that writes or
 * runs anything.
 */
#include "internal.h"
#include "base/array.h"
#include "eval/checks.h"
#include "host/host.h"
#include "host/kmods.h"
#include "host/modconf.h"
#include "host/system.h"
#include "setup/setup.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <libkmod.h>

#define MODPROBE_FILE "/etc/modprobe.d/vfiohelp.conf"
#define MODULES_FILE "/etc/modules-load.d/vfiohelp.conf"
#define GRUB_DROPIN "/etc/default/grub.d/vfiohelp.cfg"
#define KERNEL_CMDLINE "/etc/kernel/cmdline"

bool vh_setup_add_command(struct vh_setup *s, const char *reason, bool regenerates,
			  const char *const *argv)
{
	if (s->n_commands >= VH_SETUP_MAX_COMMANDS)
		return false;
	struct vh_setup_command *c = &s->commands[s->n_commands++];
	memset(c, 0, sizeof(*c));
	for (; argv[c->argc] && c->argc < VH_SETUP_MAX_ARGV; c->argc++)
		vh_strlcpy(c->argv[c->argc], argv[c->argc], sizeof(c->argv[0]));
	vh_strlcpy(c->reason, reason, sizeof(c->reason));
	c->status = -1;
	c->regenerates = regenerates;
	return true;
}

/* A file part: text becomes the file's content (NULL: removed). Nothing is
 * planned when the file already holds exactly that. */
static int plan_file(struct vh_setup *s, struct vh_host *h, const char *abs, const char *text,
		     const char *reason)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "%s", abs) < 0)
		return -1;
	char *old = NULL;
	size_t old_len = 0;
	struct stat st;
	bool existed = stat(path, &st) == 0 && vh_slurp(path, 1u << 20, &old, &old_len) == 0;
	if ((!existed && !text) ||
	    (existed && text && old_len == strlen(text) && !memcmp(old, text, old_len))) {
		free(old);
		return 0;
	}
	if (s->n_files >= VH_SETUP_MAX_FILES) {
		free(old);
		return -1;
	}
	struct vh_setup_file *f = &s->files[s->n_files++];
	memset(f, 0, sizeof(*f));
	vh_strlcpy(f->path, abs, sizeof(f->path));
	vh_strlcpy(f->reason, reason, sizeof(f->reason));
	f->existed = existed;
	f->old = old;
	f->old_len = old_len;
	f->old_mode = existed ? st.st_mode & 07777 : 0644;
	f->action = !text ? VH_FILE_REMOVE : existed ? VH_FILE_MODIFY : VH_FILE_CREATE;
	if (text) {
		f->new_ = strdup(text);
		f->new_len = strlen(text);
		if (!f->new_)
			return -1;
	}
	return 1;
}

/* The current text of a host file, "" when absent (static storage per call site). */
static char *host_text(struct vh_host *h, const char *abs)
{
	char path[PATH_MAX], *text = NULL;
	if (vh_host_path(h, path, sizeof(path), "%s", abs) < 0 ||
	    vh_slurp(path, 1u << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

static void append(char *dst, size_t size, const char *s)
{
	size_t used = strlen(dst);
	if (used < size)
		snprintf(dst + used, size - used, "%s", s);
}

/* ---- kernel options ---- */

static bool kernel_before_6_8(const char *kver)
{
	unsigned major = 0, minor = 0;
	return sscanf(kver, "%u.%u", &major, &minor) == 2 &&
	       (major < 6 || (major == 6 && minor < 8));
}

/* The options this VM's devices need on this host's kernel, not yet configured. */
static void needed_options(struct vh_host *h, const struct vh_report *r, const char *configured,
			   char *opts, size_t size, char *why, size_t wsize)
{
	opts[0] = why[0] = '\0';
	vh_host_kernel_release(h, NULL);
	if (vh_cpu_vendor(h) == VH_CPU_INTEL && kernel_before_6_8(h->kver) &&
	    !vh_cmdline_has(configured, "intel_iommu=on", NULL, 0)) {
		append(opts, size, " intel_iommu=on");
		snprintf(why + strlen(why), wsize - strlen(why),
			 "Intel's IOMMU is off by default before kernel 6.8 (this host runs %s). ",
			 h->kver);
	}
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		char fb[64];
		if (!d || !d->present || (d->class_code >> 16) != 0x03 ||
		    !vh_framebuffer_on_device(h, d->name, fb, sizeof(fb)) ||
		    vh_cmdline_has(configured, "initcall_blacklist=sysfb_init", NULL, 0) ||
		    strstr(opts, "initcall_blacklist=sysfb_init"))
			continue;
		append(opts, size, " initcall_blacklist=sysfb_init");
		snprintf(why + strlen(why), wsize - strlen(why),
			 "The boot framebuffer %s sits in %s's memory; Proxmox kernels build simpledrm in, "
			 "so only keeping sysfb off frees it. ",
			 fb, d->name);
	}
}

static int plan_grub(struct vh_setup *s, struct vh_host *h, const char *opts, const char *why)
{
	char *old = host_text(h, GRUB_DROPIN), linux_[VH_CMDLINE_MAX] = "",
	     mine[VH_CMDLINE_MAX] = "";
	if (old)
		vh_grub_defaults_apply(old, strlen(old), linux_, mine, sizeof(mine));
	free(old);
	char merged[VH_CMDLINE_MAX], text[VH_CMDLINE_MAX + 256], reason[512];
	snprintf(merged, sizeof(merged), "%s%s", vh_strip(mine), opts);
	snprintf(text, sizeof(text),
		 "# hookctl setup: kernel options for PCI passthrough (undo: hookctl setup --undo)\n"
		 "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT %s\"\n",
		 vh_strip(merged));
	snprintf(reason, sizeof(reason),
		 "%sGRUB reads /etc/default/grub.d/*.cfg after /etc/default/grub.", why);
	int rc = plan_file(s, h, GRUB_DROPIN, text, reason);
	static const char *const argv[] = { "/usr/sbin/update-grub", NULL };
	if (rc > 0)
		vh_setup_add_command(
			s,
			"writes the boot menu GRUB reads (and the ESPs' on proxmox-boot-tool hosts)",
			true, argv);
	return rc < 0 ? -1 : 0;
}

static int plan_systemd_boot(struct vh_setup *s, struct vh_host *h, const char *opts,
			     const char *why, struct vh_err *err)
{
	char *old = host_text(h, KERNEL_CMDLINE);
	if (!old)
		return vh_fail(err, "%s is missing: systemd-boot needs it (with root=) to boot",
			       KERNEL_CMDLINE);
	size_t n = strcspn(old, "\n");
	char text[2 * VH_CMDLINE_MAX], reason[512];
	snprintf(text, sizeof(text), "%.*s%s\n%s", (int)n, old, opts, old[n] ? old + n + 1 : "");
	free(old);
	snprintf(reason, sizeof(reason),
		 "%ssystemd-boot reads only the first line of /etc/kernel/cmdline.", why);
	int rc = plan_file(s, h, KERNEL_CMDLINE, text, reason);
	static const char *const argv[] = { "/usr/sbin/proxmox-boot-tool", "refresh", NULL };
	if (rc > 0)
		vh_setup_add_command(s, "copies the kernels and /etc/kernel/cmdline to the ESPs",
				     true, argv);
	return rc < 0 ? -1 : 0;
}

static int plan_kernel_options(struct vh_setup *s, struct vh_host *h, const struct vh_report *r,
			       struct vh_err *err)
{
	char configured[VH_CMDLINE_MAX] = "", opts[512], why[512];
	vh_boot_cmdline(h, s->boot.kind, configured, sizeof(configured));
	needed_options(h, r, configured, opts, sizeof(opts), why, sizeof(why));
	if (!opts[0])
		return 0;
	s->reboot_required = true;
	if (vh_boot_is_grub(s->boot.kind))
		return plan_grub(s, h, opts, why);
	if (s->boot.kind == VH_BOOT_SYSTEMD_BOOT)
		return plan_systemd_boot(s, h, opts, why, err);
	return vh_fail(err, "kernel options%s are needed, but the boot loader is unknown: %s", opts,
		       s->boot.why);
}

/* ---- modules-load.d ---- */

static bool name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a == '-' ? '_' : *a) != (*b == '-' ? '_' : *b))
			return false;
	return !*a && !*b;
}

static bool listed_in(struct vh_host *h, const char *abs, const char *module)
{
	char *text = host_text(h, abs);
	if (!text)
		return false;
	struct vh_modules_line lines[128];
	size_t n = vh_modules_load_lines(text, strlen(text), lines, VH_ARRAY_SIZE(lines));
	free(text);
	for (size_t i = 0; i < n; i++)
		if (!lines[i].why[0] && name_eq(lines[i].name, module))
			return true;
	return false;
}

/* A module some file loads at boot: /etc/modules or a modules-load.d file. */
static bool loaded_at_boot(struct vh_host *h, const char *module)
{
	if (listed_in(h, "/etc/modules", module))
		return true;
	char dir[PATH_MAX];
	if (vh_host_path(h, dir, sizeof(dir), "/etc/modules-load.d") < 0)
		return false;
	DIR *d = opendir(dir);
	bool found = false;
	for (struct dirent *e; d && !found && (e = readdir(d));) {
		char abs[300];
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".conf") &&
		    vh_is_safe_component(e->d_name) &&
		    vh_format(abs, sizeof(abs), "/etc/modules-load.d/%s", e->d_name) >= 0 &&
		    strcmp(abs, MODULES_FILE))
			found = listed_in(h, abs, module);
	}
	if (d)
		closedir(d);
	return found;
}

static int plan_modules_load(struct vh_setup *s, struct vh_host *h)
{
	char *old = host_text(h, MODULES_FILE);
	char text[1024], names[256] = "";
	snprintf(text, sizeof(text), "%s",
		 old ? old : "# hookctl setup: vfio at every boot (undo: hookctl setup --undo)\n");
	for (size_t i = 0; i < VH_VFIO_MODULE_COUNT; i++) {
		const char *m = vh_vfio_modules[i];
		if (vh_module_state(h, m, NULL) == VH_MOD_BUILTIN || loaded_at_boot(h, m) ||
		    (old && listed_in(h, MODULES_FILE, m)))
			continue;
		append(text, sizeof(text), m);
		append(text, sizeof(text), "\n");
		append(names, sizeof(names), names[0] ? ", " : "");
		append(names, sizeof(names), m);
	}
	free(old);
	if (!names[0])
		return 0;
	char reason[512];
	snprintf(reason, sizeof(reason),
		 "%s load at no boot yet; /etc/modules is left as it is (one name a line, "
		 "read after the root mounts)",
		 names);
	return plan_file(s, h, MODULES_FILE, text, reason) < 0 ? -1 : 0;
}

/* ---- modprobe.d ---- */

/* modprobe.d already has "softdep <driver> pre: ... vfio-pci ...". */
static bool softdep_vfio(struct vh_host *h, const char *driver)
{
	struct kmod_ctx *ctx = vh_kmod(h, NULL);
	bool found = false;
	struct kmod_config_iter *it = ctx ? kmod_config_get_softdeps(ctx) : NULL;
	while (it && kmod_config_iter_next(it)) {
		const char *v = kmod_config_iter_get_value(it), *pre = strstr(v, "pre:");
		const char *post = strstr(v, "post:");
		if (!name_eq(kmod_config_iter_get_key(it), driver) || !pre)
			continue;
		for (const char *p = pre + 4; *p && (!post || p < post);) {
			p += strspn(p, " \t");
			size_t n = strcspn(p, " \t");
			char w[64];
			snprintf(w, sizeof(w), "%.*s", (int)n, p);
			if (n && name_eq(w, "vfio_pci"))
				found = true;
			p += n;
		}
	}
	kmod_config_iter_free_iter(it);
	return found;
}

/* Another device on the bus, not the VM's, has vendor:device. */
static bool id_shared(struct vh_host *h, const struct vh_report *r, uint16_t vendor,
		      uint16_t device)
{
	char dir[PATH_MAX];
	if (vh_host_path(h, dir, sizeof(dir), "/sys/bus/pci/devices") < 0)
		return true;
	DIR *d = opendir(dir);
	bool shared = false;
	for (struct dirent *e; d && !shared && (e = readdir(d));) {
		struct vh_pci_addr a;
		char p[PATH_MAX + 300], v[16], dv[16];
		uint64_t vv, dd;
		if (vh_pci_addr_parse(e->d_name, strlen(e->d_name), &a) < 0 ||
		    vh_report_has_device(r, &a) ||
		    vh_format(p, sizeof(p), "%s/%s/vendor", dir, e->d_name) < 0 ||
		    vh_read_attr(p, v, sizeof(v)) < 0 ||
		    vh_format(p, sizeof(p), "%s/%s/device", dir, e->d_name) < 0 ||
		    vh_read_attr(p, dv, sizeof(dv)) < 0)
			continue;
		if (!strncmp(v, "0x", 2) && !strncmp(dv, "0x", 2) &&
		    vh_parse_hex(v + 2, strlen(v + 2), 0xffff, &vv) == 0 &&
		    vh_parse_hex(dv + 2, strlen(dv + 2), 0xffff, &dd) == 0)
			shared = vv == vendor && dd == device;
	}
	if (d)
		closedir(d);
	return shared;
}

struct modprobe_want {
	char softdeps[512]; /* "softdep x pre: vfio-pci\n" lines */
	char ids[256];      /* "v:d,v:d" */
	char why[512];
};

static void want_driver(struct vh_host *h, const struct vh_device *d, struct modprobe_want *w)
{
	char names[8][64];
	size_t n = 0;
	if (vh_modalias_drivers(h, d->modalias, names, 8, &n, NULL) < 0)
		return;
	bool claimed = vh_vfio_ids_claim(h, d->vendor, d->device);
	for (size_t i = 0; i < n; i++) {
		char line[160];
		snprintf(line, sizeof(line), "softdep %s pre: vfio-pci\n", names[i]);
		if (claimed || vh_module_blacklisted(h, names[i]) || softdep_vfio(h, names[i]) ||
		    strstr(w->softdeps, line))
			continue;
		append(w->softdeps, sizeof(w->softdeps), line);
		snprintf(w->why + strlen(w->why), sizeof(w->why) - strlen(w->why),
			 "%s would take %s at boot. ", names[i], d->name);
	}
}

static void want_id(struct vh_host *h, const struct vh_report *r, const struct vh_device *d,
		    struct modprobe_want *w)
{
	char id[16];
	snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
	if (vh_vfio_ids_claim(h, d->vendor, d->device) || strstr(w->ids, id))
		return;
	if (id_shared(h, r, d->vendor, d->device)) {
		snprintf(w->why + strlen(w->why), sizeof(w->why) - strlen(w->why),
			 "%s is not in ids= (another device of the host has it too). ", id);
		return;
	}
	append(w->ids, sizeof(w->ids), w->ids[0] ? "," : "");
	append(w->ids, sizeof(w->ids), id);
}

/* Our file's lines as they are, with the ids= line (if any) merged. */
static void modprobe_text(const char *old, const struct modprobe_want *w, char *text, size_t size)
{
	text[0] = '\0';
	bool merged = false;
	const char *base = old ? old
			       : "# hookctl setup: vfio-pci first (undo: hookctl setup --undo)\n";
	for (const char *l = base; *l;) {
		size_t n = strcspn(l, "\n");
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		if (w->ids[0] && !strncmp(line, "options vfio-pci ids=", 21) &&
		    !strchr(line + 21, ' ')) {
			snprintf(line + strlen(line), sizeof(line) - strlen(line), ",%s", w->ids);
			merged = true;
		}
		append(text, size, line);
		append(text, size, "\n");
		l += n + (l[n] == '\n');
	}
	append(text, size, w->softdeps);
	if (w->ids[0] && !merged) {
		append(text, size, "options vfio-pci ids=");
		append(text, size, w->ids);
		append(text, size, "\n");
	}
}

static int plan_modprobe(struct vh_setup *s, struct vh_host *h, const struct vh_report *r)
{
	struct modprobe_want w = { "", "", "" };
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		if (r->devices[i].role != VH_ROLE_VFIO || !d || !d->present || d->is_bridge ||
		    !d->modalias[0])
			continue;
		want_driver(h, d, &w);
		want_id(h, r, d, &w);
	}
	if (!w.softdeps[0] && !w.ids[0])
		return 0;
	char *old = host_text(h, MODPROBE_FILE), text[4096], reason[768];
	modprobe_text(old, &w, text, sizeof(text));
	free(old);
	snprintf(reason, sizeof(reason), "%s%s%s%s", w.why, w.ids[0] ? "vfio-pci claims " : "",
		 w.ids, w.ids[0] ? " at boot (no other device of the host has these ids)." : "");
	return plan_file(s, h, MODPROBE_FILE, text, vh_strip(reason)) < 0 ? -1 : 0;
}

/* ---- the VM ---- */

/* The value of key in the VM config's own section; false when absent. */
static bool vm_value(struct vh_host *h, unsigned vmid, const char *key, char *out, size_t size)
{
	char abs[64];
	snprintf(abs, sizeof(abs), "/etc/pve/qemu-server/%u.conf", vmid);
	char *text = host_text(h, abs);
	bool found = false;
	size_t kl = strlen(key);
	for (char *l = text; l && *l && *l != '[' && !found;) {
		size_t n = strcspn(l, "\n");
		if (n > kl + 1 && !strncmp(l, key, kl) && l[kl] == ':') {
			snprintf(out, size, "%.*s", (int)(n - kl - 1), l + kl + 1);
			vh_strip(out);
			found = true;
		}
		l += n + (l[n] == '\n');
	}
	free(text);
	return found;
}

/* "qm set 100 -machine q35   # comment": the key and value, when that is all. */
static bool parse_qm_fix(const char *fix, unsigned vmid, char *key, size_t ksize, char *value,
			 size_t vsize)
{
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "qm set %u -", vmid);
	if (strncmp(fix, prefix, strlen(prefix)) || strchr(fix, '<'))
		return false;
	const char *k = fix + strlen(prefix);
	size_t kn = strcspn(k, " ");
	const char *v = k + kn + strspn(k + kn, " ");
	size_t vn = strcspn(v, " #");
	if (!kn || !vn || kn >= ksize || vn >= vsize)
		return false;
	snprintf(key, ksize, "%.*s", (int)kn, k);
	snprintf(value, vsize, "%.*s", (int)vn, v);
	return true;
}

static void plan_vm(struct vh_setup *s, struct vh_host *h, const struct vh_report *r)
{
	static const enum vh_finding_id mended[] = { VH_F_MACHINE_I440FX,  VH_F_BIOS_SEABIOS,
						     VH_F_ROMBAR_ENABLED,  VH_F_PCIE_OFF,
						     VH_F_EFIDISK_MISSING, VH_F_BALLOON_ENABLED };
	for (size_t i = 0; i < r->n_findings && s->n_vm < VH_SETUP_MAX_VM; i++) {
		const struct vh_finding *f = &r->findings[i];
		bool ours = false;
		for (size_t k = 0; k < VH_ARRAY_SIZE(mended); k++)
			ours |= f->kind == mended[k];
		struct vh_setup_vm *v = &s->vm[s->n_vm];
		if (!ours || !parse_qm_fix(f->fix, r->vmid, v->key, sizeof(v->key), v->new_,
					   sizeof(v->new_)))
			continue;
		bool dup = false;
		for (size_t k = 0; k < s->n_vm; k++)
			dup |= !strcmp(s->vm[k].key, v->key);
		if (dup)
			continue;
		v->had_old = vm_value(h, r->vmid, v->key, v->old, sizeof(v->old));
		snprintf(v->reason, sizeof(v->reason), "%s: %.200s", f->id, f->message);
		s->n_vm++;
		char vmid[16], opt[40];
		snprintf(vmid, sizeof(vmid), "%u", r->vmid);
		snprintf(opt, sizeof(opt), "-%s", v->key);
		const char *argv[] = { "/usr/sbin/qm", "set", vmid, opt, v->new_, NULL };
		vh_setup_add_command(s, v->reason, false, argv);
	}
}

static void plan_hookscript(struct vh_setup *s, const struct vh_report *r)
{
	if (strstr(r->vm.hookscript, "vfio-hook"))
		return;
	char vmid[16];
	snprintf(vmid, sizeof(vmid), "%u", r->vmid);
	const char *argv[] = { "/usr/sbin/hookctl", "install", vmid, "--apply", NULL };
	vh_setup_add_command(
		s,
		"the VM has no vfio-hook hookscript: install copies it to a snippets storage "
		"and registers it with qm set",
		false, argv);
}

/* ---- the whole plan ---- */

static bool has_finding(const struct vh_report *r, enum vh_finding_id id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (r->findings[i].kind == id)
			return true;
	return false;
}

static void plan_initramfs(struct vh_setup *s, const struct vh_report *r)
{
	bool files = false;
	for (size_t i = 0; i < s->n_files; i++)
		files |= !strcmp(s->files[i].path, MODPROBE_FILE) ||
			 !strcmp(s->files[i].path, MODULES_FILE);
	if (!files && !has_finding(r, VH_F_INITRAMFS_STALE))
		return;
	static const char *const argv[] = { "/usr/sbin/update-initramfs", "-u", "-k", "all", NULL };
	vh_setup_add_command(
		s,
		files ? "the initramfs carries modprobe.d and loads vfio-pci before the host drivers"
		      : "initramfs-stale: an image holds modprobe.d as it was",
		true, argv);
	s->reboot_required = true;
}

struct vh_setup *vh_setup_plan(struct vh_host *h, unsigned vmid, bool with_vm, struct vh_err *err)
{
	struct vh_policy *p = vh_policy_load(h, NULL, err);
	struct vh_report *r = p ? vh_evaluate(h, vmid, p, err) : NULL;
	vh_policy_free(p);
	struct vh_setup *s = r ? calloc(1, sizeof(*s)) : NULL;
	if (r && !r->vm_loaded) {
		vh_fail(err, "VM %u: %s", vmid,
			r->n_findings ? r->findings[0].message : "no config");
		free(s);
		s = NULL;
	} else if (r && !s) {
		vh_fail(err, "out of memory");
	}
	if (!s) {
		vh_report_free(r);
		return NULL;
	}
	s->vmid = vmid;
	vh_boot_detect(h, &s->boot);
	int rc = plan_kernel_options(s, h, r, err);
	if (rc == 0 && (plan_modules_load(s, h) < 0 || plan_modprobe(s, h, r) < 0))
		rc = vh_fail(err, "the plan does not fit (too many files, or out of memory)");
	if (rc == 0) {
		plan_initramfs(s, r);
		s->reboot_required |= has_finding(r, VH_F_CMDLINE_PENDING);
		if (with_vm) {
			plan_vm(s, h, r);
			plan_hookscript(s, r);
		}
	}
	vh_report_free(r);
	if (rc < 0) {
		vh_setup_free(s);
		return NULL;
	}
	return s;
}

void vh_setup_free(struct vh_setup *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].old);
		free(s->files[i].new_);
	}
	free(s);
}

bool vh_setup_empty(const struct vh_setup *s)
{
	return !s->n_files && !s->n_commands && !s->n_vm;
}

/* ---- output ---- */

static void diff_lines(char **out, size_t *cap, size_t *used, const char *text, size_t len,
		       char sign)
{
	for (size_t i = 0; i < len;) {
		size_t n = 0;
		while (i + n < len && text[i + n] != '\n')
			n++;
		size_t need = *used + n + 3;
		if (vh_array_reserve(out, cap, need, 1, 256) < 0)
			return;
		*used += (size_t)snprintf(*out + *used, *cap - *used, "%c%.*s\n", sign, (int)n,
					  text + i);
		i += n + 1;
	}
}

static size_t count_lines(const char *t, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += t[i] == '\n';
	return n + (len && t[len - 1] != '\n');
}

/* A unified diff of the whole file: every old line out, every new line in. */
static char *file_diff(const struct vh_setup_file *f)
{
	size_t cap = 256, used = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t a = f->existed ? count_lines(f->old, f->old_len) : 0,
	       b = f->new_ ? count_lines(f->new_, f->new_len) : 0;
	used = (size_t)snprintf(out, cap, "--- %s%s\n+++ %s%s\n@@ -%zu,%zu +%zu,%zu @@\n",
				f->existed ? "a" : "/dev/null", f->existed ? f->path : "",
				f->new_ ? "b" : "/dev/null", f->new_ ? f->path : "",
				(size_t)(a > 0), a, (size_t)(b > 0), b);
	if (f->existed)
		diff_lines(&out, &cap, &used, f->old, f->old_len, '-');
	if (f->new_)
		diff_lines(&out, &cap, &used, f->new_, f->new_len, '+');
	return out;
}

/* One command as the plan and the journal show it: argv, run, status. */
struct json_object *vh_setup_command_json(const struct vh_setup_command *c)
{
	json_object *j = json_object_new_object(), *argv = json_object_new_array();
	for (size_t k = 0; k < c->argc; k++)
		json_object_array_add(argv, json_object_new_string(c->argv[k]));
	json_object_object_add(j, "argv", argv);
	json_object_object_add(j, "run", json_object_new_boolean(c->run));
	json_object_object_add(j, "status", c->run ? json_object_new_int(c->status) : NULL);
	return j;
}

/* The VM keys the plan changes: key, old (null when unset), new. */
struct json_object *vh_setup_vm_json(const struct vh_setup *s)
{
	json_object *vm = json_object_new_array();
	for (size_t i = 0; i < s->n_vm; i++) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "key", json_object_new_string(s->vm[i].key));
		json_object_object_add(j, "old",
				       s->vm[i].had_old ? json_object_new_string(s->vm[i].old)
							: NULL);
		json_object_object_add(j, "new", json_object_new_string(s->vm[i].new_));
		json_object_array_add(vm, j);
	}
	return vm;
}

static const char *action_name(enum vh_file_action a)
{
	return a == VH_FILE_CREATE ? "create" : a == VH_FILE_MODIFY ? "modify" : "remove";
}

struct json_object *vh_setup_to_json(const struct vh_setup *s)
{
	json_object *o = json_object_new_object(), *boot = json_object_new_object();
	json_object *files = json_object_new_array(), *cmds = json_object_new_array();
	json_object_object_add(o, "vmid", json_object_new_int64(s->vmid));
	json_object_object_add(boot, "kind",
			       json_object_new_string(vh_boot_kind_name(s->boot.kind)));
	json_object_object_add(boot, "why", json_object_new_string(s->boot.why));
	json_object_object_add(o, "bootloader", boot);
	for (size_t i = 0; i < s->n_files; i++) {
		const struct vh_setup_file *f = &s->files[i];
		json_object *j = json_object_new_object();
		char *diff = file_diff(f);
		json_object_object_add(j, "path", json_object_new_string(f->path));
		json_object_object_add(j, "action", json_object_new_string(action_name(f->action)));
		json_object_object_add(j, "reason", json_object_new_string(f->reason));
		json_object_object_add(j, "diff", json_object_new_string(diff ? diff : ""));
		free(diff);
		json_object_array_add(files, j);
	}
	for (size_t i = 0; i < s->n_commands; i++) {
		json_object *j = vh_setup_command_json(&s->commands[i]);
		json_object_object_add(j, "reason", json_object_new_string(s->commands[i].reason));
		json_object_array_add(cmds, j);
	}
	json_object *vm = vh_setup_vm_json(s);
	json_object_object_add(o, "files", files);
	json_object_object_add(o, "commands", cmds);
	json_object_object_add(o, "vm", vm);
	json_object_object_add(o, "reboot_required", json_object_new_boolean(s->reboot_required));
	json_object_object_add(o, "journal",
			       s->journal[0] ? json_object_new_string(s->journal) : NULL);
	return o;
}

void vh_setup_print(const struct vh_setup *s, FILE *out)
{
	fprintf(out, "VM %u: boot loader %s (%s)\n", s->vmid, vh_boot_kind_name(s->boot.kind),
		s->boot.why);
	if (vh_setup_empty(s)) {
		fprintf(out, "nothing to do: every part is in place%s\n",
			s->reboot_required ? " (a reboot is pending)" : "");
		return;
	}
	for (size_t i = 0; i < s->n_files; i++) {
		char *diff = file_diff(&s->files[i]);
		fprintf(out, "\n%s %s\n  why: %s\n%s", action_name(s->files[i].action),
			s->files[i].path, s->files[i].reason, diff ? diff : "");
		free(diff);
	}
	for (size_t i = 0; i < s->n_commands; i++) {
		const struct vh_setup_command *c = &s->commands[i];
		fprintf(out, "\nrun ");
		for (size_t k = 0; k < c->argc; k++)
			fprintf(out, "%s%s", k ? " " : "", c->argv[k]);
		fprintf(out, "%s\n  why: %s\n",
			!c->run          ? "   (not run)"
			: c->status == 0 ? "   (done)"
					 : "   (FAILED)",
			c->reason);
	}
	if (s->reboot_required)
		fprintf(out,
			"\nthen reboot: kernel options and the initramfs take effect at boot\n");
	if (s->journal[0])
		fprintf(out, "journal %s (hookctl setup --undo %s)\n", s->journal, s->journal);
}
