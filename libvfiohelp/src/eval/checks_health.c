/*
 * The failures users hit after the setup looks right: interrupts that are
 * not remapped (vfio refuses the device at start), devices that do not
 * answer, devices the kernel cannot reset, the AMD reset bug, a romfile=
 * QEMU cannot find or that is no ROM for the card (host/rom.c reads it), and
 * a vfio-pci ids= option that will take a second,
 * identical device from the host at the next boot.
 *
 * A fact that cannot be read is never an error: the checklist says it was
 * not judged.
 */
#include "internal.h"
#include "eval/checks.h"
#include "host/iommu.h"
#include "host/pcidev.h"
#include "host/rom.h"
#include "host/system.h"
#include "pve/ownership.h"
#include "host/host.h"
#include "host/kmods.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- interrupts ---- */

static void check_interrupts(struct vh_eval *ev)
{
	bool remapped, unsafe;
	enum vh_unsafe_source source;
	struct vh_err e;
	if (vh_interrupts_remapped(ev->h, &remapped, &e) < 0) {
		vh_eval_unjudged(ev, "interrupt-remapping", "%s", e.msg);
		return;
	}
	unsafe = vh_unsafe_interrupts(ev->h, &source);
	if (remapped)
		vh_eval_passed(ev, VH_TOPIC_IOMMU,
			       "interrupts are remapped (IR- chips in /proc/interrupts)");
	if (unsafe) {
		/* Unsafe is unsafe with or without remapping: the admin asked
		 * vfio to skip a protection, and should know what it costs. */
		vh_eval_finding(
			ev, VH_F_UNSAFE_INTERRUPTS, "host",
			remapped
				? "sed -i '/allow_unsafe_interrupts/d' /etc/modprobe.d/*.conf && "
				  "update-initramfs -u -k all && reboot   # interrupts are remapped: not needed"
				: "enable interrupt remapping (VT-d or AMD-Vi with x2APIC in the firmware), then "
				  "sed -i '/allow_unsafe_interrupts/d' /etc/modprobe.d/*.conf && "
				  "update-initramfs -u -k all && reboot",
			"vfio_iommu_type1 allow_unsafe_interrupts is on (%s)%s: a guest can make the "
			"device raise interrupts that reach the host",
			source == VH_UNSAFE_PARAM ? "/sys/module/vfio_iommu_type1/parameters"
						  : "an options line in /etc/modprobe.d",
			remapped ? ", although interrupts are remapped"
				 : " and interrupts are not remapped");
		return;
	}
	if (!remapped)
		vh_eval_finding(
			ev, VH_F_INTERRUPT_REMAPPING_MISSING, "host",
			"enable interrupt remapping in the firmware (VT-d / AMD-Vi, x2APIC) and remove "
			"intremap=off or nointremap from the kernel command line; or accept the risk: echo "
			"'options vfio_iommu_type1 allow_unsafe_interrupts=1' > "
			"/etc/modprobe.d/iommu_unsafe_interrupts.conf, update-initramfs -u -k all, reboot",
			"the IOMMU is on but interrupts are not remapped (no IR- interrupt chip in "
			"/proc/interrupts) and vfio_iommu_type1 allow_unsafe_interrupts is off: vfio "
			"refuses the device at start (\"No interrupt remapping support\")");
}

/* ---- the device's own health ---- */

