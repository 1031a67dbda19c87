/* The evaluation's internals shared with the hook's repair code. */
#ifndef VFIOHELP_CHECKS_H
#define VFIOHELP_CHECKS_H

#include "internal.h"

/* The VM gets this function (after mapping and function expansion). */
bool vh_report_has_device(const struct vh_report *r, const struct vh_pci_addr *a);
/* The hostpciN entry a device of the VM came from (NULL if none). */
const struct vh_hostpci *vh_report_hostpci(const struct vh_report *r, int index);

#endif
