/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hookctl guest's judgement (guest/guest.c, the probes, view/guest.c) on
 * the seed's VM 100 (its RTX 4060 Ti 01:00.0 and audio 01:00.1, agent: 1),
 * its guest played by the in-test agent (tests/unit/fakeagent.c): the
 * programs it "runs" print what the guest's would. Each finding where it
 * must fire and where it must not; the verdicts; the policy's "guest".
 */
#include "testlib.h"
#include "fakeagent.h"
#include "internal.h"
#include "eval/policy.h"
#include "guest/guest.h"
#include "guest/probe.h"
#include "guest/qmp.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define HEALTHY_FACTS                              \
	"fw uefi\n"                                \
	"sb 0\n"                                   \
	"pci 0000:00:00.0 0x8086 0x29c0 -\n"       \
	"pci 0000:00:1f.0 0x8086 0x2918 lpc_ich\n" \
	"pci 0000:01:00.0 0x10de 0x2803 nvidia\n"  \
	"pci 0000:01:00.1 0x10de 0x22bd snd_hda_intel\n"

#define UBUNTU                                                           \
	"{\"id\": \"ubuntu\", \"pretty-name\": \"Ubuntu 22.04.5 LTS\", " \
	"\"kernel-release\": \"6.8.0-49-generic\"}"

/* NVIDIA's documented texts, printed by the stand-in nvidia-smi */
#define SMI_OK "Mon Dec  7 16:00:00 2026\n+----------------------+\n| NVIDIA-SMI 550.120 |\n"
#define SMI_NO_DRIVER                                                                         \
	"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make " \
	"sure that the latest NVIDIA driver is installed and running.\n"
#define SMI_NO_DEVICES "No devices were found\n"

struct g {
	char *root;
	struct fake_agent fake;
	bool started;
	struct vh_host *h;
	struct vh_policy *policy;
	struct vh_guest_report *r;
};

static int setup(void **state)
{
	struct g *g = calloc(1, sizeof(*g));
	g->root = vh_test_scratch_copy(vh_test_host("seed"));
	vh_test_write(g->root, "run/qemu-server/.keep", ""); /* var/run -> ../run */
	g->fake.osinfo = UBUNTU;
	g->fake.programs[0] = (struct fake_program){ "/bin/sh", HEALTHY_FACTS, 0, 0 };
	g->fake.programs[1] = (struct fake_program){ "nvidia-smi", SMI_OK, 0, 0 };
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct g *g = *state;
	if (g->started)
		fake_agent_stop(&g->fake);
	vh_guest_report_free(g->r);
	vh_policy_free(g->policy);
	vh_host_free(g->h);
	vh_test_scratch_free(g->root);
	free(g);
	return 0;
}

static void start(struct g *g, enum fake_mode mode)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/var/run/qemu-server/100.qga", g->root);
	g->fake.mode = mode;
	fake_agent_start(&g->fake, path);
	g->started = true;
}

/* Asks VM 100's guest with this policy text (NULL: none). */
static const struct vh_guest_report *ask(struct g *g, const char *policy, unsigned wait_ms)
{
	struct vh_err e;
	assert_non_null(g->h = vh_host_new(g->root, &e));
	g->policy = vh_policy_parse("test", policy ? policy : "{}", strlen(policy ? policy : "{}"),
				    &e);
	assert_non_null(g->policy);
	g->r = vh_guest_ask(g->h, 100, g->policy, wait_ms, &e);
	if (!g->r)
		fail_msg("vh_guest_ask: %s", e.msg);
	return g->r;
}

static const struct vh_finding *find(const struct vh_guest_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!strcmp(r->findings[i].id, id))
			return &r->findings[i];
	return NULL;
}

static const struct vh_finding *expect(const struct vh_guest_report *r, const char *id,
				       const char *subject)
{
	const struct vh_finding *f = find(r, id);
	if (!f) {
		for (size_t i = 0; i < r->n_findings; i++)
			print_message("  found %s %s: %s\n", r->findings[i].id,
				      r->findings[i].subject, r->findings[i].message);
		fail_msg("no finding %s", id);
	}
	if (subject)
		assert_string_equal(f->subject, subject);
	return f;
}

static void expect_only(const struct vh_guest_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (!id || strcmp(r->findings[i].id, id))
			fail_msg("unexpected finding %s %s: %s", r->findings[i].id,
				 r->findings[i].subject, r->findings[i].message);
}