static void check_responsive(struct vh_eval *ev, const struct vh_device *d)
{
	char fix[256];
	uint16_t vendor;
	if (!strcmp(d->power_state, "D3cold")) {
		snprintf(fix, sizeof(fix),
			 "echo on > /sys/bus/pci/devices/%s/power/control   # wake "
			 "it and keep it awake; if it stays in D3cold, power-cycle the host",
			 d->name);
		vh_eval_finding(
			ev, VH_F_DEVICE_UNRESPONSIVE, d->name, fix,
			"%s sits in D3cold (power off): its config space cannot be read and the start "
			"would fail or hang",
			d->name);
		return;
	}
	if (vh_config_vendor(ev->h, d->name, &vendor) < 0) {
		vh_eval_unjudged(ev, "config-space",
				 "%s: its config space cannot be read: cannot tell "
				 "whether it answers",
				 d->name);
		return;
	}
	if (vendor == 0xffff && d->is_vf) {
		vh_eval_passed(ev, VH_TOPIC_DEVICE,
			       "%s is an SR-IOV VF: its ID registers read ffff by "
			       "the spec; its identity %04x:%04x comes from sysfs",
			       d->name, d->vendor, d->device);
		return;
	}
	if (vendor == 0xffff) {
		snprintf(fix, sizeof(fix),
			 "echo 1 > /sys/bus/pci/devices/%s/remove && echo 1 > "
			 "/sys/bus/pci/rescan   # if it still reads ffff, power-cycle the host",
			 d->name);
		vh_eval_finding(
			ev, VH_F_DEVICE_UNRESPONSIVE, d->name, fix,
			"%s does not answer config reads (vendor id ffff in its config space; the kernel "
			"knew it as %04x:%04x): it fell off the bus or is stuck after a failed reset",
			d->name, d->vendor, d->device);
		return;
	}
	vh_eval_passed(ev, VH_TOPIC_DEVICE, "%s answers config reads (%s)", d->name,
		       d->power_state[0] ? d->power_state : "power state unknown");
}

/* The AMD GPUs gnif/vendor-reset handles (src/device-db.h): Polaris 10/11/12,
 * Vega 10/20, Navi 10/12/14/23, Arcturus. Without its device_specific reset
 * they work once and are dead on the second start. */
static const uint16_t amd_reset_bug_ids[] = {
	/* Polaris 10 */
	0x67c0,
	0x67c1,
	0x67c2,
	0x67c4,
	0x67c7,
	0x67d0,
	0x67df,
	0x67c8,
	0x67c9,
	0x67ca,
	0x67cc,
	0x67cf,
	0x6fdf,
	/* Polaris 11 */
	0x67e0,
	0x67e3,
	0x67e8,
	0x67eb,
	0x67ef,
	0x67ff,
	0x67e1,
	0x67e7,
	0x67e9,
	/* Polaris 12 */
	0x6980,
	0x6981,
	0x6985,
	0x6986,
	0x6987,
	0x6995,
	0x6997,
	0x699f,
	/* Vega 10 */
	0x6860,
	0x6861,
	0x6862,
	0x6863,
	0x6864,
	0x6867,
	0x6868,
	0x6869,
	0x686a,
	0x686b,
	0x686c,
	0x686d,
	0x686e,
	0x686f,
	0x687f,
	/* Vega 20 */
	0x66a0,
	0x66a1,
	0x66a2,
	0x66a3,
	0x66a4,
	0x66a7,
	0x66af,
	0x164c,
	/* Navi 10 */
	0x7310,
	0x7312,
	0x7318,
	0x7319,
	0x731a,
	0x731b,
	0x731e,
	0x731f,
	0x15bf,
	0x15dd,
	0x15de,
	0x15e7,
	0x1636,
	0x1638,
	/* Navi 14, Navi 12, Navi 23, Arcturus */
	0x7340,
	0x7341,
	0x7347,
	0x734f,
	0x7360,
	0x7362,
	0x73ff,
	0x738c,
};

static bool has_amd_reset_bug(const struct vh_device *d)
{
	if (d->vendor != 0x1002 || (d->class_code >> 16) != 0x03)
		return false;
	for (size_t i = 0; i < VH_ARRAY_SIZE(amd_reset_bug_ids); i++)
		if (amd_reset_bug_ids[i] == d->device)
			return true;
	return false;
}

/* A word of the kernel's reset_method list ("device_specific flr bus"). */
static bool reset_method_has(const struct vh_device *d, const char *method)
{
	size_t len = strlen(method);
	for (const char *p = d->reset_method; *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (n == len && !strncmp(p, method, n))
			return true;
		p += n;
	}
	return false;
}

