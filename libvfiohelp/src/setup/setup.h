/* The setup plan's parts, shared by the planner (plan.c) and the code that
 * carries it out and undoes it (apply.c). */
#ifndef VFIOHELP_SETUP_H
#define VFIOHELP_SETUP_H

#include "internal.h"
#include "host/bootloader.h"

#include <sys/types.h>

#define VH_SETUP_MAX_FILES 8
#define VH_SETUP_MAX_COMMANDS 16
#define VH_SETUP_MAX_VM 16
#define VH_SETUP_MAX_ARGV 8

enum vh_file_action { VH_FILE_CREATE, VH_FILE_MODIFY, VH_FILE_REMOVE };

struct vh_setup_file {
	char path[128]; /* the host path, "/etc/..." */
	enum vh_file_action action;
	char reason[512];
	bool existed;
	char *old; /* its bytes now (when existed) */
	size_t old_len;
	mode_t old_mode;
	char *new_; /* what it becomes (NULL: removed) */
	size_t new_len;
	bool written; /* apply wrote it (what a rollback restores) */
};

struct vh_setup_command {
	char argv[VH_SETUP_MAX_ARGV][128];
	size_t argc;
	char reason[256];
	bool run;
	int status;       /* -1 not run */
	bool regenerates; /* update-initramfs and friends: undone by running again */
};

struct vh_setup_vm {
	char key[32];
	char old[512];
	bool had_old;
	char new_[512];
	char reason[256];
};

struct vh_setup {
	unsigned vmid;
	struct vh_boot boot;
	size_t n_files, n_commands, n_vm;
	struct vh_setup_file files[VH_SETUP_MAX_FILES];
	struct vh_setup_command commands[VH_SETUP_MAX_COMMANDS];
	struct vh_setup_vm vm[VH_SETUP_MAX_VM];
	bool reboot_required;
	char journal[64]; /* "" until applied */
};

/* Adds a command (argv NULL-terminated); false when the plan is full. */
bool vh_setup_add_command(struct vh_setup *s, const char *reason, bool regenerates,
			  const char *const *argv);

/* JSON pieces the plan (plan.c) and the journal (apply.c) share. */
struct json_object *vh_setup_command_json(const struct vh_setup_command *c);
struct json_object *vh_setup_vm_json(const struct vh_setup *s);

#endif
