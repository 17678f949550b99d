/* totp.c: placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int
lk_cli_totp(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("latchkey totp: not built yet\n", stderr);
	return 2;
}