static void check_reset(struct vh_eval *ev, const struct vh_device *d)
{
	char fix[400];
	if (d->is_bridge)
		return;
	if (!d->reset_method[0] && !d->has_reset) {
		vh_eval_finding(
			ev, VH_F_RESET_UNAVAILABLE, d->name,
			"keep it on vfio-pci between starts (\"post_stop\": \"keep\" in "
			"/etc/pve/vfiohelp.json) and reboot the host if the guest finds it unusable "
			"after a restart",
			"the kernel knows no reset for %s (no reset_method, no reset in sysfs): it is "
			"handed to the next start as the last guest left it",
			d->name);
	} else {
		vh_eval_passed(ev, VH_TOPIC_DEVICE, "%s can be reset (%s)", d->name,
			       d->reset_method[0] ? d->reset_method : "reset");
	}
	if (!has_amd_reset_bug(d))
		return;
	if (!d->reset_method[0] && d->has_reset) {
		vh_eval_unjudged(ev, "amd-reset",
				 "%s: this kernel has no reset_method to show whether "
				 "it has a device_specific reset",
				 d->name);
		return;
	}
	if (reset_method_has(d, "device_specific")) {
		vh_eval_passed(ev, VH_TOPIC_DEVICE, "%s has a device_specific reset (vendor-reset)",
			       d->name);
		return;
	}
	snprintf(fix, sizeof(fix),
		 "install gnif/vendor-reset (dkms), echo vendor-reset >> /etc/modules, and at every "
		 "boot: echo device_specific > /sys/bus/pci/devices/%s/reset_method",
		 d->name);
	vh_eval_finding(
		ev, VH_F_AMD_RESET_BUG, d->name, fix,
		"%s (%04x:%04x) is an AMD GPU with the reset bug and has no device_specific reset "
		"(reset_method: %s): it works at the first start and stays dead after the VM stops",
		d->name, d->vendor, d->device, d->reset_method[0] ? d->reset_method : "none");
}

/* ---- romfile= ---- */

/* An absolute path under /usr/share/kvm/ was meant relative: the fix is the
 * entry with romfile= rewritten. Else the file has to be put there. */
static void romfile_fix(struct vh_eval *ev, const struct vh_hostpci *pci, const char *rel,
			char *fix, size_t size)
{
	static const char kvm_dir[] = "usr/share/kvm/";
	if (pci->romfile[0] != '/' || strncmp(rel, kvm_dir, sizeof(kvm_dir) - 1)) {
		snprintf(fix, size,
			 "cp YOUR-DUMP.rom /usr/share/kvm/%s   # the card's ROM, dumped or "
			 "from its vendor",
			 rel);
		return;
	}
	char entry[512] = "";
	size_t used = 0;
	for (const char *p = pci->raw; *p && used < sizeof(entry);) {
		size_t n = strcspn(p, ",");
		bool romfile = !strncmp(p, "romfile=", 8);
		used += (size_t)snprintf(entry + used, sizeof(entry) - used, "%s%s%.*s",
					 used ? "," : "", romfile ? "romfile=" : "",
					 romfile ? (int)strlen(rel + sizeof(kvm_dir) - 1) : (int)n,
					 romfile ? rel + sizeof(kvm_dir) - 1 : p);
		p += n + (p[n] == ',');
	}
	snprintf(fix, size, "qm set %u -hostpci%d %s", ev->r->vmid, pci->index, entry);
}

/* The device qemu-server gives romfile= to: the entry's first
 * (print_hostpci_devices adds it at j == 0). NULL when it is not on the
 * host or is an mdev parent (the guest sees the mdev's ids, not its). */
static const struct vh_device *romfile_device(const struct vh_report *r, int index)
{
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct vh_vm_device *vd = &r->devices[i];
		if (vd->hostpci_index != index)
			continue;
		return vd->dev && vd->dev->present && vd->role != VH_ROLE_MDEV_PARENT ? vd->dev
										      : NULL;
	}
	return NULL;
}

/* "x86, efi" for the images of a ROM. */
static void rom_kinds(const struct vh_rom *rom, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < rom->n_images && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
					 vh_rom_code_name(rom->images[i].code_type));
}

