/* The initramfs image reader (host/initramfs.c): the input is an image file
 * (any bytes: cpio archives one after another, compressed or not, zero
 * padding). Whatever it holds, the reader keeps within its bounds, runs no
 * external decompressor and, when it fails, says why. */
#include "fuzz.h"
#include "host/initramfs.h"

#include <errno.h>
#include <unistd.h>

static char path[64];
static int fd = -1;

/* One scratch file per process, rewritten for each input. */
static void image_file(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/vfiohelp-fuzz-initramfs-XXXXXX");
		fd = mkstemp(path);
		FUZZ_CHECK(fd >= 0);
		unlink(path);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	image_file(data, size);
	struct vh_conf_set s = { 0 };
	struct vh_err err = { 0 };
	size_t kept = 0;
	if (vh_initramfs_read(path, &s, &err) < 0) {
		FUZZ_TERMINATED(err.msg);
		FUZZ_CHECK(err.msg[0] && err.code);
		FUZZ_CHECK(s.n == 0 && s.f == NULL); /* nothing half read is handed out */
		return 0;
	}
	FUZZ_CHECK(s.n <= 1024);
	for (size_t i = 0; i < s.n; i++) {
		const struct vh_conf_file *f = &s.f[i];
		FUZZ_TERMINATED(f->key);
		FUZZ_CHECK(!strncmp(f->key, "etc/modprobe.d/", 15) ||
			   !strncmp(f->key, "lib/modprobe.d/", 15));
		FUZZ_CHECK(vh_modprobe_conf_name(f->key + 15));
		FUZZ_CHECK(f->data && f->data[f->len] == '\0' && f->len <= (256u << 10));
		kept += f->len;
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(s.f[j].key, f->key)); /* one content per key */
	}
	FUZZ_CHECK(kept <= (4u << 20)); /* links to one file count each time */
	vh_conf_set_free(&s);
	return 0;
}