/* ---- the verdicts ---- */

static void test_healthy_guest_is_ok(void **state)
{
	struct g *g = *state;
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	expect_only(r, NULL);
	assert_int_equal(r->verdict, VH_GUEST_OK);
	assert_true(r->agent_configured && r->agent_answered && r->agent_exec);
	assert_string_equal(r->os, "Ubuntu 22.04.5 LTS");
	assert_string_equal(r->kernel, "6.8.0-49-generic");
	assert_string_equal(r->family, "linux");
	assert_int_equal(r->firmware, VH_GUEST_FW_UEFI);
	assert_int_equal(r->secure_boot, 0);
	assert_int_equal(r->n_devices, 2);
	assert_string_equal(r->devices[0].host, "0000:01:00.0");
	assert_string_equal(r->devices[0].guest_address, "0000:01:00.0");
	assert_string_equal(r->devices[0].driver, "nvidia");
	assert_int_equal(r->devices[0].state, VH_GUEST_DEV_OK);
	assert_string_equal(r->devices[1].driver, "snd_hda_intel");
	/* no QMP socket in the tree: matched by vendor:device, and said so */
	assert_string_equal(r->unjudged[0].check, "guest-address");
	assert_true(r->max_hold_ms < 1100);
	assert_true(r->answer_to_verdict_ms >= 0);
}

static void test_device_missing(void **state)
{
	struct g *g = *state;
	g->fake.programs[0].out = "fw uefi\nsb 0\npci 0000:01:00.0 0x10de 0x2803 nvidia\n";
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	expect(r, "guest-device-missing", "0000:01:00.1");
	expect_only(r, "guest-device-missing");
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->verdict, VH_GUEST_PROBLEM);
	assert_int_equal(r->devices[1].state, VH_GUEST_DEV_MISSING);
	assert_string_equal(r->devices[1].guest_address, "");
}

/* A slot the host does not have (the card is gone): still looked for, as
 * its function 0, and reported missing rather than silently skipped. */
static void test_slot_not_on_the_host_is_looked_for(void **state)
{
	struct g *g = *state;
	char conf[8192];
	snprintf(conf, sizeof(conf), "%s", vh_test_read(g->root, "etc/pve/qemu-server/100.conf"));
	memcpy(strstr(conf, "hostpci0: 0000:01:00,"), "hostpci0: 0000:0a:00,", 21);
	vh_test_write(g->root, "etc/pve/qemu-server/100.conf", conf);
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	assert_int_equal(r->n_devices, 1);
	expect(r, "guest-device-missing", "0000:0a:00.0");
	assert_int_equal(r->verdict, VH_GUEST_PROBLEM);
}

static void test_driver_unbound(void **state)
{
	struct g *g = *state;
	g->fake.programs[0].out = "fw bios\npci 0000:01:00.0 0x10de 0x2803 -\n"
				  "pci 0000:01:00.1 0x10de 0x22bd snd_hda_intel\n";
	g->fake.programs[1] = (struct fake_program){ "nvidia-smi", SMI_NO_DRIVER, 9, 0 };
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	const struct vh_finding *f = expect(r, "guest-driver-unbound", "0000:01:00.0");
	assert_contains(f->fix, "install the NVIDIA driver");
	assert_int_equal(r->devices[0].state, VH_GUEST_DEV_NO_DRIVER);
	assert_int_equal(r->devices[1].state, VH_GUEST_DEV_OK);
	assert_int_equal(r->firmware, VH_GUEST_FW_BIOS);
	assert_int_equal(r->secure_boot, 0); /* no Secure Boot without UEFI */
	assert_int_equal(r->verdict, VH_GUEST_PROBLEM);
}

static void test_nvidia_driver_not_loaded(void **state)
{
	struct g *g = *state;
	g->fake.programs[1] = (struct fake_program){ "nvidia-smi", SMI_NO_DRIVER, 9, 0 };
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	const struct vh_finding *f = expect(r, "guest-nvidia-driver-not-loaded", "0000:01:00.0");
	assert_contains(f->message, "exits 9");
	assert_contains(f->message, "couldn't communicate with the NVIDIA driver");
	assert_null(find(r, "guest-nvidia-init-failed"));
	assert_int_equal(r->verdict, VH_GUEST_PROBLEM);
}

