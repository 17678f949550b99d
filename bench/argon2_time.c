/* argon2_time.c: the time of one password hash with latchkey's parameters, the bound a
 * POST /login throughput is measured against (bench/run). Prints seconds per hash. */
#include <sodium.h>
#include <stdio.h>
#include <time.h>

#include "core/password.h"

int
main(void)
{
	char out[LK_PASSWORD_HASH_SIZE];
	struct timespec a, b;
	const int n = 20;

	if (sodium_init() < 0) {
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		if (lk_password_hash("correct horse battery", 21, out) != LK_OK) {
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.6f\n", ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9) / n);
	return 0;
}
