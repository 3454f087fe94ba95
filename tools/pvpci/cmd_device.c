/* SPDX-License-Identifier: MIT */
/*
 * Placeholder for the device commands (view, replay) until the PV policy lands.
 */
#include <stdio.h>

#include "cmds.h"

int cmd_view(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "pvpci %s: not built yet\n", argv[0]);
	return PVPCI_EXIT_FAIL;
}

int cmd_replay(int argc, char **argv)
{
	return cmd_view(argc, argv);
}
