/*
 * A host setup half done: the states the seed's phases leave when a step is
 * skipped (no update-initramfs, no refresh, no reboot, a file the tools do
 * not read). Each check reads only small files; the initramfs image is read
 * only when its verdict cache is out of date (host/initramfs.c).
 */
#include "internal.h"
#include "eval/checks.h"
#include "host/host.h"
#include "host/bootloader.h"
#include "host/initramfs.h"
#include "host/kmods.h"
#include "host/modconf.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* ---- initramfs ---- */

static void check_initramfs(struct vh_eval *ev)
{
	struct vh_initramfs_judgement j;
	vh_initramfs_judge(ev->h, &j);
	if (j.verdict == VH_INITRAMFS_UNREADABLE)
		vh_eval_unjudged(ev, "initramfs", "%s", j.detail);
	else if (j.verdict == VH_INITRAMFS_STALE)
		vh_eval_finding(ev, VH_F_INITRAMFS_STALE, "initramfs", "update-initramfs -u -k all",
				"the initramfs of kernel %s is older than modprobe.d: %s; at boot the "
				"image's copies decide which driver takes the device",
				j.kver, j.detail);
	else
		vh_eval_passed(ev, VH_TOPIC_HOST, "initramfs holds modprobe.d as on disk");
}

/* ---- kernel command line ---- */

static const char *refresh_of(enum vh_boot_kind k)
{
	return vh_boot_is_grub(k) ? "update-grub" : "proxmox-boot-tool refresh";
}

/* The boot loader's own file exists: without it nothing is configured to compare. */
static bool boot_config_present(struct vh_host *h, enum vh_boot_kind k)
{
	char path[PATH_MAX];
	return vh_host_path(h, path, sizeof(path), "%s",
			    vh_boot_is_grub(k) ? "/etc/default/grub" : "/etc/kernel/cmdline") ==
		       0 &&
	       vh_path_exists(path);
}

static void check_pending(struct vh_eval *ev, enum vh_boot_kind k)
{
	char conf[VH_CMDLINE_MAX], proc[VH_CMDLINE_MAX], want[VH_CMDLINE_MAX], have[VH_CMDLINE_MAX];
	char adds[VH_CMDLINE_MAX], drops[VH_CMDLINE_MAX], fix[256];
	if (!boot_config_present(ev->h, k) || vh_boot_cmdline(ev->h, k, conf, sizeof(conf)) < 0 ||
	    vh_cmdline_read(ev->h, proc, sizeof(proc), NULL) < 0) {
		vh_eval_unjudged(ev, "cmdline", "%s",
				 "the boot loader's configuration or /proc/cmdline cannot be read");
		return;
	}
	vh_cmdline_relevant(conf, want, sizeof(want));
	vh_cmdline_relevant(proc, have, sizeof(have));
	vh_words_missing(want, have, adds, sizeof(adds));
	vh_words_missing(have, want, drops, sizeof(drops));
	if (!adds[0] && !drops[0]) {
		vh_eval_passed(ev, VH_TOPIC_HOST, "kernel command line as %s is configured",
			       vh_boot_kind_name(k));
		return;
	}
	snprintf(fix, sizeof(fix), "%s && reboot", refresh_of(k));
	vh_eval_finding(ev, VH_F_CMDLINE_PENDING, "cmdline", fix,
			"the command line %s will boot %s%s%s%s%s than the running kernel's: the "
			"change takes effect after %s and a reboot",
			vh_boot_kind_name(k), adds[0] ? "adds " : "", adds,
			adds[0] && drops[0] ? " and " : "", drops[0] ? "drops " : "", drops,
			refresh_of(k));
}

static void ignored(struct vh_eval *ev, const char *file, const char *opts, const char *where,
		    enum vh_boot_kind k)
{
	char fix[512];
	/* a fix cut short would name the wrong options: none rather than that */
	if (vh_format(fix, sizeof(fix), "move '%s' to %s, then %s", opts, where, refresh_of(k)) < 0)
		fix[0] = '\0';
	vh_eval_finding(ev, VH_F_CMDLINE_IGNORED, file, fix,
			"%s holds %s, but this host boots through %s, which does not read it there",
			file, opts, vh_boot_kind_name(k));
}

