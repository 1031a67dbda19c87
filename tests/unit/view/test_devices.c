/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl devices: every PCI function of a host tree, checked against the
 * tree's own sysfs (the addresses, driver links and iommu_group links the
 * kernel would show) and against what each host's README says.
 */
#include "testlib.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

/* The JSON of `hookctl devices --root <tree> --json`, through the binary. */
static json_object *devices_json(const char *host)
{
	const char *argv[] = { VH_HOOKCTL, "devices", "--root", vh_test_host(host), "--json", NULL };
	char *out = NULL, *err = NULL;
	int rc = vh_test_run(argv, &out, &err);
	if (rc != 0)
		fail_msg("hookctl devices on %s: exit %d: %s", host, rc, err ? err : "");
	json_object *o = json_tokener_parse(out);
	assert_non_null(o);
	free(out);
	free(err);
	return o;
}

static json_object *device(json_object *o, const char *addr)
{
	json_object *list = json_object_object_get(o, "devices");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *d = json_object_array_get_idx(list, i);
		if (!strcmp(json_object_get_string(json_object_object_get(d, "address")), addr))
			return d;
	}
	fail_msg("no device %s in the listing", addr);
	return NULL;
}

static const char *str(json_object *d, const char *key)
{
	return json_object_get_string(json_object_object_get(d, key));
}

/* A JSON array of strings or numbers as "a,b,c". */
static const char *joined(json_object *d, const char *key)
{
	static char buf[512];
	json_object *a = json_object_object_get(d, key);
	assert_true(json_object_is_type(a, json_type_array));
	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		strcat(buf, i ? "," : "");
		strcat(buf, json_object_get_string(json_object_array_get_idx(a, i)));
	}
	return buf;
}

static void test_seed_gpu(void **state)
{
	(void)state;
	json_object *o = devices_json("seed");
	json_object *gpu = device(o, "0000:01:00.0");
	assert_string_equal(str(gpu, "vendor_device"), "10de:2803");
	assert_string_equal(str(gpu, "class"), "0x030000");
	assert_contains(str(gpu, "name"), "NVIDIA");
	assert_string_equal(str(gpu, "driver"), "vfio-pci");
	assert_int_equal(json_object_get_int(json_object_object_get(gpu, "iommu_group")), 12);
	assert_string_equal(joined(gpu, "group_members"), "0000:01:00.0,0000:01:00.1");
	assert_true(json_object_get_boolean(json_object_object_get(gpu, "group_isolated")));
	assert_string_equal(joined(gpu, "reset_methods"), "flr");
	assert_false(json_object_get_boolean(json_object_object_get(gpu, "boot_vga")));
	/* VMs 100, 101, 102 (mapping rtx4060), 105 and 106 pass it; 103's map no
	 * longer matches the hardware, 107 names another slot */
	assert_string_equal(joined(gpu, "used_by"), "100,101,102,105,106");
	assert_null(json_object_object_get(gpu, "running_in"));
	json_object *nvme = device(o, "0000:02:00.0");
	assert_string_equal(str(nvme, "driver"), "nvme");
	assert_string_equal(joined(nvme, "reset_methods"), "flr,bus");
	assert_string_equal(joined(nvme, "used_by"), "");
	json_object *root_complex = device(o, "0000:00:00.0");
	assert_null(json_object_object_get(root_complex, "driver"));
	assert_null(json_object_object_get(root_complex, "iommu_group"));
	json_object_put(o);
}

/* Every function under the tree's /sys/bus/pci/devices is listed once, with
 * the driver and group its sysfs links name. */
static void compare_with_sysfs(const char *host)
{
	json_object *o = devices_json(host);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices", vh_test_host(host));
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		json_object *d = device(o, e->d_name);
		char link[PATH_MAX + 300], target[PATH_MAX];
		snprintf(link, sizeof(link), "%s/%s/driver", dir, e->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len < 0) {
			assert_null(json_object_object_get(d, "driver"));
		} else {
			target[len] = '\0';
			assert_string_equal(str(d, "driver"), strrchr(target, '/') + 1);
		}
		snprintf(link, sizeof(link), "%s/%s/iommu_group", dir, e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len < 0) {
			assert_null(json_object_object_get(d, "iommu_group"));
			assert_string_equal(joined(d, "group_members"), "");
		} else {
			target[len] = '\0';
			assert_int_equal(json_object_get_int(
						 json_object_object_get(d, "iommu_group")),
					 atoi(strrchr(target, '/') + 1));
			assert_contains(joined(d, "group_members"), e->d_name);
		}
	}
	closedir(dp);
	assert_int_equal(json_object_array_length(json_object_object_get(o, "devices")), n);
	json_object_put(o);
}

