/*
 * libvfiohelp: checks, binding and reset for PCI passthrough on Proxmox VE.
 *
 * Read this header top to bottom: it is the table of contents of the library.
 *
 *   struct vh_host      the host, seen from a root directory ("/" or a host tree)
 *   vh_pci_addr_*       the PCI address grammar
 *   vh_vmconf_*         a Proxmox VM config (/etc/pve/qemu-server/<vmid>.conf)
 *   vh_storage_*        a storage of /etc/pve/storage.cfg
 *   vh_policy_*         the admin's policy file (/etc/pve/vfiohelp.json)
 *   vh_evaluate()       everything pre-start decides, as a report of findings
 *   vh_report_*         that report as JSON or as text
 *   vh_hook_*           the hookscript's repairs (bind, reset, give back)
 *   vh_history_*        the Proxmox task logs and the hook's own log
 *   vh_devices_*        every PCI function of the host (hookctl devices)
 *   vh_device_rom_*     a device's expansion ROM through sysfs (hookctl rom)
 *
 * Errors are values: a function that fails returns -1 (or NULL) and fills the
 * caller's struct vh_err with a code (an errno value: ETIMEDOUT for a write
 * that did not finish in time, ENOMEM, ENOENT...) and a sentence that names
 * the device or file and what to do, so a caller never reads errno after a
 * library call. Nothing in the library exits the process or prints.
 */
#ifndef VFIOHELP_H
#define VFIOHELP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VH_EXPORT __attribute__((visibility("default")))

struct vh_err {
	int code; /* an errno value, never 0 once filled */
	char msg[1024];
};

/* ------------------------------------------------------------------------
 * PCI addresses: [domain:]bus:dev[.func], lower-case hex, as qemu-server
 * writes them (pciaddr.c says where the grammar is wider than hardware).
 */
struct vh_pci_addr {
	uint32_t domain; /* Intel VMD domains have five hex digits */
	uint8_t bus;
	uint8_t dev;  /* 00..ff in the grammar, 00..1f on real hardware */
	uint8_t func; /* 0..f in the grammar, 0..7 on real hardware; when has_func */
	bool has_func;
};

#define VH_PCI_ADDR_STRLEN 17 /* "ffffffff:ff:ff.f" and its NUL */

/* Parses exactly the bytes s[0..len): no spaces, nothing trailing. */
VH_EXPORT int vh_pci_addr_parse(const char *s, size_t len, struct vh_pci_addr *out);
/* Full form DDDD:BB:DD.F (function 0 when the address has none). */
VH_EXPORT void vh_pci_addr_format(const struct vh_pci_addr *a, char out[VH_PCI_ADDR_STRLEN]);
VH_EXPORT bool vh_pci_addr_equal(const struct vh_pci_addr *a, const struct vh_pci_addr *b);

/* ------------------------------------------------------------------------
 * The host. Every absolute host path is resolved under root; "/" (or NULL)
 * is the running system.
 */
struct vh_host;

VH_EXPORT struct vh_host *vh_host_new(const char *root, struct vh_err *err);
VH_EXPORT void vh_host_free(struct vh_host *h);
VH_EXPORT const char *vh_host_root(const struct vh_host *h);
/* Device names from pci.ids (1.3 MB to load) are for people: off by default,
 * turned on by a caller that prints them. */
VH_EXPORT void vh_host_want_names(struct vh_host *h, bool want);
/* Whether evaluations may keep their caches in /run/vfiohelp (the initramfs
 * verdict). Off by default: hookctl check changes nothing; the hookscript
 * turns it on, so a pre-start reads an image only after it changed. */
VH_EXPORT void vh_host_keep_caches(struct vh_host *h, bool keep);
/* True when root is "/": only then can modules be loaded into the kernel. */
VH_EXPORT bool vh_host_is_live(const struct vh_host *h);

/* What the library knows of one PCI function. Read on demand and cached in
 * the host: only the devices a VM names and their IOMMU group members. */