static void test_nvidia_init_failed_with_nvrm_lines(void **state)
{
	struct g *g = *state;
	g->fake.programs[0].out = HEALTHY_FACTS
		"klog [    5.1] NVRM: GPU 0000:01:00.0: RmInitAdapter failed! "
		"(0x22:0x56:667)\n";
	g->fake.programs[1] = (struct fake_program){ "nvidia-smi", SMI_NO_DEVICES, 6, 0 };
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	const struct vh_finding *f = expect(r, "guest-nvidia-init-failed", "0000:01:00.0");
	assert_contains(f->message, "exits 6");
	assert_contains(f->message, "No devices were found");
	assert_contains(f->message, "RmInitAdapter failed!");
	assert_null(find(r, "guest-nvidia-driver-not-loaded"));
	expect_only(r, "guest-nvidia-init-failed");
}

static void test_nvidia_smi_not_installed_is_unjudged(void **state)
{
	struct g *g = *state;
	g->fake.programs[1].path = "not-nvidia-smi";
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	expect_only(r, NULL);
	assert_int_equal(r->verdict, VH_GUEST_OK);
	bool seen = false;
	for (size_t i = 0; i < r->n_unjudged; i++)
		seen |= !strcmp(r->unjudged[i].check, "nvidia-smi");
	assert_true(seen);
}

static void test_secure_boot_refused_module(void **state)
{
	struct g *g = *state;
	g->fake.programs[0].out = "fw uefi\nsb 1\npci 0000:01:00.0 0x10de 0x2803 -\n"
				  "pci 0000:01:00.1 0x10de 0x22bd snd_hda_intel\n"
				  "klog [    3.2] Loading of unsigned module is rejected\n";
	g->fake.programs[1] = (struct fake_program){ "nvidia-smi", SMI_NO_DRIVER, 9, 0 };
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	const struct vh_finding *f = expect(r, "guest-secure-boot-refused-module", "kernel");
	assert_contains(f->message, "Secure Boot on");
	assert_contains(f->fix, "pre-enrolled-keys=0");
	assert_int_equal(r->secure_boot, 1);
}

/* "module verification failed ... tainting kernel" is a load, not a
 * refusal, unless Secure Boot enforces signatures. */
static void test_tainting_load_is_no_refusal_without_secure_boot(void **state)
{
	struct g *g = *state;
	g->fake.programs[0].out = HEALTHY_FACTS
		"klog nvidia: module verification failed: signature and/or required key "
		"missing - tainting kernel\n";
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	assert_null(find(r, "guest-secure-boot-refused-module"));
	assert_int_equal(r->verdict, VH_GUEST_OK);
}

static void test_admin_probes(void **state)
{
	struct g *g = *state;
	g->fake.programs[2] = (struct fake_program){ "docker", "Error: No such container: emby\n",
						     1, 0 };
	g->fake.programs[3] = (struct fake_program){ "true", "", 0, 0 };
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(
		g,
		"{\"guest\": {\"probes\": [[\"true\"]]}, \"vms\": {\"100\": {\"guest\": "
		"{\"probes\": [[\"docker\", \"exec\", \"emby\", \"nvidia-smi\"], [\"gone\"]]}}}}",
		0);
	assert_int_equal(r->n_probes, 3); /* the global one first */
	assert_string_equal(r->probes[0].argv[0], "true");
	assert_int_equal(r->probes[0].exit, 0);
	assert_int_equal(r->probes[1].exit, 1);
	assert_string_equal(r->probes[1].output, "Error: No such container: emby");
	assert_int_equal(r->probes[2].exit, -1);
	size_t failed = 0;
	for (size_t i = 0; i < r->n_findings; i++)
		failed += !strcmp(r->findings[i].id, "guest-probe-failed");
	assert_int_equal(failed, 2);
	const struct vh_finding *f = expect(r, "guest-probe-failed", "docker exec emby nvidia-smi");
	assert_contains(f->message, "exits 1");
	/* a word a shell would split is quoted, so the fix can be pasted */
	char name[256];
	struct vh_guest_probe q = { .argv = { "sh", "-c", "echo 'x y'; exit 3", NULL } };
	vh_guest_probe_name(&q, name, sizeof(name));
	assert_string_equal(name, "sh -c 'echo '\\''x y'\\''; exit 3'");
	assert_contains(f->fix, "qm guest exec 100 -- docker exec emby nvidia-smi");
	assert_int_equal(r->verdict, VH_GUEST_PROBLEM);
}

