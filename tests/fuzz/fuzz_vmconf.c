/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM config grammar (vmconf.c): any bytes, any VMID. */
#include "fuzz.h"
#include "internal.h"

static void check_hostpci(const struct vh_hostpci *hp)
{
	FUZZ_CHECK(hp->index >= 0 && hp->index < VH_MAX_HOSTPCI);
	FUZZ_CHECK(hp->n_addrs <= VH_MAX_HOSTPCI_ADDRS);
	FUZZ_CHECK((hp->n_addrs > 0) != hp->has_mapping); /* host= or mapping=, never both */
	FUZZ_TERMINATED(hp->raw);
	FUZZ_TERMINATED(hp->mapping);
	FUZZ_TERMINATED(hp->romfile);
	FUZZ_TERMINATED(hp->mdev);
	for (size_t i = 0; i < hp->n_addrs; i++)
		FUZZ_CHECK(hp->addrs[i].func <= 0xf); /* the grammar's bound, wider than hardware */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vh_vmconf vm;
	struct vh_err err = { .msg = "" };
	if (vh_vmconf_parse((const char *)data, size, 100, &vm, &err) < 0) {
		FUZZ_TERMINATED(err.msg);
		FUZZ_CHECK(err.msg[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(vm.vmid == 100);
	FUZZ_CHECK(vm.n_hostpci <= VH_MAX_HOSTPCI);
	FUZZ_TERMINATED(vm.machine_raw);
	FUZZ_TERMINATED(vm.cpu);
	FUZZ_TERMINATED(vm.args);
	FUZZ_TERMINATED(vm.vga);
	FUZZ_TERMINATED(vm.hookscript);
	for (size_t i = 0; i < vm.n_hostpci; i++)
		check_hostpci(&vm.hostpci[i]);
	return 0;
}
