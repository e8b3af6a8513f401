/* cmd_search.c — placeholder until the subcommand lands. */
#include "cli/cli.h"

int cmd_search(cr_cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	return cli_fail(argv[0], "not built yet");
}