/* An agent without guest-get-osinfo: the OS is not judged, but a sh that
 * answers makes it Linux, so nvidia-smi is still asked. */
static void test_no_osinfo_still_linux(void **state)
{
	struct g *g = *state;
	g->fake.no_osinfo = true;
	g->fake.programs[1] = (struct fake_program){ "nvidia-smi", SMI_NO_DRIVER, 9, 0 };
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	assert_string_equal(r->os, "");
	assert_string_equal(r->family, "linux");
	expect(r, "guest-nvidia-driver-not-loaded", "0000:01:00.0");
	assert_string_equal(r->unjudged[0].check, "os");
}

static void test_agent_off(void **state)
{
	struct g *g = *state;
	char conf[8192];
	snprintf(conf, sizeof(conf), "%s", vh_test_read(g->root, "etc/pve/qemu-server/100.conf"));
	memcpy(strstr(conf, "agent: 1"), "#gent: 1", 8);
	vh_test_write(g->root, "etc/pve/qemu-server/100.conf", conf);
	start(g, FAKE_OK); /* even an agent on the socket is not asked */
	const struct vh_guest_report *r = ask(g, NULL, 0);
	const struct vh_finding *f = expect(r, "guest-agent-off", "agent");
	assert_int_equal(f->severity, VH_SEV_WARN);
	assert_contains(f->fix, "qm set 100 --agent enabled=1");
	expect_only(r, "guest-agent-off");
	assert_int_equal(r->verdict, VH_GUEST_UNKNOWN);
	assert_false(r->agent_configured);
	assert_int_equal(g->fake.connections, 0);
}

static void test_agent_silent(void **state)
{
	struct g *g = *state;
	start(g, FAKE_SILENT);
	const struct vh_guest_report *r = ask(g, NULL, 1500);
	expect(r, "guest-agent-silent", "agent");
	expect_only(r, "guest-agent-silent");
	assert_int_equal(r->verdict, VH_GUEST_UNKNOWN);
	assert_false(r->agent_answered);
	assert_int_equal(r->connections, 2); /* one try a second within the wait */
	assert_true(r->max_hold_ms < 2000);  /* the 1 s hold, and a loaded machine's late wake-up */
}

static void test_exec_disabled(void **state)
{
	struct g *g = *state;
	start(g, FAKE_EXEC_DISABLED);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	expect(r, "guest-exec-disabled", "agent");
	expect_only(r, "guest-exec-disabled");
	assert_int_equal(r->verdict, VH_GUEST_UNKNOWN);
	assert_true(r->agent_answered);
	assert_false(r->agent_exec);
	assert_string_equal(r->os, "Ubuntu 22.04.5 LTS"); /* what it could say, it said */
	assert_int_equal(r->devices[0].state, VH_GUEST_DEV_UNKNOWN);
}

static void test_vm_not_running(void **state)
{
	struct g *g = *state;
	const struct vh_guest_report *r = ask(g, NULL, 3000);
	expect_only(r, NULL);
	assert_int_equal(r->verdict, VH_GUEST_UNKNOWN);
	assert_contains(r->unjudged[0].why, "not running here: no ");
	/* QEMU gone, its socket file left: nobody listens, not a silent agent */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/qemu-server/100.qga", g->root);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, never listening: connect is refused */
	vh_guest_report_free(g->r);
	struct vh_err e;
	g->r = vh_guest_ask(g->h, 100, g->policy, 3000, &e);
	assert_non_null(g->r);
	expect_only(g->r, NULL);
	assert_contains(g->r->unjudged[0].why, "nobody listens on");
}

static void test_policy_can_turn_a_finding_off(void **state)
{
	struct g *g = *state;
	g->fake.programs[0].out = "fw uefi\npci 0000:01:00.0 0x10de 0x2803 nvidia\n";
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g,
					      "{\"severity\": {\"guest-device-missing\": \"off\"}}",
					      0);
	expect_only(r, NULL);
	assert_int_equal(r->verdict, VH_GUEST_OK);
}

/* ---- Windows, from Get-PnpDevice | ConvertTo-Json's documented shape ---- */