struct vh_device {
	struct vh_pci_addr addr;
	char name[VH_PCI_ADDR_STRLEN];
	bool present;
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint32_t class_code;   /* 24 bits: base class, subclass, prog-if */
	char description[160]; /* from pci.ids when names are wanted, else "" */
	char driver[64];       /* "" when no driver is bound */
	char modalias[128];
	int iommu_group;        /* -1 when the device has none */
	char reset_method[128]; /* "" when the kernel exposes no reset_method */
	bool has_reset;         /* the device has a "reset" file */
	bool boot_vga;
	bool is_bridge; /* header type 1 */
	bool is_pcie;
	bool has_flr;       /* PCIe Device Capabilities: Function Level Reset */
	bool has_acs;       /* ACS extended capability present */
	bool acs_enabled;   /* ACS source validation + request/completion redirect on */
	int pcie_port_type; /* PCIe port type from the PCIe capability, -1 if none */
	char power_state[16];
	bool has_parent;
	struct vh_pci_addr parent; /* the bridge above it, from the sysfs path */
	/* SR-IOV (sysfs): a VF has a physfn link to its PF; a PF has
	 * sriov_totalvfs, sriov_numvfs (enabled now), offset and stride (VF n's
	 * routing id = PF's + offset + n * stride). A VF's vendor/device come
	 * from sysfs: its config space reads ffff there by the spec. */
	bool is_vf;
	struct vh_pci_addr physfn;
	bool is_pf;
	unsigned sriov_totalvfs, sriov_numvfs, sriov_offset, sriov_stride;
};

/* Returns the cached device; a device not on the host comes back with
 * present == false (never NULL unless memory or libpci failed). */
VH_EXPORT const struct vh_device *vh_host_device(struct vh_host *h, const struct vh_pci_addr *a,
						 struct vh_err *err);

/* ------------------------------------------------------------------------
 * VM config: /etc/pve/qemu-server/<vmid>.conf, the VM's own section only
 * (qemu-server's parse_vm_config; vmconf.c has the grammar).
 */
#define VH_MAX_HOSTPCI 16
#define VH_MAX_HOSTPCI_ADDRS 16

/* The machine's family, as qemu-server's machine_base_type decides it. */
enum vh_machine { VH_MACHINE_I440FX, VH_MACHINE_Q35, VH_MACHINE_VIRT };
enum vh_bios { VH_BIOS_SEABIOS, VH_BIOS_OVMF };

struct vh_hostpci {
	int index;      /* N of hostpciN */
	char raw[1024]; /* the value as written, for fixes that rebuild it */
	bool has_mapping;
	char mapping[129]; /* mapping=<id> */
	size_t n_addrs;    /* host=... addresses, or the mapping's chosen path */
	struct vh_pci_addr addrs[VH_MAX_HOSTPCI_ADDRS];
	size_t n_alternatives; /* mapping: this node's map lines (1 for host=) */
	bool pcie;
	bool rombar;
	bool x_vga;
	bool legacy_igd;
	bool driver_keep;  /* driver=keep */
	char romfile[256]; /* relative to /usr/share/kvm/, never with a ".." */
	char mdev[128];    /* the mdev type: no '/', '.' or ':' */
	/* vendor-id=, device-id=: the ids the guest sees on the entry's first device */
	bool has_vendor_id, has_device_id;
	uint16_t vendor_id, device_id;
};

struct vh_vmconf {
	unsigned vmid;
	enum vh_machine machine;
	char machine_raw[256]; /* as written, "" when absent */
	bool arch_aarch64;     /* arch: aarch64 (its default machine is virt) */
	enum vh_bios bios;
	bool has_efidisk;
	/* efidisk0: 1 Secure Boot keys enrolled (pre-enrolled-keys=1 with efitype=4m),
	 * 0 not, -1 no pre-enrolled-keys option */
	int efidisk_keys;
	uint64_t memory_mib; /* 512 when absent, as Proxmox */
	int64_t balloon_mib; /* -1 when absent (balloon device on) */
	char cpu[256];
	char args[1024];
	char vga[128];
	char hookscript[256];
	/* the storage of the first disk (scsiN, virtioN, sataN, ideN; not a
	 * CD-ROM, not a host path): where an efidisk can go, "" when none */
	char disk_storage[65];
	bool agent;             /* agent: 1 / enabled=1: qemu-server wires VMID.qga */
	char ostype[16];        /* "l26", "win11", ... ("" when absent) */
	unsigned hugepages_mib; /* hugepages: 2 or 1024; 0 off */
	bool hugepages_any;     /* hugepages: any */
	bool numa;              /* numa: 1 */
	size_t n_hostpci;       /* entries in index order, as qemu-server walks them */
	struct vh_hostpci hostpci[VH_MAX_HOSTPCI];
};

/* Parses config text. Fails (with line number and reason) where Proxmox
 * itself could not parse a value of a key the library uses; options and
 * keys it does not know are ignored, as a newer Proxmox may write them. */
