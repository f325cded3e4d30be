/*
 * Runs a libFuzzer target over its seed corpus without libFuzzer, so that `make check` always
 * exercises every fuzz target: each file of tests/fuzz/corpus/<target>/ (the target's name
 * is this program's name after "replay_") is passed to LLVMFuzzerTestOneInput, whole and cut
 * at every length up to 512 bytes.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	for (long cut = 0; cut < n && cut <= 512; cut++) {
		/* A fresh copy of the prefix so that reading past it is caught by tools. */
		uint8_t *p = malloc((size_t)cut + 1);

		if (!p)
			break;
		memcpy(p, buf, (size_t)cut);
		LLVMFuzzerTestOneInput(p, (size_t)cut);
		free(p);
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *srcdir = getenv("INFLAME_SRCDIR");
	const char *base = strrchr(argv[0], '/');
	const char *target;
	char dir[4096], path[8192];
	struct dirent *de;
	DIR *d;
	int files = 0;

	(void)argc;
	base = base ? base + 1 : argv[0];
	target = strncmp(base, "replay_", 7) ? base : base + 7;
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".", target);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "replay: cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (replay_file(path) < 0) {
			fprintf(stderr, "replay: cannot read %s\n", path);
			closedir(d);
			return 1;
		}
		files++;
	}
	closedir(d);
	printf("replay %s: %d corpus files passed\n", target, files);
	return files > 0 ? 0 : 1;
}