#define WIN_OSINFO                                                      \
	"{\"id\": \"mswindows\", \"pretty-name\": \"Windows 11 Pro\", " \
	"\"kernel-release\": \"22631\"}"

static void test_windows_code_43(void **state)
{
	struct g *g = *state;
	g->fake.osinfo = WIN_OSINFO;
	g->fake.programs[0] = (struct fake_program){
		"powershell.exe",
		"{\"firmware\":\"UEFI\",\"secure_boot\":true,\"devices\":["
		"{\"InstanceId\":\"PCI\\\\VEN_10DE&DEV_2803&SUBSYS_40F01458&REV_A1\\\\4&1234\","
		"\"FriendlyName\":\"NVIDIA GeForce RTX 4060 Ti\",\"Status\":\"Error\","
		"\"Problem\":43,\"ConfigManagerErrorCode\":43,\"Service\":\"nvlddmkm\"},"
		"{\"InstanceId\":\"PCI\\\\VEN_10DE&DEV_22BD&SUBSYS_40F01458&REV_A1\\\\4&5678\","
		"\"FriendlyName\":\"High Definition Audio Controller\",\"Status\":\"OK\","
		"\"Problem\":0,\"ConfigManagerErrorCode\":0,\"Service\":\"HDAudBus\"}]}",
		0, 0
	};
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, NULL, 0);
	const struct vh_finding *f = expect(r, "guest-device-problem", "0000:01:00.0");
	assert_contains(f->message, "Code 43 (CM_PROB_FAILED_POST_START");
	expect_only(r, "guest-device-problem");
	assert_string_equal(r->family, "windows");
	assert_int_equal(r->firmware, VH_GUEST_FW_UEFI);
	assert_int_equal(r->secure_boot, 1);
	assert_int_equal(r->devices[0].problem, 43);
	assert_int_equal(r->devices[1].state, VH_GUEST_DEV_OK);
	assert_string_equal(r->devices[1].driver, "HDAudBus");
	assert_int_equal(r->verdict, VH_GUEST_PROBLEM);
	assert_int_equal(g->fake.execs, 1); /* no nvidia-smi on Windows */
}

static void test_windows_parse_plain_get_pnpdevice_json(void **state)
{
	(void)state;
	/* Get-PnpDevice -PresentOnly | ConvertTo-Json with one device: an object */
	struct guest_facts f = { .secure_boot = -1 };
	struct vh_err e;
	assert_int_equal(vh_probe_windows_parse(
				 "{\"Class\":\"Display\",\"FriendlyName\":\"NVIDIA GeForce RTX "
				 "4060 Ti\",\"InstanceId\":\"PCI\\\\VEN_10DE&DEV_2803&SUBSYS_"
				 "40F01458&REV_A1\\\\4&2B8E0B4&0&0008\",\"Problem\":0,"
				 "\"Status\":\"OK\",\"ConfigManagerErrorCode\":0}",
				 &f, &e),
			 0);
	assert_int_equal(f.n_pci, 1);
	assert_int_equal(f.pci[0].vendor, 0x10de);
	assert_int_equal(f.pci[0].device, 0x2803);
	assert_int_equal(f.pci[0].problem, 0);
	assert_string_equal(f.pci[0].driver, "ok");
	free(f.pci);
	assert_int_equal(vh_probe_windows_parse("not json", &f, &e), -1);
	assert_int_equal(e.code, EPROTO);
	assert_string_equal(vh_probe_windows_problem_name(28),
			    "Code 28 (CM_PROB_FAILED_INSTALL: no driver is installed)");
	assert_string_equal(vh_probe_windows_problem_name(99), "Code 99");
}

/* ---- the parsers alone ---- */