static void check_ignored(struct vh_eval *ev, enum vh_boot_kind k)
{
	char grub[VH_CMDLINE_MAX], first[VH_CMDLINE_MAX], rest[VH_CMDLINE_MAX];
	char g[VH_CMDLINE_MAX], f[VH_CMDLINE_MAX], lost[VH_CMDLINE_MAX];
	vh_grub_cmdline(ev->h, grub, sizeof(grub));
	vh_cmdline_relevant(grub, g, sizeof(g));
	bool kc = vh_kernel_cmdline(ev->h, first, sizeof(first), rest, sizeof(rest)) == 0;
	vh_cmdline_relevant(first, f, sizeof(f));
	if (k == VH_BOOT_SYSTEMD_BOOT) {
		vh_words_missing(g, f, lost, sizeof(lost));
		if (lost[0])
			ignored(ev, "/etc/default/grub", lost,
				"the first line of /etc/kernel/cmdline", k);
		if (kc && rest[0]) {
			vh_words_missing(rest, f, lost, sizeof(lost));
			if (lost[0])
				vh_eval_finding(
					ev, VH_F_CMDLINE_IGNORED, "/etc/kernel/cmdline",
					"join every option onto the first line of /etc/kernel/cmdline, then "
					"proxmox-boot-tool refresh",
					"/etc/kernel/cmdline holds %s after its first line: only the first line "
					"is used",
					lost);
		}
	} else if (kc) {
		char all[2 * VH_CMDLINE_MAX + 2];
		snprintf(all, sizeof(all), "%s %s", f, rest);
		vh_words_missing(all, g, lost, sizeof(lost));
		if (lost[0])
			ignored(ev, "/etc/kernel/cmdline", lost,
				"a drop-in /etc/default/grub.d/vfiohelp.cfg (GRUB_CMDLINE_LINUX_DEFAULT)",
				k);
	}
}

static void check_cmdline(struct vh_eval *ev)
{
	struct vh_boot boot;
	vh_boot_detect(ev->h, &boot);
	if (boot.kind == VH_BOOT_UNKNOWN) {
		vh_eval_unjudged(ev, "cmdline", "%s", boot.why);
		return;
	}
	check_pending(ev, boot.kind);
	check_ignored(ev, boot.kind);
}

/* ---- modprobe.d ---- */

/* One /etc/modprobe.d entry, judged by the content modprobe and
 * mkinitramfs read (a symlink's target's). A name the tools skip by design
 * (a dotfile, a backup, dpkg's or ucf's copies) is no finding: renaming it
 * to .conf would activate a copy the admin or a package set aside. */
static void modprobe_file(struct vh_eval *ev, const char *name)
{
	char abs[PATH_MAX], subject[64], fix[512], *text;
	size_t len;
	bool conf = vh_modprobe_conf_name(name);
	if ((!conf && vh_modprobe_copy_name(name)) ||
	    vh_format(abs, sizeof(abs), "/etc/modprobe.d/%s", name) < 0 ||
	    vh_modprobe_file_read(ev->h, abs, &text, &len) < 0)
		return;
	if (vh_format(subject, sizeof(subject), "%s", abs) < 0)
		vh_strlcpy(subject, "/etc/modprobe.d", sizeof(subject)); /* the message names it */
	if (!conf && vh_modprobe_has_directives(text, len)) {
		/* a name a shell would split or expand gets words, not a command */
		if (!vh_is_safe_component(name) ||
		    vh_format(fix, sizeof(fix),
			      "mv /etc/modprobe.d/%s /etc/modprobe.d/%s.conf && "
			      "update-initramfs -u -k all",
			      name, name) < 0)
			vh_strlcpy(fix,
				   "give the file a name that ends in .conf, then "
				   "update-initramfs -u -k all",
				   sizeof(fix));
		vh_eval_finding(
			ev, VH_F_MODPROBE_LINE_IGNORED, subject, fix,
			"/etc/modprobe.d/%s has modprobe lines, but its name lacks .conf: modprobe "
			"and the initramfs ignore the whole file",
			name);
	}
	struct vh_bad_line bad[16];
	size_t nb = conf ? vh_modprobe_bad_lines(text, len, bad, VH_ARRAY_SIZE(bad)) : 0;
	for (size_t i = 0; i < nb; i++) {
		if (vh_format(fix, sizeof(fix),
			      "correct line %d of /etc/modprobe.d/%s, then "
			      "update-initramfs -u -k all",
			      bad[i].line, name) < 0)
			fix[0] = '\0';
		vh_eval_finding(ev, VH_F_MODPROBE_LINE_IGNORED, subject, fix,
				"/etc/modprobe.d/%s line %d: %s", name, bad[i].line, bad[i].why);
	}
	free(text);
}

