/* serve.c: placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int
lk_cli_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("latchkey serve: not built yet\n", stderr);
	return 2;
}
