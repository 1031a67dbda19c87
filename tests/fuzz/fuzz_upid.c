/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Proxmox task names (tasklog.c, vh_task_upid_parse): what parses has its
 * fields within their arrays and a log directory that is a hex digit. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_task_upid u;
	if (vh_task_upid_parse((const char *)data, size, &u) < 0)
		return 0;
	FUZZ_CHECK(size < VH_TASK_UPID_MAX);
	FUZZ_TERMINATED(u.node);
	FUZZ_TERMINATED(u.type);
	FUZZ_TERMINATED(u.id);
	FUZZ_TERMINATED(u.user);
	FUZZ_CHECK(u.node[0] && u.type[0] && u.user[0]);
	FUZZ_CHECK(strchr("0123456789abcdefABCDEF", u.subdir) && u.subdir);
	FUZZ_CHECK(u.starttime >= 0 && u.starttime <= UINT32_MAX);
	/* the node, type, id and user are safe in a path: no '/' */
	FUZZ_CHECK(!strchr(u.node, '/') && !strchr(u.type, '/') && !strchr(u.id, '/') &&
		   !strchr(u.user, '/'));
	unsigned vmid;
	if (vh_vmid_parse(u.id, &vmid) == 0)
		FUZZ_CHECK(vmid >= 100 && vmid <= 999999999);
	return 0;
}
