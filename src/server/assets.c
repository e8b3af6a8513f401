/*
 * assets.c — the files built into the binary: the web UI (web/, served at
 * "/<name>") and the OpenAPI document ("api:openapi.json", served only at
 * /api/openapi.json). cmake/embed.cmake turns them into srv_assets.c at
 * build time, so the binary needs no files beside it.
 */
#include "server_int.h"

#include <string.h>

extern const srv_asset srv_assets[];
extern const size_t srv_n_assets;

const srv_asset *srv_asset_find(const char *path)
{
	for (size_t i = 0; i < srv_n_assets; i++)
		if (!strcmp(srv_assets[i].path, path))
			return &srv_assets[i];
	return NULL;
}
