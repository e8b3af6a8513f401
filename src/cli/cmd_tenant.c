/*
 * cmd_tenant.c — `cristal tenant add NAME | list [--json]`: tenants, whose
 * documents, users and usage never mix (cmd_group.c does the work: a
 * tenant is a name row like a group).
 */
#include "cli.h"

int cmd_tenant(cr_cli *cli, int argc, char **argv) { return cli_names_cmd(cli, 1, argc, argv); }