VH_EXPORT int vh_vmconf_parse(const char *text, size_t len, unsigned vmid, struct vh_vmconf *out,
			      struct vh_err *err);
VH_EXPORT int vh_vmconf_load(struct vh_host *h, unsigned vmid, struct vh_vmconf *out,
			     struct vh_err *err);
/* An incoming live migration: the target's pre-start runs with
 * PVE_MIGRATED_FROM=<node> while VM vmid's config is still in
 * /etc/pve/nodes/<node>/qemu-server/. node must follow pve-common's node
 * name grammar (a DNS label: [A-Za-z0-9], inner '-', at most 63), else -1
 * and nothing changes. */
VH_EXPORT int vh_host_set_migration(struct vh_host *h, unsigned vmid, const char *node,
				    struct vh_err *err);
/* A VMID as Proxmox allows it: decimal, 100..999999999, no sign, no spaces. */
VH_EXPORT int vh_vmid_parse(const char *s, unsigned *out);

/* ------------------------------------------------------------------------
 * Storages: /etc/pve/storage.cfg (storage.c has pve-storage's grammar).
 */
#define VH_STORAGE_PATH_MAX 4096

/* What the library reads of one storage's section. */
struct vh_storage {
	char type[32]; /* "dir", "nfs", ... */
	char id[65];
	char path[VH_STORAGE_PATH_MAX]; /* "" when the section has none */
	bool path_too_long;             /* then path is "" and the storage unusable */
	bool snippets;                  /* its content list has "snippets" */
};

/* A storage id as pve-storage allows it. */
VH_EXPORT bool vh_storage_id_valid(const char *s);
/* The section of storage `id` in storage.cfg text (the first, if two name
 * it): 0, or -1 when no section has that id. */
VH_EXPORT int vh_storage_parse(const char *text, size_t len, const char *id,
			       struct vh_storage *out);
/* The base directory of storage `id` whose snippets/ holds hookscripts
 * (local without a storage.cfg is /var/lib/vz; nfs, cifs and cephfs without
 * a path mount at /mnt/pve/ID), as a host path (not under the root). Fails
 * with the reason, and the pvesm command when snippets are not enabled. */
VH_EXPORT int vh_storage_snippets_dir(struct vh_host *h, const char *id, char *out, size_t size,
				      struct vh_err *err);

/* ------------------------------------------------------------------------
 * Policy: /etc/pve/vfiohelp.json unless another file is named.
 */
enum vh_severity { VH_SEV_OFF = 0, VH_SEV_INFO, VH_SEV_WARN, VH_SEV_ERROR };
enum vh_post_stop { VH_POST_STOP_KEEP, VH_POST_STOP_RESET, VH_POST_STOP_RETURN };

struct vh_policy;

/* path NULL: the default location under the host's root; a missing default
 * file is an empty policy, a missing named file or any malformed file is an
 * error naming the file and the position. */
VH_EXPORT struct vh_policy *vh_policy_load(struct vh_host *h, const char *path, struct vh_err *err);
VH_EXPORT void vh_policy_free(struct vh_policy *p);
VH_EXPORT enum vh_severity vh_policy_severity(const struct vh_policy *p, unsigned vmid,
					      const char *finding_id, enum vh_severity dflt);
VH_EXPORT enum vh_post_stop vh_policy_post_stop(const struct vh_policy *p, unsigned vmid);
VH_EXPORT bool vh_policy_reset(const struct vh_policy *p, unsigned vmid);
VH_EXPORT unsigned vh_policy_timeout_ms(const struct vh_policy *p, unsigned vmid);
VH_EXPORT const char *vh_severity_name(enum vh_severity s);
/* "guest": post-start asks the guest (default true), waiting at most wait_s
 * for the agent (default 300); the admin's probes, the global ones first,
 * then the VM's. vh_policy_guest_probe fills argv (NULL-terminated, at most
 * max entries with the NULL) with probe i and returns its argc. */
VH_EXPORT bool vh_policy_guest_verify(const struct vh_policy *p, unsigned vmid);
VH_EXPORT unsigned vh_policy_guest_wait_s(const struct vh_policy *p, unsigned vmid);
VH_EXPORT size_t vh_policy_guest_probe_count(const struct vh_policy *p, unsigned vmid);
VH_EXPORT size_t vh_policy_guest_probe(const struct vh_policy *p, unsigned vmid, size_t i,
				       const char **argv, size_t max);