/* The file is no ROM: a header in front of one is cut off; else the card's
 * own ROM is the way out. */
static void romfile_broken(struct vh_eval *ev, const char *key, const struct vh_hostpci *pci,
			   const char *rel, const struct vh_device *d, const struct vh_rom *rom)
{
	char fix[512];
	if (rom->start_at > 0)
		snprintf(fix, sizeof(fix),
			 "dd if=/usr/share/kvm/%s of=/usr/share/kvm/%s.cut bs=1 skip=%ld && mv "
			 "/usr/share/kvm/%s.cut /usr/share/kvm/%s   # drops the %ld-byte header",
			 rel, rel, rom->start_at, rel, rel, rom->start_at);
	else if (d)
		snprintf(fix, sizeof(fix),
			 "hookctl rom %s --save /usr/share/kvm/%s   # the card's own ROM, with "
			 "no VM running on it; or the vendor's ROM file",
			 d->name, rel);
	else
		snprintf(fix, sizeof(fix), "cp THE-CARD'S-ROM /usr/share/kvm/%s", rel);
	vh_eval_finding(ev, VH_F_ROMFILE_INVALID, key, fix,
			"%s romfile=%s is no PCI expansion ROM: %s; the guest's firmware ignores "
			"it and the card stays dark",
			key, pci->romfile, rom->why);
}

/* What the ROM's images say against the ids the guest sees: vendor-id= and
 * device-id= of the entry where given (qemu-server's x-pci-*-id), else the
 * device's own. */
static void romfile_ids(struct vh_eval *ev, const char *key, const struct vh_hostpci *pci,
			const char *rel, const struct vh_device *d, const struct vh_rom *rom)
{
	uint16_t vendor = pci->has_vendor_id ? pci->vendor_id : d->vendor;
	uint16_t device = pci->has_device_id ? pci->device_id : d->device;
	const struct vh_rom_image *img;
	char kinds[64], fix[400], list[160] = "";
	rom_kinds(rom, kinds, sizeof(kinds));
	enum vh_rom_match m = vh_rom_match(rom, vendor, device, &img);
	for (size_t i = 0, used = 0; img && i < img->n_device_ids && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%04x",
					 i ? "," : ", device list ", img->device_ids[i]);
	snprintf(fix, sizeof(fix),
		 "hookctl rom %s --save /usr/share/kvm/%s   # the card's own ROM, with no VM "
		 "running on it; or the vendor's ROM for %04x:%04x",
		 d->name, rel, vendor, device);
	switch (m) {
	case VH_ROM_MATCH:
		vh_eval_passed(ev, VH_TOPIC_VM,
			       "%s romfile %s is a PCI expansion ROM for %04x:%04x%s (%s)", key,
			       rel, vendor, device,
			       pci->has_vendor_id || pci->has_device_id
				       ? ", the ids the entry's vendor-id/device-id give the guest"
				       : "",
			       kinds);
		return;
	case VH_ROM_NOTHING_RUNS:
		vh_eval_finding(ev, VH_F_ROMFILE_INVALID, key, fix,
				"%s romfile=%s holds no x86 or EFI image (%s): neither SeaBIOS nor "
				"OVMF runs any of it",
				key, pci->romfile, kinds);
		return;
	case VH_ROM_OTHER_VENDOR:
		vh_eval_finding(
			ev, VH_F_ROMFILE_INVALID, key, fix,
			"%s romfile=%s is a ROM of vendor %04x (image at 0x%zx: %04x:%04x), "
			"but %s is %04x:%04x: the guest's firmware does not run it for this card",
			key, pci->romfile, img->vendor, img->offset, img->vendor, img->device,
			d->name, vendor, device);
		return;
	case VH_ROM_OTHER_DEVICE:
		vh_eval_finding(
			ev, VH_F_ROMFILE_MISMATCH, key, fix,
			"%s romfile=%s is a ROM for %04x:%04x (image at 0x%zx%s), but %s is "
			"%04x:%04x: SeaBIOS skips it and the card's EFI driver may refuse it",
			key, pci->romfile, img->vendor, img->device, img->offset, list, d->name,
			vendor, device);
		return;
	}
}