static void test_linux_parse_and_nvidia_judge(void **state)
{
	(void)state;
	struct guest_facts f = { .secure_boot = -1 };
	struct vh_err e;
	assert_int_equal(vh_probe_linux_parse("fw uefi\nsbtext SecureBoot enabled\n"
					      "pci 0000:00:10.0 0x8086 0x10d3 e1000e\n"
					      "pci garbage\n",
					      &f, &e),
			 0);
	assert_int_equal(f.firmware, VH_GUEST_FW_UEFI);
	assert_int_equal(f.secure_boot, 1);
	assert_int_equal(f.n_pci, 1);
	assert_string_equal(f.pci[0].driver, "e1000e");
	free(f.pci);
	assert_int_equal(vh_probe_linux_parse("sh: 1: syntax error\n", &f, &e), -1);
	assert_int_equal(vh_probe_nvidia_judge(0, "Mon Dec"), NVIDIA_OK);
	assert_int_equal(vh_probe_nvidia_judge(9, ""), NVIDIA_NOT_LOADED);
	assert_int_equal(vh_probe_nvidia_judge(255, "NVIDIA-SMI has failed because it couldn't "
						    "communicate with the NVIDIA driver."),
			 NVIDIA_NOT_LOADED);
	assert_int_equal(vh_probe_nvidia_judge(6, "No devices were found"), NVIDIA_INIT_FAILED);
	assert_int_equal(vh_probe_nvidia_judge(18, "Failed to initialize NVML: Driver/library "
						   "version mismatch"),
			 NVIDIA_INIT_FAILED);
}

static void test_qmp_query_pci_parse(void **state)
{
	(void)state;
	/* query-pci of a q35 VM: the root port at 1c.0 with hostpci0.0/.1
	 * behind it on bus 1 (QEMU's documented shape, trimmed) */
	json_object *ret = json_tokener_parse(
		"[{\"bus\": 0, \"devices\": [{\"bus\": 0, \"slot\": 0, \"function\": 0, "
		"\"class_info\": {\"class\": 1536}, \"id\": {\"device\": 10688, \"vendor\": "
		"32902}, \"qdev_id\": \"\", \"regions\": []}, {\"bus\": 0, \"slot\": 28, "
		"\"function\": 0, \"class_info\": {\"class\": 1540}, \"id\": {\"device\": 12, "
		"\"vendor\": 6966}, \"qdev_id\": \"ich9-pcie-port-1\", \"pci_bridge\": {\"bus\": "
		"{\"number\": 1, \"secondary\": 1, \"subordinate\": 1}, \"devices\": [{\"bus\": 1, "
		"\"slot\": 0, \"function\": 0, \"id\": {\"device\": 10243, \"vendor\": 4318}, "
		"\"qdev_id\": \"hostpci0.0\"}, {\"bus\": 1, \"slot\": 0, \"function\": 1, \"id\": "
		"{\"device\": 8893, \"vendor\": 4318}, \"qdev_id\": \"hostpci0.1\"}]}}]}]");
	struct vh_qmp_device *q;
	size_t n;
	struct vh_err e;
	assert_int_equal(vh_qmp_pci_parse(ret, &q, &n, &e), 0);
	assert_int_equal(n, 4);
	char addr[VH_PCI_ADDR_STRLEN];
	vh_pci_addr_format(&q[2].guest, addr);
	assert_string_equal(q[2].qdev_id, "hostpci0.0");
	assert_string_equal(addr, "0000:01:00.0");
	assert_int_equal(q[3].vendor, 0x10de);
	assert_int_equal(q[3].device, 0x22bd);
	free(q);
	json_object_put(ret);
	ret = json_tokener_parse("[{\"bus\": 0, \"devices\": [{\"slot\": 1}]}]");
	assert_int_equal(vh_qmp_pci_parse(ret, &q, &n, &e), -1);
	assert_int_equal(e.code, EPROTO);
	json_object_put(ret);
}

static void test_policy_guest(void **state)
{
	(void)state;
	struct vh_err e;
	const char *ok = "{\"guest\": {\"verify\": false, \"wait_s\": 60, \"probes\": [[\"a\"]]},"
			 " \"vms\": {\"100\": {\"guest\": {\"verify\": true}}}}";
	struct vh_policy *p = vh_policy_parse("t", ok, strlen(ok), &e);
	assert_non_null(p);
	assert_false(vh_policy_guest_verify(p, 101));
	assert_true(vh_policy_guest_verify(p, 100));
	assert_int_equal(vh_policy_guest_wait_s(p, 100), 60);
	assert_int_equal(vh_policy_guest_probe_count(p, 100), 1);
	vh_policy_free(p);
	p = vh_policy_parse("t", "{}", 2, &e);
	assert_true(vh_policy_guest_verify(p, 100));
	assert_int_equal(vh_policy_guest_wait_s(p, 100), 300);
	assert_int_equal(vh_policy_guest_probe_count(p, 100), 0);
	vh_policy_free(p);
	const char *bad[] = {
		"{\"guest\": {\"wait_s\": 0}}",    "{\"guest\": {\"probes\": [\"nvidia-smi\"]}}",
		"{\"guest\": {\"probes\": [[]]}}", "{\"guest\": {\"probes\": [[\"\"]]}}",
		"{\"guest\": {\"verify\": 1}}",    "{\"guest\": {\"probe\": []}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = vh_policy_parse("t", bad[i], strlen(bad[i]), &e);
		if (p)
			fail_msg("accepted %s", bad[i]);
		assert_contains(e.msg, "guest");
	}
}

