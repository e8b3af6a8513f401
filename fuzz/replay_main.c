/* replay_main.c — runs a fuzz target over every file of a corpus directory,
 * so inputs that once crashed stay fixed (ctest label "fuzz"). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
	fclose(f);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 1;
}

int main(int argc, char **argv)
{
	int count = 0;
	/* The empty input and a few tiny ones always run. */
	static const uint8_t tiny[] = {0, 0xff, 'G', 'G', 'U', 'F', '%', 'P', 'D', 'F', 'P', 'K', 3, 4};
	for (size_t i = 0; i <= sizeof tiny; i++)
		LLVMFuzzerTestOneInput(tiny, i);
	for (int a = 1; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		if (!d) {
			count += run_file(argv[a]);
			continue;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", argv[a], e->d_name);
			count += run_file(p);
		}
		closedir(d);
	}
	printf("replayed %d corpus files\n", count);
	return 0;
}