/* ------------------------------------------------------------------------
 * Evaluation: what pre-start would decide.
 */
enum vh_topic {
	VH_TOPIC_HOST,
	VH_TOPIC_IOMMU,
	VH_TOPIC_DRIVERS,
	VH_TOPIC_DEVICE,
	VH_TOPIC_VM,
	VH_TOPIC_GUEST, /* hookctl guest: inside the running VM */
};

/* Every finding the library can report; indexes the table in findings.c. */
enum vh_finding_id {
	VH_F_VM_CONFIG,
	VH_F_MAPPING_UNRESOLVED,
	VH_F_MACHINE_I440FX,
	VH_F_BIOS_SEABIOS,
	VH_F_ROMBAR_ENABLED,
	VH_F_PCIE_OFF,
	VH_F_PCIE_NEEDS_Q35,
	VH_F_DEVICE_DUPLICATE,
	VH_F_LEGACY_IGD_INVALID,
	VH_F_EFIDISK_MISSING,
	VH_F_BALLOON_ENABLED,
	VH_F_ROMFILE_MISSING,
	VH_F_ROMFILE_INVALID,
	VH_F_ROMFILE_MISMATCH,
	VH_F_X_VGA_NOT_VGA,
	VH_F_MEMORY_INSUFFICIENT,
	VH_F_IOMMU_DISABLED,
	VH_F_INTERRUPT_REMAPPING_MISSING,
	VH_F_UNSAFE_INTERRUPTS,
	VH_F_GROUP_NOT_ISOLATED,
	VH_F_IOMMU_GROUP_MISSING,
	VH_F_ACS_OVERRIDE,
	VH_F_DEVICE_MISSING,
	VH_F_DEVICE_IN_USE,
	VH_F_MDEV_UNAVAILABLE,
	VH_F_DRIVER_NOT_VFIO,
	VH_F_MODULE_NOT_LOADED,
	VH_F_MODULE_UNKNOWN,
	VH_F_HOST_DRIVER_NOT_BLACKLISTED,
	VH_F_VFIO_IDS_HOST_DEVICE,
	VH_F_BOOT_VGA,
	VH_F_DEVICE_UNRESPONSIVE,
	VH_F_RESET_UNAVAILABLE,
	VH_F_AMD_RESET_BUG,
	VH_F_KEEP_NOT_VFIO,
	VH_F_SRIOV_VFS_IN_USE,
	VH_F_VF_NOT_CREATED,
	/* a host setup half done (eval/checks_setup.c) */
	VH_F_INITRAMFS_STALE,
	VH_F_CMDLINE_PENDING,
	VH_F_CMDLINE_IGNORED,
	VH_F_MODPROBE_LINE_IGNORED,
	VH_F_MODULES_LINE_INVALID,
	/* VM settings that quietly undo passthrough */
	VH_F_ARGS_CPU_OVERRIDE,
	VH_F_SECURE_BOOT_UNSIGNED_DRIVER,
	/* a device's own ROM (hookctl rom, view/rom.c) */
	VH_F_ROM_UNREADABLE,
	VH_F_ROM_INVALID,
	VH_F_ROM_MISMATCH,
	VH_F_ROM_CHECKSUM,
	VH_F_ROM_NO_EFI,
	/* inside the running guest (hookctl guest, the post-start verifier) */
	VH_F_GUEST_AGENT_OFF,
	VH_F_GUEST_AGENT_SILENT,
	VH_F_GUEST_EXEC_DISABLED,
	VH_F_GUEST_DEVICE_MISSING,
	VH_F_GUEST_DRIVER_UNBOUND,
	VH_F_GUEST_DEVICE_PROBLEM,
	VH_F_GUEST_NVIDIA_DRIVER_NOT_LOADED,
	VH_F_GUEST_NVIDIA_INIT_FAILED,
	VH_F_GUEST_SECURE_BOOT_REFUSED_MODULE,
	VH_F_GUEST_PROBE_FAILED,
	VH_F_COUNT
};

/* What the hook does itself about a finding before it judges the start. */
enum vh_repair {
	VH_REPAIR_NONE,        /* nothing: an error stays an error */
	VH_REPAIR_REBIND,      /* the hook moves the device to vfio-pci */
	VH_REPAIR_LOAD_MODULE, /* the hook loads the module through libkmod */
};

/* Every finding id the library can report (findings.c): one table that the
 * README, the man page and the tests are checked against. */
