/* test_secretbox.c: the server key file (creation, permissions, concurrent starts,
 * malformed content), subkey derivation and AEAD sealing. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"
#include "core/secretbox.h"

static char dir[] = "/tmp/lk-test-secretbox-XXXXXX";

static void
path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void
write_file(const char *name, const char *content, mode_t mode)
{
	char p[256];
	path_of(p, sizeof(p), name);
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
		CHECK(fchmod(fd, mode) == 0);
		close(fd);
	}
}

static void
fingerprint(const struct lk_serverkey *k, unsigned char out[LK_KEY_BYTES])
{
	CHECK_EQ_INT(lk_key_derive(k, LK_KEY_RECOVERY, out), LK_OK);
}

static void
test_create_and_reload(void)
{
	struct lk_serverkey *a = NULL, *b = NULL;
	unsigned char fa[LK_KEY_BYTES], fb[LK_KEY_BYTES];
	char p[256], content[100];
	struct stat st;

	path_of(p, sizeof(p), "secret.key");
	unlink(p);
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &a), LK_OK);
	CHECK(a != NULL);
	CHECK(stat(p, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 0777, 0600);
	CHECK_EQ_INT(st.st_size, 65);
	FILE *f = fopen(p, "r");
	CHECK(f && fgets(content, sizeof(content), f));
	if (f) {
		fclose(f);
	}
	CHECK_EQ_INT(strspn(content, "0123456789abcdef"), 64);
	CHECK_EQ_INT(content[64], '\n');
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &b), LK_OK);
	fingerprint(a, fa);
	fingerprint(b, fb);
	CHECK(memcmp(fa, fb, LK_KEY_BYTES) == 0);
	/* the key the file holds is the key in use */
	unsigned char raw[LK_KEY_BYTES];
	size_t n = 0;
	struct lk_serverkey *c = NULL;
	CHECK_EQ_INT(sodium_hex2bin(raw, sizeof(raw), content, 64, NULL, &n, NULL), 0);
	CHECK_EQ_INT(lk_serverkey_from_bytes(raw, &c), LK_OK);
	fingerprint(c, fb);
	CHECK(memcmp(fa, fb, LK_KEY_BYTES) == 0);
	/* no temporary file left behind */
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "ls -A %s", dir);
	FILE *ls = popen(cmd, "r");
	char line[256];
	int entries = 0;
	while (ls && fgets(line, sizeof(line), ls)) {
		entries++;
		CHECK_EQ_STR(line, "secret.key\n");
	}
	if (ls) {
		pclose(ls);
	}
	CHECK_EQ_INT(entries, 1);
	lk_serverkey_free(a);
	lk_serverkey_free(b);
	lk_serverkey_free(c);
	lk_serverkey_free(NULL);
}

static void
test_refusals(void)
{
	struct lk_serverkey *k = (struct lk_serverkey *)0x1;
	const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char p[256], buf[200];

	/* permissions: group or other bits refused, owner-only read accepted */
	write_file("secret.key", hex, 0640);
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &k), LK_E_STATE);
	CHECK(k == NULL);
	write_file("secret.key", hex, 0604);
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &k), LK_E_STATE);
	write_file("secret.key", hex, 0620);
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &k), LK_E_STATE);
	write_file("secret.key", hex, 0400);
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &k), LK_OK);
	lk_serverkey_free(k);
	/* upper-case hex is still hex */
	snprintf(buf, sizeof(buf), "%s", hex);
	for (char *c = buf; *c; c++) {
		*c = (char)(*c >= 'a' && *c <= 'f' ? *c - 32 : *c);
	}
	write_file("secret.key", buf, 0600);
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &k), LK_OK);
	lk_serverkey_free(k);
	/* malformed contents */
	const char *bad[] = {
	    "",
	    "0011",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef",   /* 63 */
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0", /* 65 */
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\n",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\r\n",
	    " 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    "00112233445566778899aabbccddeeff 0112233445566778899aabbccddeeff",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("secret.key", bad[i], 0600);
		int rc = lk_serverkey_load_or_create(dir, &k);
		if (rc != LK_E_MALFORMED) {
			fprintf(stderr, "content %zu gave %d\n", i, rc);
		}
		CHECK_EQ_INT(rc, LK_E_MALFORMED);
	}
	/* a symlink is refused (O_NOFOLLOW), even to a good key */
	write_file("real.key", hex, 0600);
	path_of(p, sizeof(p), "secret.key");
	unlink(p);
	path_of(buf, sizeof(buf), "real.key");
	CHECK(symlink(buf, p) == 0);
	CHECK_EQ_INT(lk_serverkey_load_or_create(dir, &k), LK_E_IO);
	unlink(p);
	unlink(buf);
	/* a directory in its place */
	CHECK(mkdir(p, 0700) == 0);
	CHECK(lk_serverkey_load_or_create(dir, &k) != LK_OK);
	rmdir(p);
	/* a data dir that does not exist */
	CHECK_EQ_INT(lk_serverkey_load_or_create("/nonexistent/latchkey", &k), LK_E_IO);
	CHECK_EQ_INT(lk_serverkey_load_or_create(NULL, &k), LK_E_INVAL);
}

