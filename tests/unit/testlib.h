/* Shared by the unit tests: host trees, scratch copies, running binaries. */
#ifndef VH_TESTLIB_H
#define VH_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vfiohelp.h"

/* Path of a committed host tree, tests/hosts/<name> (static buffer). */
const char *vh_test_host(const char *name);
/* A writable copy of tree `src` in a fresh temporary directory (symlinks kept
 * as links). Free with vh_test_scratch_free, which removes it. */
char *vh_test_scratch_copy(const char *src);
/* An empty temporary directory. */
char *vh_test_scratch_empty(void);
void vh_test_scratch_free(char *dir);
/* A ROM of Debian's ipxe-qemu (Debian 12: /usr/lib/ipxe/qemu, 13:
 * /usr/share/qemu), NULL when the package is not installed (static buffer). */
const char *vh_test_ipxe_rom(const char *name);
/* Removes path and everything under it (never follows a link). */
void vh_test_rmtree(const char *path);
/* Writes `content` to dir/rel, creating parent directories. */
void vh_test_write(const char *dir, const char *rel, const char *content);
/* VM vmid runs as pid on the tree: run/qemu-server/<vmid>.pid and a
 * proc/<pid>/cmdline naming its pidfile, as qemu-server's vm_running_locally
 * wants it. */
void vh_test_vm_running(const char *root, unsigned vmid, unsigned pid);
/* Reads dir/rel into a static buffer (asserts it exists). */
const char *vh_test_read(const char *dir, const char *rel);
/* Runs argv (argv[0] a path), returns its exit status; stdout/stderr are
 * captured into malloc'd strings (either pointer may be NULL). */
int vh_test_run(const char *const argv[], char **out, char **err);
/* One run of a program, bounded in time (vh_test_run_env). */
struct vh_test_proc {
	int status;   /* exit status, 128 + signal, or -1: still running at the limit (killed) */
	long exit_ms; /* start to exit; -1 when it did not exit within the limit */
	long eof_ms;  /* start to end-of-file on its stdout; -1 when that did not come within
		       * the limit (a process that outlived it still holds the pipe) */
	char *out;    /* stdout and stderr as read until EOF or the limit */
	char *err;
};
/* Runs argv with the entries of env ("NAME=VALUE", NULL-terminated; env may
 * be NULL) added to the environment, reading stdout and stderr, for at most
 * limit_ms: then a child still running is killed, and pipes not at EOF are
 * closed. The times are measured in the parent. */
void vh_test_run_env(const char *const argv[], const char *const env[], unsigned limit_ms,
		     struct vh_test_proc *p);
void vh_test_proc_free(struct vh_test_proc *p);
/* Starts argv with env added (as vh_test_run_env), stdout and stderr to the
 * given descriptors, stdin from /dev/null; returns the pid. */
int vh_test_spawn_env(const char *const argv[], const char *const env[], int out_fd, int err_fd);

/* The kernel stand-in (tests/mock/vhmock.c), preloaded into the real vfio-hook.
 * Runs `vfio-hook --root root VMID PHASE` under it, with extra environment
 * (e.g. "VH_MOCK_FAIL_WRITE=3"; NULL-terminated, may be NULL). Its state is
 * in root/.vhmock: writes.log, count, resets/<addr>, hung.pids. */
void vh_test_mock_hook(const char *root, const char *vmid, const char *phase,
		       const char *const extra_env[], unsigned limit_ms, struct vh_test_proc *p);
/* The environment entries vh_test_mock_hook adds for root (static storage,
 * NULL-terminated): VH_MOCK_ROOT and LD_PRELOAD. */
const char *const *vh_test_mock_env(const char *root);
/* Forgets the writes counted and logged so far (the next write is number 1). */
void vh_test_mock_reset_count(const char *root);
/* The write log ("" when nothing was written; static buffer). */
const char *vh_test_mock_writes(const char *root);
/* How many writes the log holds. */
unsigned vh_test_mock_write_count(const char *root);
/* Kills the processes a hung write left behind (.vhmock/hung.pids). */
void vh_test_mock_kill_hung(const char *root);

/* Asserts that haystack contains needle, printing both when it does not. */
#define assert_contains(haystack, needle) \
	vh_test_assert_contains((haystack), (needle), __FILE__, __LINE__)
#define assert_not_contains(haystack, needle) \
	vh_test_assert_not_contains((haystack), (needle), __FILE__, __LINE__)
void vh_test_assert_contains(const char *h, const char *n, const char *file, int line);
void vh_test_assert_not_contains(const char *h, const char *n, const char *file, int line);

/* Shows vfio, vfio_iommu_type1 and vfio_pci loaded in a scratch tree and
 * gives it vfio-pci's driver directory (bind, unbind, new_id, remove_id,
 * uevent): a tree cannot load modules, but the hook then gets as far as
 * writing the bind. */
void vh_test_load_vfio(const char *root);

/* A made-up PCI expansion ROM (host/rom.h has the layout): each image has
 * its 0x55AA header, a PCIR (revision 3) at 0x20, an EFI header for code type
 * 3, and an x86 image's bytes sum to 0 unless badsum. No code. */
struct vh_test_rom_image {
	uint8_t code_type; /* 0 x86, 3 EFI, anything else */
	uint16_t vendor, device;
	uint32_t class_code; /* 0: 0x030000 */
	uint16_t blocks;     /* its size in 512-byte units; 0: 2 */
	uint16_t list[4];    /* the PCIR device list, 0-ended; list[0] 0: none */
	bool badsum;         /* x86: the bytes do not sum to 0 */
	bool zero_length;    /* the PCIR says length 0 (the bytes are still there) */
};
/* header bytes (never 0x55 0xAA) in front, then the images; the last is marked
 * last unless unterminated. A malloc'd buffer of exactly *len bytes. */
uint8_t *vh_test_make_rom(size_t header, const struct vh_test_rom_image *imgs, size_t n,
			  bool unterminated, size_t *len);
/* Writes len bytes to dir/rel, creating parent directories. */
void vh_test_write_bytes(const char *dir, const char *rel, const uint8_t *data, size_t len);

/* One evaluation of a VM on a host tree, and what it found. */
struct vh_test_eval {
	struct vh_host *h;
	struct vh_report *r;
};
/* Evaluates VM vmid on the tree at root (policy NULL: the tree's default). */
struct vh_test_eval vh_test_evaluate(const char *root, unsigned vmid, const char *policy);
void vh_test_eval_done(struct vh_test_eval *ev);
/* The first finding with this id (and subject, unless NULL). */
const struct vh_finding *vh_test_find(const struct vh_report *r, const char *id,
				      const char *subject);
/* Asserts the finding is there with this severity (listing all findings when not). */
const struct vh_finding *vh_test_expect(const struct vh_report *r, const char *id,
					const char *subject, enum vh_severity sev);
void vh_test_expect_none(const struct vh_report *r, const char *id);
/* Asserts that check was not judged and that its reason holds why_part;
 * lists what was not judged when not. */
const struct vh_unjudged *vh_test_expect_unjudged(const struct vh_report *r, const char *check,
						  const char *why_part);

/* One member of a newc archive for vh_test_cpio: a regular file holding
 * data (len bytes; 0: strlen(data)) or, with link set, a symlink to link. */
struct vh_test_member {
	const char *path;
	const char *data;
	const char *link;
	size_t len;
};
/* Appends one newc archive of members to fd, through filter
 * (ARCHIVE_FILTER_NONE, _GZIP, _ZSTD, _XZ or _LZMA), as initramfs images are made. */
void vh_test_cpio(int fd, const struct vh_test_member *m, size_t n, int filter);

#endif