struct vh_finding_kind {
	const char *id;
	enum vh_severity severity; /* the default, before the policy */
	enum vh_topic topic;
	enum vh_repair repair; /* what the hook does about it */
	const char *meaning;
};
VH_EXPORT size_t vh_finding_kind_count(void);
VH_EXPORT const struct vh_finding_kind *vh_finding_kind_at(size_t i);
VH_EXPORT const struct vh_finding_kind *vh_finding_kind_of(enum vh_finding_id id);
/* NULL for an id that is not in the table. */
VH_EXPORT const struct vh_finding_kind *vh_finding_kind(const char *id);

struct vh_finding {
	enum vh_finding_id kind;
	char id[40];
	enum vh_severity severity;
	enum vh_topic topic;
	char subject[64]; /* a device address, a config key or "host" */
	char message[512];
	char fix[768]; /* "" when there is no single fix */
};

/* What the hook may do with one of the VM's devices, decided once from its
 * hostpci entry (checks.c, device_role) and read by every check and every
 * hook phase. */
enum vh_role {
	VH_ROLE_VFIO,        /* bound to vfio-pci, reset, returned by policy */
	VH_ROLE_KEEP,        /* driver=keep: never rebound, reset or returned */
	VH_ROLE_MDEV_PARENT, /* mdev=: the parent stays on its host driver; never touched */
};

/* One device the VM gets, after mapping resolution and function expansion. */
struct vh_vm_device {
	struct vh_pci_addr addr;
	int hostpci_index;
	enum vh_role role;
	const struct vh_device *dev; /* owned by the host; present may be false */
};

/* A check that found nothing wrong: the text report shows these as the
 * ticked lines of a checklist (they are not findings, not in the JSON). */
struct vh_passed {
	enum vh_topic topic;
	char text[256];
};

/* A check that could not be made because a fact it needs cannot be read
 * (no /proc/interrupts, no module index): neither passed nor a finding, and
 * never an error. `check` names it ("interrupt-remapping", "memory", ...;
 * hookctl(8) lists them), `why` says what could not be read. */
struct vh_unjudged {
	char check[40];
	char why[256];
};

struct vh_report {
	unsigned vmid;
	bool vm_loaded; /* false: the config could not be read */
	struct vh_vmconf vm;
	size_t n_devices;
	struct vh_vm_device *devices;
	size_t n_findings;
	struct vh_finding *findings;
	size_t n_passed;
	struct vh_passed *passed;
	size_t n_unjudged;
	struct vh_unjudged *unjudged;
};

VH_EXPORT struct vh_report *vh_evaluate(struct vh_host *h, unsigned vmid, const struct vh_policy *p,
					struct vh_err *err);
VH_EXPORT void vh_report_free(struct vh_report *r);
VH_EXPORT size_t vh_report_count(const struct vh_report *r, enum vh_severity s);
VH_EXPORT bool vh_report_blocks(const struct vh_report *r);

/* The contract's JSON object (product.md), as a json-c object the caller
 * puts; "unjudged" is always there, an empty array when all was judged. */
struct json_object;
VH_EXPORT struct json_object *vh_report_to_json(const struct vh_report *r);
/* The admin's text: grouped like the seed's checklist. */
VH_EXPORT void vh_report_print(const struct vh_report *r, FILE *out);

/* ------------------------------------------------------------------------
 * The hookscript (hook.c): one phase of `vfio-hook VMID PHASE`.
 */
enum vh_phase { VH_PHASE_PRE_START, VH_PHASE_POST_START, VH_PHASE_PRE_STOP, VH_PHASE_POST_STOP };

VH_EXPORT int vh_phase_parse(const char *s, enum vh_phase *out);
VH_EXPORT const char *vh_phase_name(enum vh_phase p);
/* Runs the phase: every line to `out` starting "vfio-hook:", the same
 * lines to syslog (live host only) and to the hook log. policy_path NULL is
 * the default policy. Returns the exit status: in pre-start non-zero exactly
 * when an error remains after the hook's own repairs; 0 in other phases. */
VH_EXPORT int vh_hook_run(struct vh_host *h, const char *policy_path, unsigned vmid,
			  enum vh_phase phase, FILE *out);

/* ------------------------------------------------------------------------
 * The guest (guest/): hookctl guest VMID, the seed's checklist asked of the
 * running VM through the QEMU guest agent, read-only, on short connections.
 */