/* The file's content, read as QEMU reads it (whole; bounded here). */
static void check_romfile_content(struct vh_eval *ev, const char *key, const struct vh_hostpci *pci,
				  const char *rel, const char *path)
{
	uint8_t *buf;
	size_t len;
	struct vh_rom rom;
	const struct vh_device *d = romfile_device(ev->r, pci->index);
	if (vh_rom_read_file(path, &buf, &len) < 0) {
		if (errno == EFBIG) {
			rom = (struct vh_rom){ .start_at = -1 };
			snprintf(rom.why, sizeof(rom.why), "it is larger than %u MiB",
				 VH_ROM_MAX_SIZE >> 20);
			romfile_broken(ev, key, pci, rel, d, &rom);
		} else
			vh_eval_unjudged(ev, "romfile", "%s: /usr/share/kvm/%s cannot be read: %s",
					 key, rel, strerror(errno));
		return;
	}
	int rc = vh_rom_parse(buf, len, &rom);
	free(buf);
	if (rc < 0)
		romfile_broken(ev, key, pci, rel, d, &rom);
	else if (d)
		romfile_ids(ev, key, pci, rel, d, &rom);
}

static void check_romfile(struct vh_eval *ev, const struct vh_hostpci *pci)
{
	char path[PATH_MAX], key[16], fix[512];
	if (!pci->romfile[0])
		return;
	snprintf(key, sizeof(key), "hostpci%d", pci->index);
	/* qemu-server passes romfile=/usr/share/kvm/<value> for any value, an
	 * absolute one too (PCI.pm, print_hostpci_devices); the config parser
	 * took only plain components, so the path stays under that directory. */
	const char *rel = pci->romfile + strspn(pci->romfile, "/");
	if (!vh_is_safe_relpath(rel) ||
	    vh_host_path(ev->h, path, sizeof(path), "/usr/share/kvm/%s", rel) < 0) {
		vh_eval_unjudged(ev, "romfile",
				 "%s romfile=%s is not a plain path under /usr/share/kvm/", key,
				 pci->romfile);
		return;
	}
	int fd = vh_open_regular(path);
	if (fd >= 0) {
		close(fd);
		vh_eval_passed(ev, VH_TOPIC_VM, "%s romfile /usr/share/kvm/%s exists", key, rel);
		check_romfile_content(ev, key, pci, rel, path);
		return;
	}
	romfile_fix(ev, pci, rel, fix, sizeof(fix));
	vh_eval_finding(
		ev, VH_F_ROMFILE_MISSING, key, fix,
		"%s has romfile=%s, but /usr/share/kvm/%s is not a file (qemu-server puts every "
		"romfile under /usr/share/kvm/): QEMU fails to start",
		key, pci->romfile, rel);
}

/* ---- vfio-pci ids= reaching a device the host uses ---- */

/* Drivers that may hold another device with d's id: the host drivers its
 * modalias resolves to, and its own driver when that is a host one. Only
 * these drivers' directories are listed, never the whole bus. */
static size_t candidate_drivers(struct vh_eval *ev, const struct vh_device *d, char names[][64],
				size_t max)
{
	size_t n = 0;
	if (d->modalias[0])
		vh_modalias_drivers(ev->h, d->modalias, names, max, &n, NULL);
	bool listed = false;
	for (size_t i = 0; i < n; i++)
		listed |= !strcmp(names[i], d->driver);
	if (!listed && n < max && !vh_driver_harmless(d->driver))
		vh_strlcpy(names[n++], d->driver, 64);
	return n;
}

/* The first device bound to `driver` that has d's vendor:device, is not
 * the VM's and that no VM passes. */
