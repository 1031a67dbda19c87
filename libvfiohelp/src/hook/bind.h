/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Driver moves and resets of one device (by its full address string). */
#ifndef VFIOHELP_BIND_H
#define VFIOHELP_BIND_H

#include "internal.h"

/* The driver bound now ("" when none), re-read from sysfs. */
int vh_current_driver(struct vh_host *h, const char *dev, char *buf, size_t size);
/* driver_override now ("" when none). Read within ms: reading it takes the
 * device lock, which a driver stuck in remove() holds for ever. */
int vh_current_override(struct vh_host *h, const char *dev, char *buf, size_t size, unsigned ms);
/* driver_override=vfio-pci, unbind, drivers_probe, then verify. */
int vh_bind_vfio(struct vh_host *h, const char *dev, unsigned ms, struct vh_err *err);
/* Back to `driver` ("" = none) with `override` restored, then verify. */
int vh_restore_driver(struct vh_host *h, const char *dev, const char *driver, const char *override,
		      unsigned ms, struct vh_err *err);
/* The same return, done by a detached process that holds none of the hook's
 * descriptors and waits as long as the device's stuck driver does (for a
 * device whose write timed out). Returns once that process is started. */
int vh_restore_detached(struct vh_host *h, const char *dev, const char *driver,
			const char *override);
/* Writes 1 to the device's reset attribute. */
int vh_reset_device(struct vh_host *h, const char *dev, unsigned ms, struct vh_err *err);

#endif