static void test_every_host_matches_its_sysfs(void **state)
{
	(void)state;
	static const char *const hosts[] = { "seed",   "nouveau",       "shared-group", "no-iommu",
					     "in-use", "legacy-kernel", "health" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		compare_with_sysfs(hosts[i]);
}

static void test_shared_group_not_isolated(void **state)
{
	(void)state;
	json_object *o = devices_json("shared-group");
	json_object *gpu = device(o, "0000:04:00.0");
	assert_false(json_object_get_boolean(json_object_object_get(gpu, "group_isolated")));
	assert_contains(joined(gpu, "group_members"), "0000:05:00.0");
	/* the USB controller's group holds the GPU's functions (vfio-pci), the
	 * SATA controller (no driver) and bridges: no other endpoint on a host
	 * driver, so it is isolated as the contract defines it */
	json_object *usb = device(o, "0000:05:00.0");
	assert_true(json_object_get_boolean(json_object_object_get(usb, "group_isolated")));
	json_object *nvme = device(o, "0000:01:00.0");
	assert_true(json_object_get_boolean(json_object_object_get(nvme, "group_isolated")));
	json_object_put(o);
}

static bool passable(json_object *d)
{
	json_object *v = json_object_object_get(d, "group_passable");
	assert_true(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

/* Whether the group can be passed whole with the device: another card's
 * endpoint on a host driver says no and is named; the card's own functions
 * on host drivers do not (they go along); bridges and group-less devices
 * are never passed whole. */
static void test_group_passable(void **state)
{
	(void)state;
	json_object *o = devices_json("shared-group");
	json_object *gpu = device(o, "0000:04:00.0");
	assert_false(passable(gpu));
	assert_string_equal(str(gpu, "group_why"), "0000:05:00.0 (xhci_hcd) shares IOMMU group 1");
	/* the USB controller's group mates are on vfio-pci or no driver */
	assert_true(passable(device(o, "0000:05:00.0")));
	json_object *bridge = device(o, "0000:02:00.0");
	assert_false(passable(bridge));
	assert_contains(str(bridge, "group_why"), "bridge");
	json_object_put(o);
	/* nouveau and snd_hda_intel hold the one card's two functions */
	o = devices_json("nouveau");
	gpu = device(o, "0000:01:00.0");
	assert_false(json_object_get_boolean(json_object_object_get(gpu, "group_isolated")));
	assert_true(passable(gpu));
	assert_string_equal(str(gpu, "group_why"),
			    "IOMMU group 12 holds no other card on a host driver");
	json_object_put(o);
	o = devices_json("no-iommu");
	gpu = device(o, "0000:01:00.0");
	assert_false(passable(gpu));
	assert_contains(str(gpu, "group_why"), "no IOMMU group");
	json_object_put(o);
}

static void test_running_vm_and_boot_vga(void **state)
{
	(void)state;
	json_object *o = devices_json("in-use");
	json_object *gpu = device(o, "0000:01:00.0");
	assert_int_equal(json_object_get_int(json_object_object_get(gpu, "running_in")), 200);
	assert_contains(joined(gpu, "used_by"), "200");
	/* VM 300's reservation of the audio expired and VM 300 does not run */
	assert_null(json_object_object_get(device(o, "0000:01:00.1"), "running_in"));
	json_object_put(o);
	o = devices_json("nouveau");
	assert_true(json_object_get_boolean(
		json_object_object_get(device(o, "0000:01:00.0"), "boot_vga")));
	assert_false(json_object_get_boolean(
		json_object_object_get(device(o, "0000:01:00.1"), "boot_vga")));
	json_object_put(o);
	o = devices_json("no-iommu");
	json_object *d = device(o, "0000:01:00.0");
	assert_null(json_object_object_get(d, "iommu_group"));
	assert_false(json_object_get_boolean(json_object_object_get(d, "group_isolated")));
	json_object_put(o);
	o = devices_json("health");
	assert_string_equal(joined(device(o, "0000:07:00.0"), "reset_methods"), "");
	assert_string_equal(joined(device(o, "0000:06:00.0"), "reset_methods"),
			    "device_specific,pm");
	json_object_put(o);
}

static void test_text_view(void **state)
{
	(void)state;
	const char *argv[] = { VH_HOOKCTL, "devices", "--root", vh_test_host("seed"), NULL };
	char *out = NULL;
	assert_int_equal(vh_test_run(argv, &out, NULL), 0);
	assert_contains(out, "IOMMU Group 12: 2 devices\n");
	assert_contains(
		out,
		"  0000:01:00.0 [0300]: NVIDIA Corporation AD106 [GeForce RTX 4060 Ti] [10de:2803]\n");
	assert_contains(out, "driver vfio-pci, reset flr, passed by VM 100, 101, 102, 105, 106\n");
	assert_contains(out, "11 PCI functions\n");
	assert_contains(
		out,
		"passed by VM 100, 101, 102, 105\n  Assessment: group 12 can be passed whole\n");
	free(out);
	const char *shared[] = { VH_HOOKCTL, "devices", "--root", vh_test_host("shared-group"),
				 NULL };
	assert_int_equal(vh_test_run(shared, &out, NULL), 0);
	assert_contains(
		out,
		"      driver (none), reset pm bus\n  Assessment: 0000:04:00 cannot be passed "
		"whole: 0000:05:00.0 (xhci_hcd) shares IOMMU group 1\n  Assessment: 0000:06:00 "
		"cannot be passed whole: 0000:05:00.0 (xhci_hcd) shares IOMMU group 1\n\n");
	assert_not_contains(out, "Assessment: group 1 ");
	assert_not_contains(out, "Assessment: group 0 "); /* the host bridge's group */
	free(out);
	const char *bad[] = { VH_HOOKCTL, "devices", "100", NULL };
	assert_int_equal(vh_test_run(bad, NULL, NULL), 2);
}

/* The check's text view of a device without a group (it printed "(none0)"). */
static void test_check_text_group_none(void **state)
{
	(void)state;
	const char *argv[] = {
		VH_HOOKCTL, "check", "100", "--root", vh_test_host("no-iommu"), NULL
	};
	char *out = NULL;
	assert_int_equal(vh_test_run(argv, &out, NULL), 1);
	assert_contains(out, "driver (none), IOMMU group (none)\n");
	assert_not_contains(out, "none0");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_gpu),
		cmocka_unit_test(test_every_host_matches_its_sysfs),
		cmocka_unit_test(test_shared_group_not_isolated),
		cmocka_unit_test(test_group_passable),
		cmocka_unit_test(test_running_vm_and_boot_vga),
		cmocka_unit_test(test_text_view),
		cmocka_unit_test(test_check_text_group_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