enum vh_guest_verdict { VH_GUEST_OK, VH_GUEST_PROBLEM, VH_GUEST_UNKNOWN };
enum vh_guest_firmware { VH_GUEST_FW_UNKNOWN, VH_GUEST_FW_BIOS, VH_GUEST_FW_UEFI };
enum vh_guest_dev_state {
	VH_GUEST_DEV_OK,
	VH_GUEST_DEV_MISSING,
	VH_GUEST_DEV_NO_DRIVER,
	VH_GUEST_DEV_PROBLEM,
	VH_GUEST_DEV_UNKNOWN, /* the guest could not be asked */
};

/* One passed host device and what the guest made of it. */
struct vh_guest_device {
	char host[VH_PCI_ADDR_STRLEN];
	uint16_t vendor, device;
	int hostpci_index;
	char guest_address[VH_PCI_ADDR_STRLEN]; /* "" when not found (or Windows) */
	char driver[64];                        /* "" when none */
	enum vh_guest_dev_state state;
	int problem; /* Windows problem code, 0 none */
};

#define VH_GUEST_PROBE_ARGS 33

/* One admin probe from the policy. */
struct vh_guest_probe {
	char *argv[VH_GUEST_PROBE_ARGS]; /* NULL-terminated, owned */
	int exit;                        /* -1: could not be run */
	char output[1024];               /* its first lines (or why it could not run) */
};

struct vh_guest_report {
	unsigned vmid;
	enum vh_guest_verdict verdict;
	bool agent_configured, agent_answered, agent_exec;
	char os[128], kernel[128], family[16]; /* "" unknown; family "linux" | "windows" */
	enum vh_guest_firmware firmware;
	int secure_boot; /* -1 unknown */
	size_t n_devices, n_probes, n_findings, n_unjudged;
	struct vh_guest_device *devices;
	struct vh_guest_probe *probes;
	struct vh_finding *findings;
	struct vh_unjudged *unjudged;
	/* measured: the agent's connections, the longest held, and the time
	 * from the agent's first answer to the verdict */
	unsigned connections;
	long max_hold_ms, answer_to_verdict_ms;
};

/* Asks the guest of VM vmid, waiting at most wait_ms for the agent's first
 * answer (0: one try). NULL only when the VM's config cannot be read or
 * memory runs out; a guest that cannot be asked is verdict UNKNOWN. */
VH_EXPORT struct vh_guest_report *vh_guest_ask(struct vh_host *h, unsigned vmid,
					       const struct vh_policy *p, unsigned wait_ms,
					       struct vh_err *err);
VH_EXPORT void vh_guest_report_free(struct vh_guest_report *r);
/* product.md's object: vmid, verdict, agent, guest, devices, probes,
 * findings, unjudged. A json-c object the caller puts. */
VH_EXPORT struct json_object *vh_guest_to_json(const struct vh_guest_report *r);
VH_EXPORT void vh_guest_print(const struct vh_guest_report *r, FILE *out);
VH_EXPORT const char *vh_guest_verdict_name(enum vh_guest_verdict v);
/* How the running guest booted, for setup's firmware plan: UEFI when
 * /sys/firmware/efi exists (Linux) or firmware_type is UEFI (Windows), BIOS
 * when not; UNKNOWN (why says so) when the VM has no agent, does not run,
 * the agent does not answer within wait_ms or refuses guest-exec. */
VH_EXPORT enum vh_guest_firmware vh_guest_ask_firmware(struct vh_host *h, unsigned vmid,
						       unsigned wait_ms, struct vh_err *why);

/* ------------------------------------------------------------------------
 * Task history (tasklog.c): the starts and stops of VMs as Proxmox's task
 * logs (/var/log/pve/tasks/) and the hook's own log
 * (/var/log/vfiohelp/hook.log) tell them, newest first.
 */

/* A task's name, pve-common's UPID grammar:
 * UPID:<node>:<pid 8 hex>:<pstart 8-9 hex>:<starttime 8 hex>:<type>:<id>:<user>: */
#define VH_TASK_UPID_MAX 256 /* a UPID is a file name: at most 255 bytes */

struct vh_task_upid {
	char node[64];
	uint32_t pid;
	uint64_t pstart;
	int64_t starttime; /* Unix seconds */
	char type[32];     /* "qmstart", "vzdump", ... */
	char id[64];       /* the VMID for qm* tasks; may be "" */
	char user[128];    /* "root@pam", "user@pve!token" */
	char subdir;       /* the log's directory: starttime's last hex digit as written */
};

/* Parses exactly s[0..len); -1 when it does not follow the grammar. */
VH_EXPORT int vh_task_upid_parse(const char *s, size_t len, struct vh_task_upid *out);

