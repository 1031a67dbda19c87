/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-container GROUP: what QEMU does with a passed device's IOMMU group at
 * start, and nothing more: open the container (/dev/vfio/vfio), open the
 * group (/dev/vfio/GROUP), VFIO_GROUP_SET_CONTAINER, then VFIO_SET_IOMMU with
 * the type1 IOMMU. The type1 attach is where the kernel refuses a group
 * without interrupt remapping ("No interrupt remapping support") unless
 * allow_unsafe_interrupts is on. Built static for the bench's busybox
 * initramfs. Prints one "key=value" line per step; exit 0 when every step
 * worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

static const char *outcome(int rc)
{
	static char buf[64];
	if (rc >= 0)
		return "ok";
	snprintf(buf, sizeof(buf), "%s", errno == EPERM ? "EPERM" : strerror(errno));
	for (char *p = buf; *p; p++)
		if (*p == ' ')
			*p = '_';
	return buf;
}

int main(int argc, char **argv)
{
	char *end;
	if (argc != 2 || strtoul(argv[1], &end, 10) > 65535 || *end || !*argv[1]) {
		fprintf(stderr, "usage: vfio-container GROUP\n");
		return 2;
	}
	char path[64];
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	int container = open("/dev/vfio/vfio", O_RDWR);
	printf("container_open=%s\n", outcome(container));
	int group = open(path, O_RDWR);
	printf("group_open=%s\n", outcome(group));
	if (container < 0 || group < 0)
		return 1;
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int rc = ioctl(group, VFIO_GROUP_GET_STATUS, &status);
	printf("group_viable=%s\n", rc < 0                                     ? outcome(rc)
				    : (status.flags & VFIO_GROUP_FLAGS_VIABLE) ? "yes"
									       : "no");
	rc = ioctl(group, VFIO_GROUP_SET_CONTAINER, &container);
	printf("set_container=%s\n", outcome(rc));
	if (rc < 0)
		return 1;
	rc = ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	printf("set_iommu=%s\n", outcome(rc));
	return rc < 0;
}
