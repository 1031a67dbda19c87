/* SPDX-License-Identifier: GPL-2.0-or-later */
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

#define MODPROBE_FILE VH_SETUP_MODPROBE_FILE
#define MODULES_FILE VH_SETUP_MODULES_FILE
#define GRUB_DROPIN VH_SETUP_GRUB_DROPIN
#define KERNEL_CMDLINE VH_SETUP_KERNEL_CMDLINE

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
 * planned when the file already holds exactly that. A target setup could
 * not restore exactly (a symlink, a foreign owner) makes the plan fail. */
static int plan_file(struct vh_setup *s, struct vh_host *h, const char *abs, const char *text,
		     const char *reason, struct vh_err *err)
{
	char path[PATH_MAX];
	if (vh_host_path(h, path, sizeof(path), "%s", abs) < 0)
		return vh_fail(err, "%s: path too long", abs);
	char *old = NULL;
	size_t old_len = 0;
	struct stat st;
	bool existed = stat(path, &st) == 0 && vh_slurp(path, 1u << 20, &old, &old_len) == 0;
	if ((!existed && !text) ||
	    (existed && text && old_len == strlen(text) && !memcmp(old, text, old_len))) {
		free(old);
		return 0;
	}
	if (vh_setup_target_ok(h, abs, err) < 0 || s->n_files >= VH_SETUP_MAX_FILES) {
		free(old);
		return s->n_files >= VH_SETUP_MAX_FILES ? vh_fail(err, "the plan is full") : -1;
	}
	struct vh_setup_file *f = &s->files[s->n_files++];
	memset(f, 0, sizeof(*f));
	vh_strlcpy(f->path, abs, sizeof(f->path));
	vh_strlcpy(f->reason, reason, sizeof(f->reason));
	f->existed = existed;
	f->old = old;
	f->old_len = old_len;
	f->old_mode = existed ? st.st_mode & 0666 : 0644;
	f->action = !text ? VH_FILE_REMOVE : existed ? VH_FILE_MODIFY : VH_FILE_CREATE;
	if (text) {
		f->new_ = strdup(text);
		f->new_len = strlen(text);
		if (!f->new_)
			return vh_fail(err, "out of memory");
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
	/* Only where the IOMMU is off now: Debian's own kernels (and others) build
	 * the Intel IOMMU on by default before 6.8 too (seen on the boot bench). */
	if (vh_cpu_vendor(h) == VH_CPU_INTEL && kernel_before_6_8(h->kver) &&
	    vh_setup_finding(r, VH_F_IOMMU_DISABLED) &&
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

/* Words of `add` not yet in `have`, appended to have (space-separated). */
static void add_words(char *have, size_t size, const char *add)
{
	char missing[VH_CMDLINE_MAX];
	vh_words_missing(add, have, missing, sizeof(missing));
	if (missing[0]) {
		append(have, size, " ");
		append(have, size, missing);
	}
}

static int plan_grub(struct vh_setup *s, struct vh_host *h, const char *opts, const char *why,
		     struct vh_err *err)
{
	char *old = host_text(h, GRUB_DROPIN), linux_[VH_CMDLINE_MAX] = "",
	     mine[VH_CMDLINE_MAX] = "";
	if (old)
		vh_grub_defaults_apply(old, strlen(old), linux_, mine, sizeof(mine));
	free(old);
	char text[VH_CMDLINE_MAX + 256], reason[768], eff[2 * VH_CMDLINE_MAX], over[300];
	add_words(mine, sizeof(mine), opts);
	if (vh_format(text, sizeof(text),
		      "# hookctl setup: kernel options for PCI passthrough (undo: hookctl setup "
		      "--undo)\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT %s\"\n",
		      vh_strip(mine)) < 0)
		return vh_fail(err, "the kernel options do not fit in %s", GRUB_DROPIN);
	/* A later drop-in that sets GRUB_CMDLINE_LINUX_DEFAULT anew would drop
	 * them: writing ours again could never take effect. */
	vh_grub_cmdline_with(h, strrchr(GRUB_DROPIN, '/') + 1, text, opts, eff, sizeof(eff), over,
			     sizeof(over));
	char missing[VH_CMDLINE_MAX];
	vh_words_missing(opts, eff, missing, sizeof(missing));
	if (missing[0]) {
		vh_setup_note(
			s,
			"kernel options%s are not planned: %s sets GRUB_CMDLINE_LINUX_DEFAULT "
			"after %s without keeping its value, so they could not reach the kernel "
			"line; add them in %s (or let it extend $GRUB_CMDLINE_LINUX_DEFAULT), "
			"then update-grub",
			opts, over[0] ? over : "a GRUB defaults file", GRUB_DROPIN,
			over[0] ? over : "that file");
		return 0;
	}
	snprintf(reason, sizeof(reason),
		 "%sGRUB reads /etc/default/grub.d/*.cfg after /etc/default/grub.", why);
	int rc = plan_file(s, h, GRUB_DROPIN, text, reason, err);
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
	int rc = plan_file(s, h, KERNEL_CMDLINE, text, reason, err);
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
		return plan_grub(s, h, opts, why, err);
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

static int plan_modules_load(struct vh_setup *s, struct vh_host *h, struct vh_err *err)
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
	return plan_file(s, h, MODULES_FILE, text, reason, err) < 0 ? -1 : 0;
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
	char ids[256];      /* "v:d,v:d": ids the effective ids= lacks */
	char why[512];
	const char *unindexed; /* a device whose host driver could not be looked up */
};

static void want_driver(struct vh_host *h, const struct vh_device *d, struct modprobe_want *w)
{
	char names[8][64];
	size_t n = 0;
	if (vh_modalias_drivers(h, d->modalias, names, 8, &n, NULL) < 0 || !vh_kmod_indexed(h)) {
		w->unindexed = w->unindexed ? w->unindexed : d->name;
		return;
	}
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

/* text with [off, off+len) replaced by repl, into a fresh buffer. */
static char *text_splice(const char *text, size_t off, size_t len, const char *repl)
{
	size_t n = strlen(text), r = strlen(repl);
	char *out = off + len <= n ? malloc(n - len + r + 1) : NULL;
	if (!out)
		return NULL;
	memcpy(out, text, off);
	memcpy(out + off, repl, r);
	memcpy(out + off + r, text + off + len, n - off - len + 1);
	return out;
}

struct ids_target {
	char path[160]; /* the file that gets the one effective ids= */
	char value[1024];
	struct vh_ids_site site; /* where it stands in that file (site.path "" : a new line) */
};

/* Where the one effective ids= goes: merged into the line that is effective
 * now when an /etc/modprobe.d file holds it, else a line in our file, which
 * libkmod must then read after every other ids= line. */
static int ids_target(struct vh_host *h, const struct modprobe_want *w, struct ids_target *t,
		      struct vh_err *err)
{
	char eff[1024];
	int e = vh_vfio_ids_effective(h, eff, sizeof(eff));
	memset(t, 0, sizeof(*t));
	if (vh_format(t->value, sizeof(t->value), "%s%s%s", e > 0 ? eff : "",
		      e > 0 && eff[0] ? "," : "", w->ids) < 0)
		return vh_fail(err, "the vfio-pci ids= value does not fit");
	if (e > 0 && vh_vfio_ids_site(h, eff, &t->site) == 1 &&
	    !strncmp(t->site.path, "/etc/modprobe.d/", 16) &&
	    strcmp(t->site.path, "/etc/modprobe.d/pve-blacklist.conf")) {
		vh_strlcpy(t->path, t->site.path, sizeof(t->path));
		return 0;
	}
	if (e > 0 && (!vh_vfio_ids_site(h, eff, &t->site) ||
		      strcmp(strrchr(t->site.path, '/'), strrchr(MODPROBE_FILE, '/')) > 0))
		return vh_failc(err, EEXIST,
				"the effective vfio-pci ids=%s stands where setup does not write "
				"(%s): add %s to it by hand, then update-initramfs -u -k all",
				eff,
				t->site.path[0] ? t->site.path
						: "a continued line or the kernel "
						  "command line",
				w->ids);
	memset(&t->site, 0, sizeof(t->site));
	vh_strlcpy(t->path, MODPROBE_FILE, sizeof(t->path));
	return 0;
}

/* Our file: its lines as they are (with the effective ids= merged when it
 * holds it, or a new ids= line), then the new softdeps. */
static char *our_modprobe_text(struct vh_host *h, const struct modprobe_want *w,
			       const struct ids_target *t)
{
	char *old = host_text(h, MODPROBE_FILE);
	const char *base = old ? old
			       : "# hookctl setup: vfio-pci first (undo: hookctl setup --undo)\n";
	bool here = w->ids[0] && !strcmp(t->path, MODPROBE_FILE);
	char *text = here && t->site.path[0] ? text_splice(base, t->site.off, t->site.len, t->value)
					     : strdup(base);
	free(old);
	size_t need = (text ? strlen(text) : 0) + strlen(w->softdeps) + strlen(t->value) + 64;
	char *out = text ? malloc(need) : NULL;
	if (out)
		snprintf(out, need, "%s%s%s%s%s", text, w->softdeps,
			 here && !t->site.path[0] ? "options vfio-pci ids=" : "",
			 here && !t->site.path[0] ? t->value : "",
			 here && !t->site.path[0] ? "\n" : "");
	free(text);
	return out;
}

/* The merged ids= in another /etc/modprobe.d file that holds the effective line. */
static int plan_ids_elsewhere(struct vh_setup *s, struct vh_host *h, const struct ids_target *t,
			      const char *reason, struct vh_err *err)
{
	char *old = host_text(h, t->path);
	char *text = old ? text_splice(old, t->site.off, t->site.len, t->value) : NULL;
	free(old);
	if (!text)
		return vh_fail(err, "cannot read %s", t->path);
	int rc = plan_file(s, h, t->path, text, reason, err);
	free(text);
	return rc;
}

static int plan_modprobe(struct vh_setup *s, struct vh_host *h, const struct vh_report *r,
			 struct vh_err *err)
{
	struct modprobe_want w = { "", "", "", NULL };
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_device *d = r->devices[i].dev;
		/* every VF of a PF shares one id: a VF is bound by its address */
		if (r->devices[i].role != VH_ROLE_VFIO || !d || !d->present || d->is_bridge ||
		    d->is_vf || !d->modalias[0])
			continue;
		want_driver(h, d, &w);
		want_id(h, r, d, &w);
	}
	if (w.unindexed)
		vh_setup_note(s,
			      "softdeps not judged: kernel %s has no module index under "
			      "/lib/modules (depmod), so which host driver would take %s at boot is "
			      "unknown; run depmod -a and plan again",
			      h->kver[0] ? h->kver : "(unknown)", w.unindexed);
	if (!w.softdeps[0] && !w.ids[0])
		return 0;
	struct ids_target t = { 0 };
	if (w.ids[0] && ids_target(h, &w, &t, err) < 0)
		return -1;
	char reason[768];
	snprintf(reason, sizeof(reason), "%s%s%s%s", w.why, w.ids[0] ? "vfio-pci claims " : "",
		 w.ids,
		 w.ids[0] ? " at boot: one effective ids= (the kernel keeps the last one modprobe "
			    "passes), merged with the ids already claimed."
			  : "");
	vh_strip(reason);
	if (w.ids[0] && strcmp(t.path, MODPROBE_FILE) &&
	    plan_ids_elsewhere(s, h, &t, reason, err) < 0)
		return -1;
	if (!w.softdeps[0] && strcmp(t.path, MODPROBE_FILE))
		return 0;
	char *text = our_modprobe_text(h, &w, &t);
	int rc = text ? plan_file(s, h, MODPROBE_FILE, text, reason, err)
		      : vh_fail(err, "out of memory");
	free(text);
	return rc < 0 ? -1 : 0;
}

/* ---- the whole plan ---- */

static void plan_initramfs(struct vh_setup *s, const struct vh_report *r)
{
	bool files = false;
	for (size_t i = 0; i < s->n_files; i++)
		files |= !strncmp(s->files[i].path, "/etc/modprobe.d/", 16) ||
			 !strcmp(s->files[i].path, MODULES_FILE);
	if (!files && !vh_setup_finding(r, VH_F_INITRAMFS_STALE))
		return;
	static const char *const argv[] = { "/usr/sbin/update-initramfs", "-u", "-k", "all", NULL };
	vh_setup_add_command(
		s,
		files ? "the initramfs carries modprobe.d and loads vfio-pci before the host drivers"
		      : "initramfs-stale: an image holds modprobe.d as it was",
		true, argv);
	s->reboot_required = true;
}

struct vh_setup *vh_setup_plan(struct vh_host *h, unsigned vmid, const struct vh_setup_options *o,
			       struct vh_err *err)
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
	if (rc == 0 && (plan_modules_load(s, h, err) < 0 || plan_modprobe(s, h, r, err) < 0))
		rc = -1;
	if (rc == 0) {
		plan_initramfs(s, r);
		s->reboot_required |= vh_setup_finding(r, VH_F_CMDLINE_PENDING) != NULL;
		if (o->with_vm)
			vh_setup_plan_vm(s, h, r, o);
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
	json_object *notes = json_object_new_array();
	for (size_t i = 0; i < s->n_notes; i++)
		json_object_array_add(notes, json_object_new_string(s->notes[i]));
	json_object_object_add(o, "notes", notes);
	json_object_object_add(o, "reboot_required", json_object_new_boolean(s->reboot_required));
	json_object_object_add(o, "journal",
			       s->journal[0] ? json_object_new_string(s->journal) : NULL);
	return o;
}

void vh_setup_print(const struct vh_setup *s, FILE *out)
{
	fprintf(out, "VM %u: boot loader %s (%s)\n", s->vmid, vh_boot_kind_name(s->boot.kind),
		s->boot.why);
	for (size_t i = 0; i < s->n_notes; i++)
		fprintf(out, "\nnote: %s\n", s->notes[i]);
	if (vh_setup_empty(s)) {
		fprintf(out, "%snothing to do: every part is in place%s\n", s->n_notes ? "\n" : "",
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
