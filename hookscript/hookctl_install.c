/*
 * hookctl install VMID [--storage NAME] [--root DIR] [--apply]
 *
 * Copies this build's vfio-hook into the snippets directory of a storage
 * (from /etc/pve/storage.cfg; `local` is /var/lib/vz) and prints the
 * `qm set` line that registers it. With --apply it runs that line: qm is the
 * only correct writer of a VM config (it takes pmxcfs's lock), so hookctl
 * runs /usr/sbin/qm directly, with an argument vector and no shell, rather
 * than writing the config itself.
 */
#include "hookctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vfiohelp.h>

#define QM_PATH "/usr/sbin/qm"

static bool is_storage_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 64 || !((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

/* The storage's base path from storage.cfg ("dir: NAME" ... "path /x"), or
 * Proxmox's defaults: local is /var/lib/vz, nfs/cifs/cephfs mount under
 * /mnt/pve/NAME. Fails when the storage does not carry snippets. */
static int storage_path(const char *root, const char *storage, char *out, size_t size)
{
	char cfg[PATH_MAX], line[1024], type[32] = "";
	bool in = false, found = false, snippets = false;
	snprintf(cfg, sizeof(cfg), "%s/etc/pve/storage.cfg", root);
	out[0] = '\0';
	FILE *f = fopen(cfg, "r");
	if (!f && !strcmp(storage, "local")) {
		snprintf(out, size, "/var/lib/vz");
		return 0; /* a fresh node's local storage */
	}
	if (!f)
		return fprintf(stderr, "hookctl: cannot read %s: %s\n", cfg, strerror(errno)), -1;
	while (fgets(line, sizeof(line), f)) {
		char key[32], val[512];
		if (line[0] != ' ' && line[0] != '\t') {
			char id[128];
			in = sscanf(line, "%31[a-z]: %127s", type, id) == 2 && !strcmp(id, storage);
			found |= in;
		} else if (in && sscanf(line, " %31s %511s", key, val) == 2) {
			if (!strcmp(key, "path"))
				snprintf(out, size, "%s", val);
			else if (!strcmp(key, "content"))
				snippets = strstr(val, "snippets") != NULL;
		}
		if (in && !out[0] && (!strcmp(type, "nfs") || !strcmp(type, "cifs") || !strcmp(type, "cephfs")))
			snprintf(out, size, "/mnt/pve/%s", storage);
	}
	fclose(f);
	if (!found || !out[0] || out[0] != '/' || strstr(out, ".."))
		return fprintf(stderr, "hookctl: storage '%s' is not a directory storage in %s\n",
			       storage, cfg), -1;
	if (!snippets)
		return fprintf(stderr, "hookctl: storage '%s' does not hold snippets; enable it with: "
				       "pvesm set %s --content <current>,snippets\n", storage, storage), -1;
	return 0;
}

static int copy_self(const char *dest)
{
	char self[PATH_MAX], tmp[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return fprintf(stderr, "hookctl: cannot find its own binary: %s\n", strerror(errno)), -1;
	self[n] = '\0';
	/* vfio-hook is built next to hookctl */
	char dir[PATH_MAX], src[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", self);
	snprintf(src, sizeof(src), "%s/vfio-hook", dirname(dir));
	snprintf(tmp, sizeof(tmp), "%s.new", dest);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fprintf(stderr, "hookctl: %s: %s\n", src, strerror(errno)), -1;
	unlink(tmp);
	int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return fprintf(stderr, "hookctl: %s: %s\n", tmp, strerror(errno)), -1;
	}
	char buf[65536];
	int rc = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (n < 0 || fsync(out) < 0)
		rc = -1;
	close(in);
	close(out);
	if (rc < 0 || rename(tmp, dest) < 0) {
		unlink(tmp);
		return fprintf(stderr, "hookctl: writing %s failed: %s\n", dest, strerror(errno)), -1;
	}
	return 0;
}

static int run_qm(unsigned vmid, const char *storage)
{
	char id[16], script[160];
	snprintf(id, sizeof(id), "%u", vmid);
	snprintf(script, sizeof(script), "%s:snippets/vfio-hook", storage);
	pid_t pid = fork();
	if (pid == 0) {
		char *const argv[] = { "qm", "set", id, "--hookscript", script, NULL };
		execv(QM_PATH, argv);
		fprintf(stderr, "hookctl: cannot run %s: %s\n", QM_PATH, strerror(errno));
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

int hookctl_install(int argc, char **argv)
{
	struct vh_cli cli;
	unsigned vmid;
	if (vh_cli_parse(argc, argv, 2, VH_OPT_ROOT | VH_OPT_STORAGE | VH_OPT_APPLY, &cli, stderr) < 0 ||
	    cli.nargs != 1 || vh_vmid_parse(cli.args[0], &vmid) < 0) {
		fprintf(stderr, "usage: hookctl install VMID [--storage NAME] [--root DIR] [--apply]\n");
		return HOOKCTL_USAGE;
	}
	const char *storage = cli.storage ? cli.storage : "local";
	const char *root = cli.root && strcmp(cli.root, "/") ? cli.root : "";
	char base[PATH_MAX], dest[PATH_MAX * 2];
	if (!is_storage_id(storage)) {
		fprintf(stderr, "hookctl: '%s' is not a storage id\n", storage);
		return HOOKCTL_USAGE;
	}
	if (cli.apply && root[0]) {
		fprintf(stderr, "hookctl: --apply changes the live cluster; it cannot go with --root\n");
		return HOOKCTL_USAGE;
	}
	if (storage_path(root, storage, base, sizeof(base)) < 0)
		return HOOKCTL_USAGE;
	snprintf(dest, sizeof(dest), "%s%s/snippets", root, base);
	if (mkdir(dest, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "hookctl: cannot create %s: %s\n", dest, strerror(errno));
		return HOOKCTL_USAGE;
	}
	strcat(dest, "/vfio-hook");
	if (copy_self(dest) < 0)
		return HOOKCTL_USAGE;
	printf("installed %s\n", dest);
	if (!cli.apply) {
		printf("register it for VM %u with:\n  qm set %u --hookscript %s:snippets/vfio-hook\n", vmid,
		       vmid, storage);
		return HOOKCTL_OK;
	}
	if (run_qm(vmid, storage) < 0) {
		fprintf(stderr, "hookctl: qm set %u --hookscript %s:snippets/vfio-hook failed\n", vmid, storage);
		return HOOKCTL_USAGE;
	}
	printf("VM %u now runs %s:snippets/vfio-hook at every start and stop\n", vmid, storage);
	return HOOKCTL_OK;
}
