/* Reading a device's config space directly, past sysfs's cached attributes. */
#ifndef VFIOHELP_PCIDEV_H
#define VFIOHELP_PCIDEV_H

#include "internal.h"

/* The vendor id in the first two bytes of the device's config space as the
 * kernel reads it now (the "vendor" attribute is cached at enumeration and
 * stays right when the device stops answering). -1 when unreadable. */
int vh_config_vendor(struct vh_host *h, const char *addr, uint16_t *vendor);

#endif