/* Eight processes start at once on an empty directory: all must load the same key. */
static void
test_concurrent_create(void)
{
	enum { N = 8 };
	int fds[2];
	pid_t pids[N];
	unsigned char fp[N][LK_KEY_BYTES];
	char p[256];

	path_of(p, sizeof(p), "secret.key");
	for (int round = 0; round < 5; round++) {
		unlink(p);
		CHECK(pipe(fds) == 0);
		for (int i = 0; i < N; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct lk_serverkey *k = NULL;
				unsigned char f[LK_KEY_BYTES] = {0};
				close(fds[0]);
				if (lk_serverkey_load_or_create(dir, &k) == LK_OK) {
					(void)lk_key_derive(k, LK_KEY_RECOVERY, f);
				}
				_exit(write(fds[1], f, sizeof(f)) == sizeof(f) ? 0 : 1);
			}
		}
		close(fds[1]);
		for (int i = 0; i < N; i++) {
			CHECK(read(fds[0], fp[i], LK_KEY_BYTES) == LK_KEY_BYTES);
		}
		close(fds[0]);
		for (int i = 0; i < N; i++) {
			int st = 0;
			waitpid(pids[i], &st, 0);
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
			CHECK(memcmp(fp[i], fp[0], LK_KEY_BYTES) == 0);
		}
		unsigned char zero[LK_KEY_BYTES] = {0};
		CHECK(memcmp(fp[0], zero, LK_KEY_BYTES) != 0);
	}
}

static void
test_derive(void)
{
	unsigned char raw[LK_KEY_BYTES], a[LK_KEY_BYTES], b[LK_KEY_BYTES], c[LK_KEY_BYTES];
	struct lk_serverkey *k = NULL, *k2 = NULL;

	memset(raw, 7, sizeof(raw));
	CHECK_EQ_INT(lk_serverkey_from_bytes(raw, &k), LK_OK);
	raw[0] = 8;
	CHECK_EQ_INT(lk_serverkey_from_bytes(raw, &k2), LK_OK);
	CHECK_EQ_INT(lk_key_derive(k, LK_KEY_RECOVERY, a), LK_OK);
	CHECK_EQ_INT(lk_key_derive(k, LK_KEY_FAKE_PASSKEYS, b), LK_OK);
	CHECK(memcmp(a, b, LK_KEY_BYTES) != 0);
	CHECK_EQ_INT(lk_key_derive(k, LK_KEY_RECOVERY, c), LK_OK);
	CHECK(memcmp(a, c, LK_KEY_BYTES) == 0);
	CHECK_EQ_INT(lk_key_derive(k2, LK_KEY_RECOVERY, c), LK_OK);
	CHECK(memcmp(a, c, LK_KEY_BYTES) != 0);
	CHECK(memcmp(a, raw, LK_KEY_BYTES) != 0);
	CHECK_EQ_INT(lk_key_derive(k, "short", a), LK_E_INVAL);
	CHECK_EQ_INT(lk_key_derive(k, "ninechars", a), LK_E_INVAL);
	CHECK_EQ_INT(lk_key_derive(NULL, LK_KEY_RECOVERY, a), LK_E_INVAL);
	lk_serverkey_free(k);
	lk_serverkey_free(k2);
}

