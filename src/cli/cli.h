/* cli.h: the subcommands of the latchkey binary. Each takes the arguments after its own
 * name (argv[0] is the subcommand) and returns the process exit status: 0 success,
 * 1 a refused or failed operation, 2 a usage error. */
#ifndef LK_CLI_H
#define LK_CLI_H

int lk_cli_serve(int argc, char **argv);
int lk_cli_user(int argc, char **argv);
int lk_cli_webauthn(int argc, char **argv);
int lk_cli_totp(int argc, char **argv);

#endif
