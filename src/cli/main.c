/* main.c: the latchkey binary's entry: picks the subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int
usage(void)
{
	fputs("usage: latchkey serve [options]\n"
	      "       latchkey user list | show EMAIL | reset-2fa EMAIL | disable EMAIL | enable "
	      "EMAIL\n"
	      "       latchkey webauthn verify-registration | verify-authentication [options]\n"
	      "       latchkey totp code BASE32-SECRET [--at UNIX-SECONDS]\n",
	      stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		return usage();
	}
	if (strcmp(argv[1], "serve") == 0) {
		return lk_cli_serve(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "user") == 0) {
		return lk_cli_user(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "webauthn") == 0) {
		return lk_cli_webauthn(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "totp") == 0) {
		return lk_cli_totp(argc - 1, argv + 1);
	}
	return usage();
}