static void check_modprobe_files(struct vh_eval *ev)
{
	char dir[PATH_MAX];
	if (vh_host_path(ev->h, dir, sizeof(dir), "/etc/modprobe.d") < 0)
		return;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			modprobe_file(ev, e->d_name);
	if (d)
		closedir(d);
}

/* ---- /etc/modules and modules-load.d ---- */

static void modules_file(struct vh_eval *ev, const char *abs, bool is_etc_modules)
{
	char path[PATH_MAX], *text, fix[256];
	size_t len;
	if (vh_host_path(ev->h, path, sizeof(path), "%s", abs) < 0 ||
	    vh_slurp(path, 1u << 20, &text, &len) < 0)
		return;
	struct vh_modules_line lines[128];
	size_t n = vh_modules_load_lines(text, len, lines, VH_ARRAY_SIZE(lines));
	bool indexed = vh_kmod_indexed(ev->h);
	for (size_t i = 0; i < n; i++) {
		const struct vh_modules_line *m = &lines[i];
		/* An unknown name in /etc/modules is module-unknown's (checks.c). */
		bool unknown = !m->why[0] && !is_etc_modules && indexed &&
			       !vh_module_exists(ev->h, m->name);
		if (!m->why[0] && !unknown)
			continue;
		snprintf(fix, sizeof(fix),
			 "sed -i '%dd' %s   # then list the module alone, options in "
			 "/etc/modprobe.d/*.conf",
			 m->line, abs);
		vh_eval_finding(ev, VH_F_MODULES_LINE_INVALID, m->name, fix, "%s line %d (%s) %s",
				abs, m->line, m->name,
				unknown ? "names no module of this kernel" : m->why);
	}
	free(text);
}

/* /etc/modules-load.d/modules.conf is Debian's link to ../modules: read once. */
static bool is_etc_modules(struct vh_host *h, const char *path)
{
	char a[PATH_MAX], b[PATH_MAX], etc[PATH_MAX];
	return vh_host_path(h, etc, sizeof(etc), "/etc/modules") == 0 && realpath(path, a) &&
	       realpath(etc, b) && !strcmp(a, b);
}

static void check_modules_load(struct vh_eval *ev)
{
	modules_file(ev, "/etc/modules", true);
	char dir[PATH_MAX];
	if (vh_host_path(ev->h, dir, sizeof(dir), "/etc/modules-load.d") < 0)
		return;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		char abs[300], path[PATH_MAX + 256];
		if (n <= 5 || strcmp(e->d_name + n - 5, ".conf") ||
		    !vh_is_safe_component(e->d_name) ||
		    vh_format(abs, sizeof(abs), "/etc/modules-load.d/%s", e->d_name) < 0 ||
		    vh_format(path, sizeof(path), "%s/%s", dir, e->d_name) < 0 ||
		    is_etc_modules(ev->h, path))
			continue;
		modules_file(ev, abs, false);
	}
	if (d)
		closedir(d);
}

void vh_check_setup(struct vh_eval *ev)
{
	check_initramfs(ev);
	check_cmdline(ev);
	check_modprobe_files(ev);
	check_modules_load(ev);
}
