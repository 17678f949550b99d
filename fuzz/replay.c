/* replay.c: runs a fuzz target's LLVMFuzzerTestOneInput over files, without libFuzzer.
 * `$(BUILD)/fuzz/<target> FILE...` prints "fuzz-replay <target>: N passed, 0 failed";
 * an input that crashes kills the process (and the sanitizer build reports it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f == NULL) {
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > (1L << 22) ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int i, passed = 0, failed = 0;

	for (i = 1; i < argc; i++) {
		if (replay(argv[i]) == 0) {
			passed++;
		} else {
			fprintf(stderr, "fuzz-replay %s: cannot read %s\n", name, argv[i]);
			failed++;
		}
	}
	printf("fuzz-replay %s: %d passed, %d failed\n", name, passed, failed);
	return failed ? 1 : 0;
}
