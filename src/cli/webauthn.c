/* webauthn.c: placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int
lk_cli_webauthn(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("latchkey webauthn: not built yet\n", stderr);
	return 2;
}