static void
test_seal_open(void)
{
	unsigned char raw[LK_KEY_BYTES], ct[100], ct2[100], pt[64];
	const unsigned char secret[20] = "twenty byte secret!";
	struct lk_serverkey *k = NULL, *other = NULL;
	size_t n = 0, n2 = 0, m = 0;

	memset(raw, 1, sizeof(raw));
	CHECK_EQ_INT(lk_serverkey_from_bytes(raw, &k), LK_OK);
	raw[31] = 2;
	CHECK_EQ_INT(lk_serverkey_from_bytes(raw, &other), LK_OK);
	CHECK_EQ_INT(lk_secretbox_seal(k, secret, 20, (const unsigned char *)"user-1", 6, ct,
	                               sizeof(ct), &n),
	             LK_OK);
	CHECK_EQ_INT(n, 20 + LK_SECRETBOX_OVERHEAD);
	CHECK_EQ_INT(ct[0], 1);
	CHECK(memmem(ct, n, secret, 20) == NULL);
	CHECK_EQ_INT(lk_secretbox_seal(k, secret, 20, (const unsigned char *)"user-1", 6, ct2,
	                               sizeof(ct2), &n2),
	             LK_OK);
	CHECK(memcmp(ct, ct2, n) != 0); /* random nonce */
	CHECK_EQ_INT(
	    lk_secretbox_open(k, ct, n, (const unsigned char *)"user-1", 6, pt, sizeof(pt), &m),
	    LK_OK);
	CHECK_EQ_INT(m, 20);
	CHECK(memcmp(pt, secret, 20) == 0);
	/* other associated data, other key */
	CHECK_EQ_INT(
	    lk_secretbox_open(k, ct, n, (const unsigned char *)"user-2", 6, pt, sizeof(pt), &m),
	    LK_E_VERIFY);
	CHECK_EQ_INT(m, 0);
	CHECK_EQ_INT(pt[0], 0); /* wiped */
	CHECK_EQ_INT(lk_secretbox_open(k, ct, n, NULL, 0, pt, sizeof(pt), &m), LK_E_VERIFY);
	CHECK_EQ_INT(
	    lk_secretbox_open(other, ct, n, (const unsigned char *)"user-1", 6, pt, sizeof(pt), &m),
	    LK_E_VERIFY);
	/* every single bit flip is detected */
	int undetected = 0;
	for (size_t i = 1; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			ct[i] ^= (unsigned char)(1 << bit);
			if (lk_secretbox_open(k, ct, n, (const unsigned char *)"user-1", 6, pt,
			                      sizeof(pt), &m) != LK_E_VERIFY) {
				undetected++;
			}
			ct[i] ^= (unsigned char)(1 << bit);
		}
	}
	CHECK_EQ_INT(undetected, 0);
	/* version byte, truncation, capacity */
	ct[0] = 2;
	CHECK_EQ_INT(
	    lk_secretbox_open(k, ct, n, (const unsigned char *)"user-1", 6, pt, sizeof(pt), &m),
	    LK_E_MALFORMED);
	ct[0] = 1;
	CHECK_EQ_INT(
	    lk_secretbox_open(k, ct, n - 1, (const unsigned char *)"user-1", 6, pt, sizeof(pt), &m),
	    LK_E_VERIFY);
	CHECK_EQ_INT(lk_secretbox_open(k, ct, LK_SECRETBOX_OVERHEAD - 1,
	                               (const unsigned char *)"user-1", 6, pt, sizeof(pt), &m),
	             LK_E_MALFORMED);
	CHECK_EQ_INT(lk_secretbox_open(k, ct, n, (const unsigned char *)"user-1", 6, pt, 19, &m),
	             LK_E_INVAL);
	CHECK_EQ_INT(lk_secretbox_open(k, ct, n, (const unsigned char *)"user-1", 6, pt, 20, &m),
	             LK_OK);
	CHECK_EQ_INT(
	    lk_secretbox_seal(k, secret, 20, NULL, 0, ct, 20 + LK_SECRETBOX_OVERHEAD - 1, &n),
	    LK_E_INVAL);
	/* empty plaintext */
	CHECK_EQ_INT(lk_secretbox_seal(k, NULL, 0, NULL, 0, ct, sizeof(ct), &n), LK_OK);
	CHECK_EQ_INT(n, LK_SECRETBOX_OVERHEAD);
	CHECK_EQ_INT(lk_secretbox_open(k, ct, n, NULL, 0, NULL, 0, &m), LK_OK);
	CHECK_EQ_INT(m, 0);
	lk_serverkey_free(k);
	lk_serverkey_free(other);
}

int
main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_create_and_reload);
	RUN(test_refusals);
	RUN(test_concurrent_create);
	RUN(test_derive);
	RUN(test_seal_open);
	char p[256];
	path_of(p, sizeof(p), "secret.key");
	unlink(p);
	rmdir(dir);
	return check_done("test_secretbox");
}