static void test_ask_firmware(void **state)
{
	struct g *g = *state;
	struct vh_err e;
	assert_non_null(g->h = vh_host_new(g->root, &e));
	/* not running: unknown, and why */
	assert_int_equal(vh_guest_ask_firmware(g->h, 100, 0, &e), VH_GUEST_FW_UNKNOWN);
	assert_contains(e.msg, "not running");
	start(g, FAKE_OK);
	assert_int_equal(vh_guest_ask_firmware(g->h, 100, 0, &e), VH_GUEST_FW_UEFI);
	fake_agent_stop(&g->fake);
	g->fake.programs[0].out = "fw bios\n";
	start(g, FAKE_OK);
	assert_int_equal(vh_guest_ask_firmware(g->h, 100, 0, &e), VH_GUEST_FW_BIOS);
	fake_agent_stop(&g->fake);
	start(g, FAKE_EXEC_DISABLED);
	assert_int_equal(vh_guest_ask_firmware(g->h, 100, 0, &e), VH_GUEST_FW_UNKNOWN);
	assert_contains(e.msg, "refuses to run programs");
	assert_int_equal(vh_guest_ask_firmware(g->h, 101, 0, &e), VH_GUEST_FW_UNKNOWN);
}

static void test_json_shape(void **state)
{
	struct g *g = *state;
	g->fake.programs[0].out = "fw uefi\nsb 0\npci 0000:01:00.0 0x10de 0x2803 nvidia\n";
	start(g, FAKE_OK);
	const struct vh_guest_report *r = ask(g, "{\"guest\": {\"probes\": [[\"nvidia-smi\"]]}}",
					      0);
	json_object *o = vh_guest_to_json(r), *v;
	const char *keys[] = { "vmid",    "verdict", "agent",    "guest",
			       "devices", "probes",  "findings", "unjudged" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_true(json_object_object_get_ex(o, keys[i], &v));
	assert_string_equal(json_object_get_string(json_object_object_get(o, "verdict")),
			    "problem");
	json_object *d1 = json_object_array_get_idx(json_object_object_get(o, "devices"), 1);
	assert_string_equal(json_object_get_string(json_object_object_get(d1, "state")), "missing");
	assert_null(json_object_object_get(d1, "guest_address"));
	json_object *g0 = json_object_object_get(o, "guest");
	assert_string_equal(json_object_get_string(json_object_object_get(g0, "firmware")), "uefi");
	assert_false(json_object_get_boolean(json_object_object_get(g0, "secure_boot")));
	json_object *p0 = json_object_array_get_idx(json_object_object_get(o, "probes"), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(p0, "name")),
			    "nvidia-smi");
	assert_int_equal(json_object_get_int(json_object_object_get(p0, "exit")), 0);
	json_object_put(o);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_healthy_guest_is_ok),
		T(test_device_missing),
		T(test_slot_not_on_the_host_is_looked_for),
		T(test_driver_unbound),
		T(test_nvidia_driver_not_loaded),
		T(test_nvidia_init_failed_with_nvrm_lines),
		T(test_nvidia_smi_not_installed_is_unjudged),
		T(test_secure_boot_refused_module),
		T(test_tainting_load_is_no_refusal_without_secure_boot),
		T(test_admin_probes),
		T(test_no_osinfo_still_linux),
		T(test_agent_off),
		T(test_agent_silent),
		T(test_exec_disabled),
		T(test_vm_not_running),
		T(test_policy_can_turn_a_finding_off),
		T(test_windows_code_43),
		cmocka_unit_test(test_windows_parse_plain_get_pnpdevice_json),
		cmocka_unit_test(test_linux_parse_and_nvidia_judge),
		cmocka_unit_test(test_qmp_query_pci_parse),
		cmocka_unit_test(test_policy_guest),
		T(test_ask_firmware),
		T(test_json_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
