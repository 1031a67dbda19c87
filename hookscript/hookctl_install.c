/* hookctl install: placeholder until the hookscript issue lands. */
#include "hookctl.h"

int hookctl_install(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "hookctl install: not built yet\n");
	return HOOKCTL_USAGE;
}
