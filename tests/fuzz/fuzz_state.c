/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hook's state file (state.c, vh_state_parse): any bytes. A state that
 * parses is saved and loaded back (in a scratch directory made once per
 * process, on tmpfs where there is one) and must come back the same.
 */
#include "fuzz.h"
#include "pve/state.h"

#include <fcntl.h>
#include <unistd.h>

static char dir[64];

static void remove_dir(void)
{
	rmdir(dir); /* empty: each state is cleared after its round trip */
}

static int dirfd_once(void)
{
	static int fd = -1;
	if (fd >= 0)
		return fd;
	snprintf(dir, sizeof(dir), "%s/vfiohelp-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir) || (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	atexit(remove_dir);
	return fd;
}

static void check_device(const struct vh_state_device *d)
{
	struct vh_pci_addr a;
	FUZZ_TERMINATED(d->addr);
	FUZZ_TERMINATED(d->driver);
	FUZZ_TERMINATED(d->override);
	FUZZ_CHECK(vh_pci_addr_parse(d->addr, strlen(d->addr), &a) == 0 && a.has_func);
	FUZZ_CHECK(!d->driver[0] || vh_is_safe_component(d->driver));
	FUZZ_CHECK(!d->override[0] || vh_is_safe_component(d->override));
}

static void round_trip(const struct vh_state *s)
{
	static struct vh_state back; /* 40 KB: not on libFuzzer's stack */
	struct vh_err err = { .msg = "" };
	int fd = dirfd_once();
	FUZZ_CHECK(vh_state_save(fd, s, &err) == 0);
	FUZZ_CHECK(vh_state_load(fd, s->vmid, &back, &err) == 1);
	FUZZ_CHECK(back.vmid == s->vmid && back.time == s->time);
	FUZZ_CHECK(!strcmp(back.boot_id, s->boot_id));
	FUZZ_CHECK(back.n_devices == s->n_devices);
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct vh_state_device *a = &s->devices[i], *b = &back.devices[i];
		FUZZ_CHECK(!strcmp(a->addr, b->addr) && !strcmp(a->driver, b->driver) &&
			   !strcmp(a->override, b->override) && a->vendor == b->vendor &&
			   a->device == b->device);
	}
	FUZZ_CHECK(vh_state_clear(fd, s->vmid) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vh_state s;
	struct vh_err err = { .msg = "" };
	if (vh_state_parse((const char *)data, size, 100, &s, &err) < 0) {
		FUZZ_CHECK(err.msg[0] != '\0');
		FUZZ_CHECK(s.n_devices == 0); /* a refused state is empty */
		return 0;
	}
	FUZZ_CHECK(s.vmid == 100);
	FUZZ_CHECK(s.n_devices <= VH_STATE_MAX_DEVICES);
	FUZZ_TERMINATED(s.boot_id);
	for (size_t i = 0; i < s.n_devices; i++)
		check_device(&s.devices[i]);
	round_trip(&s);
	return 0;
}