/* What became of a task. REFUSED: a start whose hookscript failed in pre-start. */
enum vh_task_state {
	VH_TASK_RUNNING,
	VH_TASK_OK,
	VH_TASK_WARNINGS,
	VH_TASK_REFUSED,
	VH_TASK_FAILED,
};

struct vh_history;
struct vh_task;

/* Reads the starts and stops (qmstart, qmstop, qmshutdown, qmreboot) of VM
 * vmid (0: of every VM) and the hook's own log entries that belong to no
 * task (post-stop), newest first, at most limit of them (0: all). Only the
 * logs of tasks kept are opened. Malformed lines are skipped and noted;
 * NULL only when memory runs out or the task directory cannot be read. */
VH_EXPORT struct vh_history *vh_history_load(struct vh_host *h, unsigned vmid, unsigned limit,
					     struct vh_err *err);
VH_EXPORT void vh_history_free(struct vh_history *hist);
VH_EXPORT size_t vh_history_count(const struct vh_history *hist);
VH_EXPORT const struct vh_task *vh_history_task(const struct vh_history *hist, size_t i);
/* What was skipped and why ("index line 3: ..."), for stderr. */
VH_EXPORT size_t vh_history_note_count(const struct vh_history *hist);
VH_EXPORT const char *vh_history_note(const struct vh_history *hist, size_t i);

/* A task: "" / NULL-free strings; the hook's own entries have upid and node
 * "" and type "hook:<phase>". */
VH_EXPORT const char *vh_task_upid(const struct vh_task *t);
VH_EXPORT const char *vh_task_type(const struct vh_task *t);
VH_EXPORT const char *vh_task_node(const struct vh_task *t);
VH_EXPORT const char *vh_task_user(const struct vh_task *t);
VH_EXPORT unsigned vh_task_vmid(const struct vh_task *t);
VH_EXPORT int64_t vh_task_start(const struct vh_task *t);
/* -1 while the task runs. */
VH_EXPORT int64_t vh_task_end(const struct vh_task *t);
VH_EXPORT enum vh_task_state vh_task_state(const struct vh_task *t);
/* "OK", "WARNINGS: 2", the error message, "running", or "exit N". */
VH_EXPORT const char *vh_task_status(const struct vh_task *t);
/* The lines the hook wrote into the task ("vfio-hook: ..."), in order. */
VH_EXPORT size_t vh_task_hook_count(const struct vh_task *t);
VH_EXPORT const char *vh_task_hook_line(const struct vh_task *t, size_t i);

/* {"vmid": 100|null, "tasks": [{"upid", "type", "node", "vmid", "user",
 * "start", "end", "status", "hook"}]}; a json-c object the caller puts. */
VH_EXPORT struct json_object *vh_history_to_json(const struct vh_history *hist);
/* The admin's text: one block per task, refused starts marked "!!". */
VH_EXPORT void vh_history_print(const struct vh_history *hist, FILE *out);

/* ------------------------------------------------------------------------
 * The host's devices (devices.c): `hookctl devices`, the seed's hardware
 * verification. Every PCI function with its IOMMU group, the group's other
 * members, whether it is isolated, its driver and reset methods, and the
 * VMs that pass it. The only reader of the whole bus: check and the hook
 * never call it.
 */
struct vh_devices;

VH_EXPORT struct vh_devices *vh_devices_load(struct vh_host *h, struct vh_err *err);
VH_EXPORT void vh_devices_free(struct vh_devices *d);
VH_EXPORT size_t vh_devices_count(const struct vh_devices *d);
/* {"devices": [{"address", "vendor_device", "class", "name", "driver",
 * "iommu_group", "group_members", "group_isolated", "group_passable",
 * "group_why", "reset_methods", "boot_vga", "used_by", "running_in"}]};
 * group_passable: the group can go to a VM whole with this device (no other
 * card's endpoint in it is on a host driver), group_why says why or why not.
 * A json-c object the caller puts. */
VH_EXPORT struct json_object *vh_devices_to_json(const struct vh_devices *d);
/* The admin's text: one block per IOMMU group with its "Assessment:" (can it
 * be passed whole, or which device shares it), then the devices without one. */
VH_EXPORT void vh_devices_print(const struct vh_devices *d, FILE *out);

