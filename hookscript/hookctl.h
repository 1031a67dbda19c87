/* hookctl's verbs, one file each (hookctl_<verb>.c). */
#ifndef VH_HOOKCTL_H
#define VH_HOOKCTL_H

#include "cli.h"

/* Exit statuses of every verb. */
enum { HOOKCTL_OK = 0, HOOKCTL_BLOCKED = 1, HOOKCTL_USAGE = 2 };

int hookctl_check(int argc, char **argv);
int hookctl_log(int argc, char **argv);
int hookctl_install(int argc, char **argv);
int hookctl_devices(int argc, char **argv);
int hookctl_setup(int argc, char **argv);

#endif
