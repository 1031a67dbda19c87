/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The setup plan's parts, shared by the planner (plan.c, plan_vm.c), the
 * code that carries it out and undoes it (apply.c) and the journal that
 * records every step before it is taken (journal.c). */
#ifndef VFIOHELP_SETUP_H
#define VFIOHELP_SETUP_H

#include "internal.h"
#include "host/bootloader.h"

#include <sys/types.h>

#define VH_SETUP_MAX_FILES 8
#define VH_SETUP_MAX_COMMANDS 16
#define VH_SETUP_MAX_VM 16
#define VH_SETUP_MAX_ARGV 8
#define VH_SETUP_MAX_OUTPUTS 24
#define VH_SETUP_MAX_NOTES 8

#define VH_SETUP_JOURNALS "/var/lib/vfiohelp/setup"
#define VH_SETUP_MODPROBE_FILE "/etc/modprobe.d/vfiohelp.conf"
#define VH_SETUP_MODULES_FILE "/etc/modules-load.d/vfiohelp.conf"
#define VH_SETUP_GRUB_DROPIN "/etc/default/grub.d/vfiohelp.cfg"
#define VH_SETUP_KERNEL_CMDLINE "/etc/kernel/cmdline"

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
	bool started; /* the journal says apply began replacing it */
	bool written; /* apply replaced it */
};

/* A file a regenerating command rewrites (an initramfs image, grub.cfg),
 * saved in the journal before the command runs so a rollback can put its
 * bytes back instead of hoping the command rebuilds them the same. */
struct vh_setup_output {
	char path[160]; /* host path */
	bool existed;
	char saved[24]; /* its copy in the journal directory, "out.C.K" */
};

struct vh_setup_command {
	char argv[VH_SETUP_MAX_ARGV][128];
	size_t argc;
	char reason[256];
	bool run;         /* started (the journal says so before it starts) */
	int status;       /* -1 not run or not finished */
	bool regenerates; /* update-initramfs and friends: undone by their outputs or a rerun */
	size_t n_outputs;
	struct vh_setup_output outputs[VH_SETUP_MAX_OUTPUTS];
};

struct vh_setup_vm {
	char key[32];
	char old[512];
	bool had_old;
	char new_[512];
	char reason[256];
};

enum vh_setup_state {
	VH_SETUP_PLANNED,         /* no journal yet */
	VH_SETUP_APPLYING,        /* steps may have been taken: undoable */
	VH_SETUP_APPLIED,         /* every step done: undoable */
	VH_SETUP_ROLLED_BACK,     /* a failed apply, every step undone */
	VH_SETUP_ROLLBACK_FAILED, /* a failed apply whose rollback failed: undoable */
	VH_SETUP_UNDONE,          /* hookctl setup --undo put it back */
	VH_SETUP_UNDO_FAILED,     /* an undo that failed half-way: undoable again */
};

struct vh_setup {
	unsigned vmid;
	struct vh_boot boot;
	size_t n_files, n_commands, n_vm, n_notes;
	struct vh_setup_file files[VH_SETUP_MAX_FILES];
	struct vh_setup_command commands[VH_SETUP_MAX_COMMANDS];
	struct vh_setup_vm vm[VH_SETUP_MAX_VM];
	/* what the plan leaves out on purpose and why (a firmware change without
	 * the guest's word, a GRUB drop-in that overrides ours, no module index) */
	char notes[VH_SETUP_MAX_NOTES][512];
	bool reboot_required;
	enum vh_setup_state state;
	char journal[64]; /* "" until applied */
};

/* Adds a command (argv NULL-terminated); false when the plan is full. */
bool vh_setup_add_command(struct vh_setup *s, const char *reason, bool regenerates,
			  const char *const *argv);
/* The VM's settings (plan_vm.c), from the report `check` made. */
void vh_setup_plan_vm(struct vh_setup *s, struct vh_host *h, const struct vh_report *r,
		      const struct vh_setup_options *o);

/* The report's finding of that kind, NULL when it has none (the planner
 * plans a part only for what `check` found). */
const struct vh_finding *vh_setup_finding(const struct vh_report *r, enum vh_finding_id id);

/* Adds a note; printed with the plan and in its JSON ("notes"). */
void vh_setup_note(struct vh_setup *s, const char *fmt, ...) VH_PRINTF(2, 3);

/* The value of key in VM vmid's own config section, stripped; false when
 * the key is absent. Read-only: the product never writes a VM config. */
bool vh_setup_vm_value(struct vh_host *h, unsigned vmid, const char *key, char *out, size_t size);

/* A target path setup may write at all: absent, or a regular file with one
 * link owned by root (under --root: by the tree's owner). Anything else is
 * refused with the path named, as it could not be restored exactly. */
int vh_setup_target_ok(struct vh_host *h, const char *abs, struct vh_err *err);

/* JSON pieces the plan (plan.c) and the journal (journal.c) share. */
struct json_object *vh_setup_command_json(const struct vh_setup_command *c);
struct json_object *vh_setup_vm_json(const struct vh_setup *s);

/* ---- the journal (journal.c) ---- */
/* The journal's directory (id NULL: the directory of all journals). */
int vh_journal_dir(struct vh_host *h, const char *id, char *out, size_t size);
/* Makes a fresh journal directory for s (s->journal gets its id) holding
 * every file's original and new bytes, and writes journal.json. */
int vh_journal_create(struct vh_host *h, struct vh_setup *s, struct vh_err *err);
/* Rewrites journal.json (atomically, synced) with s as it is now. */
int vh_journal_write(struct vh_host *h, const struct vh_setup *s, struct vh_err *err);
/* A journal back into a setup, trusting it only for the paths, modes and
 * commands setup itself writes and runs; NULL with err when it is not one. */
struct vh_setup *vh_journal_load(struct vh_host *h, const char *id, struct vh_err *err);
/* Journal ids, newest first; returns the count. */
size_t vh_journal_ids(struct vh_host *h, char ids[][64], size_t max);
/* The state may still be undone. */
bool vh_setup_state_undoable(enum vh_setup_state st);
const char *vh_setup_state_name(enum vh_setup_state st);

/* ---- files, as apply and the journal write them (apply.c) ---- */
/* Writes path whole or not at all (a temporary beside it, fsync, rename). */
int vh_setup_write_atomic(const char *path, const char *data, size_t len, mode_t mode,
			  struct vh_err *err);
void vh_setup_mkdirs(const char *path);

#endif