static const struct vh_device *twin_on_driver(struct vh_eval *ev, const struct vh_device *d,
					      const char *driver, struct vh_vm_uses *uses,
					      bool *uses_loaded)
{
	char dir[PATH_MAX];
	if (!vh_is_safe_component(driver) ||
	    vh_host_path(ev->h, dir, sizeof(dir), "/sys/bus/pci/drivers/%s", driver) < 0)
		return NULL;
	DIR *dp = opendir(dir);
	struct dirent *e;
	const struct vh_device *twin = NULL;
	while (dp && !twin && (e = readdir(dp))) {
		struct vh_pci_addr a;
		unsigned vmid;
		if (vh_pci_addr_parse(e->d_name, strlen(e->d_name), &a) < 0 || !a.has_func ||
		    vh_report_has_device(ev->r, &a))
			continue;
		const struct vh_device *other = vh_host_device(ev->h, &a, NULL);
		if (!other || !other->present || other->vendor != d->vendor ||
		    other->device != d->device)
			continue;
		/* Read every VM config only once a twin is found: rare. */
		if (!*uses_loaded)
			*uses_loaded = vh_vm_uses_load(ev->h, uses, NULL) == 0;
		if (*uses_loaded && vh_vm_uses_of(uses, &a, &vmid, 1))
			continue;
		twin = other;
	}
	if (dp)
		closedir(dp);
	return twin;
}

static void check_vfio_ids(struct vh_eval *ev)
{
	struct vh_vm_uses uses = { 0 };
	bool uses_loaded = false;
	for (size_t i = 0; i < ev->r->n_devices; i++) {
		const struct vh_device *d = ev->r->devices[i].dev;
		char drivers[8][64], fix[400];
		if (!d || !d->present || d->is_bridge ||
		    !vh_vfio_ids_claim(ev->h, d->vendor, d->device))
			continue;
		/* Without the index only the device's own driver could be searched:
		 * a twin on another driver would go unseen, so say it is not judged. */
		if (d->modalias[0] && !vh_kmod_indexed(ev->h)) {
			vh_eval_unjudged(ev, "vfio-ids-host-device",
					 "%s: no module index for kernel %s: cannot tell which host "
					 "drivers another %04x:%04x device could be on",
					 d->name, ev->h->kver, d->vendor, d->device);
			continue;
		}
		const struct vh_device *twin = NULL;
		size_t n = candidate_drivers(ev, d, drivers, VH_ARRAY_SIZE(drivers));
		for (size_t k = 0; k < n && !twin; k++)
			twin = twin_on_driver(ev, d, drivers[k], &uses, &uses_loaded);
		if (!twin)
			continue;
		/* vfio-pci skips the empty item a removed last id leaves behind */
		snprintf(fix, sizeof(fix),
			 "sed -i -E '/^options +vfio[-_]pci/s/(ids=([^ ]*,)?)%04x:%04x,?/\\1/' "
			 "/etc/modprobe.d/*.conf && update-initramfs -u -k all   # vfio-hook binds %s "
			 "by its address at start",
			 d->vendor, d->device, d->name);
		vh_eval_finding(
			ev, VH_F_VFIO_IDS_HOST_DEVICE, twin->name, fix,
			"options vfio-pci ids=%04x:%04x claims %s for VM %u, but also matches %s (on "
			"%s, passed by no VM): at the next boot vfio-pci takes it from the host",
			d->vendor, d->device, d->name, ev->r->vmid, twin->name, twin->driver);
	}
	vh_vm_uses_free(&uses);
}

void vh_check_health(struct vh_eval *ev, bool iommu_active)
{
	if (iommu_active)
		check_interrupts(ev);
	for (size_t i = 0; i < ev->r->n_devices; i++) {
		const struct vh_vm_device *vd = &ev->r->devices[i];
		if (!vd->dev || !vd->dev->present)
			continue;
		check_responsive(ev, vd->dev);
		/* Proxmox resets only what it binds: keep and mdev devices never. */
		if (vd->role == VH_ROLE_VFIO)
			check_reset(ev, vd->dev);
	}
	for (size_t i = 0; i < ev->r->vm.n_hostpci; i++)
		check_romfile(ev, &ev->r->vm.hostpci[i]);
	check_vfio_ids(ev);
}