/* ------------------------------------------------------------------------
 * A device's expansion ROM (view/rom.c): `hookctl rom`, the seed's "verify
 * the GPU ROM is accessible". Read through sysfs rom (enabled, read at most
 * 16 MiB, disabled again on every path), its images parsed by the parser
 * check uses for romfile= files, and judged as findings (rom-*).
 */
struct vh_device_rom;

/* Reads the ROM of device a. NULL when it cannot be read at all: no such
 * device, or a running VM holds or has reserved it (err names the VM; the
 * ROM BAR can share its decoder with the BARs the guest uses), or the tool
 * may not (not root). A device without a ROM, or whose ROM the kernel cannot
 * read, comes back with a rom-unreadable finding. */
VH_EXPORT struct vh_device_rom *vh_device_rom_load(struct vh_host *h, const struct vh_pci_addr *a,
						   struct vh_err *err);
VH_EXPORT void vh_device_rom_free(struct vh_device_rom *r);
/* A finding of severity error: the ROM is unusable as romfile=. */
VH_EXPORT bool vh_device_rom_blocks(const struct vh_device_rom *r);
/* Writes the ROM read to path (as given, not under the host's root),
 * atomically, mode 0644; only a ROM without errors. -1 with err naming why. */
VH_EXPORT int vh_device_rom_save(struct vh_device_rom *r, const char *path, struct vh_err *err);
/* {"address", "vendor_device", "size", "images": [{"offset", "vendor_device",
 * "class", "code_type": "x86"|"efi"|"other", "size", "last", "checksum_ok"
 * (null for images that are not x86), "efi_machine", "device_list"}], "efi",
 * "saved", "findings"}; a json-c object the caller puts. */
VH_EXPORT struct json_object *vh_device_rom_to_json(const struct vh_device_rom *r);
/* The admin's text: the images as a table, the findings with their fix. */
VH_EXPORT void vh_device_rom_print(const struct vh_device_rom *r, FILE *out);

/* ------------------------------------------------------------------------
 * Host setup (setup/): `hookctl setup`, the seed's host phases and VM
 * settings as a plan of only what is missing, carried out reversibly.
 */
struct vh_setup;

struct vh_setup_options {
	bool with_vm;        /* false (--no-vm): leave the VM's settings alone */
	bool firmware;       /* --firmware: plan bios=ovmf without the guest's word */
	const char *hookctl; /* absolute path of the running hookctl (hookctl install) */
};

/* The plan for VM vmid. NULL when it cannot be made (no such VM, kernel
 * options needed on an unknown boot loader, a target path setup cannot
 * restore exactly), err says why. */
VH_EXPORT struct vh_setup *vh_setup_plan(struct vh_host *h, unsigned vmid,
					 const struct vh_setup_options *o, struct vh_err *err);
/* One setup at a time: an exclusive lock next to the journals, held from
 * the plan of an --apply (or an --undo) to its end. Returns the lock's
 * descriptor, or -1 with err naming who holds it. */
VH_EXPORT int vh_setup_lock(struct vh_host *h, struct vh_err *err);
VH_EXPORT void vh_setup_unlock(int lock);
VH_EXPORT void vh_setup_free(struct vh_setup *s);
VH_EXPORT bool vh_setup_empty(const struct vh_setup *s);
/* product.md's object: vmid, bootloader, files, commands, vm, reboot_required, journal. */
VH_EXPORT struct json_object *vh_setup_to_json(const struct vh_setup *s);
VH_EXPORT void vh_setup_print(const struct vh_setup *s, FILE *out);
/* Carries the plan out and journals it under /var/lib/vfiohelp/setup/<ID>/,
 * each step recorded before it is taken: files atomically, then the commands
 * (on a live host only). On a failure or SIGINT/SIGTERM/SIGHUP every step
 * done is undone and -1 returned, err naming the step (and a rollback that
 * failed: the journal then stays undoable). */
VH_EXPORT int vh_setup_apply(struct vh_host *h, struct vh_setup *s, struct vh_err *err);
/* Restores journal id (NULL: the newest not undone) byte for byte; -1 with
 * err naming the file when one changed since, -2 when there is nothing to undo
 * or the journal cannot be read. */
VH_EXPORT int vh_setup_undo(struct vh_host *h, const char *id, FILE *out, struct vh_err *err);
/* {"journals": [{"id", "vmid", "files", "commands", "state", "undone"}]},
 * newest first; a journal setup did not write is listed as "unreadable". */
VH_EXPORT struct json_object *vh_setup_list(struct vh_host *h, struct vh_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VFIOHELP_H */
