/* hookctl: the administrator's tool. Dispatches to one verb. */
#include "hookctl.h"

#include <stdio.h>
#include <string.h>

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static const struct verb verbs[] = {
	{ "check", hookctl_check, "check VMID [--root DIR] [--json] [--policy FILE]" },
	{ "log", hookctl_log, "log [VMID] [--root DIR] [--json] [--limit N]" },
	{ "devices", hookctl_devices, "devices [--root DIR] [--json]" },
	{ "setup", hookctl_setup, "setup VMID [--root DIR] [--json] [--apply] [--no-vm] | setup --undo [ID] | setup --list" },
	{ "install", hookctl_install, "install VMID [--storage NAME] [--root DIR] [--apply]" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  hookctl %s\n", verbs[i].usage);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return HOOKCTL_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return HOOKCTL_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc, argv);
	fprintf(stderr, "hookctl: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return HOOKCTL_USAGE;
}
