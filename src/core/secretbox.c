/* secretbox.c: the server key file and AEAD sealing. Trust boundary: the data directory
 * (the key file must be ours and private) and the database (sealed blobs may have been
 * tampered with; opening authenticates them). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/secretbox.h"

#define VERSION   0x01
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define HEX_LEN   (2 * LK_KEY_BYTES)

_Static_assert(LK_SECRETBOX_OVERHEAD == 1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                                            crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "overhead");
_Static_assert(LK_KEY_BYTES == crypto_kdf_KEYBYTES, "kdf key size");

struct lk_serverkey {
	unsigned char *key; /* sodium_malloc: guarded, locked, read-only after load */
};

lk_rc
lk_serverkey_from_bytes(const unsigned char key[LK_KEY_BYTES], struct lk_serverkey **out)
{
	struct lk_serverkey *k = NULL;
	lk_rc rc = LK_E_NOMEM;

	if (!out || !key) {
		return LK_E_INVAL;
	}
	*out = NULL;
	if (sodium_init() < 0) {
		return LK_E_CRYPTO;
	}
	if (!(k = calloc(1, sizeof(*k))) || !(k->key = sodium_malloc(LK_KEY_BYTES))) {
		goto out;
	}
	memcpy(k->key, key, LK_KEY_BYTES);
	if (sodium_mprotect_readonly(k->key) != 0) {
		rc = LK_E_CRYPTO;
		goto out;
	}
	*out = k;
	k = NULL;
	rc = LK_OK;
out:
	lk_serverkey_free(k);
	return rc;
}

void
lk_serverkey_free(struct lk_serverkey *k)
{
	if (!k) {
		return;
	}
	if (k->key) {
		sodium_free(k->key); /* makes it writable, wipes and unlocks it */
	}
	free(k);
}

/* Writes a new key file unless one exists. Whatever happens, the caller then reads the
 * file that is in place. */
static lk_rc
create_key_file(const char *dir, const char *path)
{
	unsigned char key[LK_KEY_BYTES], rnd[8];
	char hex[HEX_LEN + 2], tmp[4096], suffix[2 * sizeof(rnd) + 1];
	int fd = -1, dfd = -1, n;
	size_t off = 0;
	lk_rc rc = LK_E_IO;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(suffix, sizeof(suffix), rnd, sizeof(rnd));
	n = snprintf(tmp, sizeof(tmp), "%s/.secret.key.%s", dir, suffix);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		return LK_E_IO;
	}
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	hex[HEX_LEN] = '\n';
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		goto out;
	}
	while (off < HEX_LEN + 1) {
		ssize_t w = write(fd, hex + off, HEX_LEN + 1 - off);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		goto out;
	}
	/* link() never replaces: the first instance to get here wins, the others read its
	 * key */
	if (link(tmp, path) != 0 && errno != EEXIST) {
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = LK_OK;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

lk_rc
lk_serverkey_load_or_create(const char *data_dir, struct lk_serverkey **out)
{
	unsigned char key[LK_KEY_BYTES];
	char path[4096], buf[HEX_LEN + 4];
	struct stat st;
	size_t got = 0, keylen = 0;
	const char *end = NULL;
	int fd = -1, n;
	lk_rc rc = LK_E_IO;

	if (!out || !data_dir) {
		return LK_E_INVAL;
	}
	*out = NULL;
	if (sodium_init() < 0) {
		return LK_E_CRYPTO;
	}
	n = snprintf(path, sizeof(path), "%s/secret.key", data_dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		return LK_E_IO;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = create_key_file(data_dir, path)) != LK_OK) {
			goto out;
		}
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		rc = LK_E_IO;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = LK_E_IO;
		goto out;
	}
	/* signify-style: a private regular file or nothing */
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = LK_E_STATE;
		goto out;
	}
	while (got < sizeof(buf)) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - got);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			rc = LK_E_IO;
			goto out;
		}
		if (r == 0) {
			break;
		}
		got += (size_t)r;
	}
	rc = LK_E_MALFORMED;
	if (!(got == HEX_LEN || (got == HEX_LEN + 1 && buf[HEX_LEN] == '\n'))) {
		goto out;
	}
	if (sodium_hex2bin(key, sizeof(key), buf, HEX_LEN, NULL, &keylen, &end) != 0 ||
	    keylen != LK_KEY_BYTES || end != buf + HEX_LEN) {
		goto out;
	}
	rc = lk_serverkey_from_bytes(key, out);
out:
	if (fd >= 0) {
		close(fd);
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

lk_rc
lk_key_derive(const struct lk_serverkey *k, const char *name, unsigned char out[LK_KEY_BYTES])
{
	if (!k || !k->key || !out || !name || strlen(name) != crypto_kdf_CONTEXTBYTES) {
		return LK_E_INVAL;
	}
	/* one subkey per context: the name separates the purposes */
	if (crypto_kdf_derive_from_key(out, LK_KEY_BYTES, 1, name, k->key) != 0) {
		return LK_E_INVAL;
	}
	return LK_OK;
}

lk_rc
lk_secretbox_seal(const struct lk_serverkey *k, const unsigned char *pt, size_t pt_len,
                  const unsigned char *ad, size_t ad_len, unsigned char *out, size_t out_cap,
                  size_t *out_len)
{
	unsigned char sub[LK_KEY_BYTES];
	unsigned long long clen = 0;
	lk_rc rc;

	if (!out_len) {
		return LK_E_INVAL;
	}
	*out_len = 0;
	if (!out || (!pt && pt_len > 0) || (!ad && ad_len > 0) ||
	    pt_len > SIZE_MAX - LK_SECRETBOX_OVERHEAD || out_cap < pt_len + LK_SECRETBOX_OVERHEAD) {
		return LK_E_INVAL;
	}
	if ((rc = lk_key_derive(k, LK_KEY_TOTPSEAL, sub)) != LK_OK) {
		return rc;
	}
	out[0] = VERSION;
	randombytes_buf(out + 1, NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + NONCE_LEN, &clen, pt, pt_len, ad,
	                                           ad_len, NULL, out + 1, sub);
	sodium_memzero(sub, sizeof(sub));
	*out_len = 1 + NONCE_LEN + (size_t)clen;
	return LK_OK;
}

lk_rc
lk_secretbox_open(const struct lk_serverkey *k, const unsigned char *ct, size_t ct_len,
                  const unsigned char *ad, size_t ad_len, unsigned char *out, size_t out_cap,
                  size_t *out_len)
{
	unsigned char sub[LK_KEY_BYTES];
	unsigned long long plen = 0;
	lk_rc rc;

	if (!out_len) {
		return LK_E_INVAL;
	}
	*out_len = 0;
	if (!ct || ct_len < LK_SECRETBOX_OVERHEAD || ct[0] != VERSION) {
		return LK_E_MALFORMED;
	}
	if ((!out && out_cap > 0) || (!ad && ad_len > 0) ||
	    out_cap < ct_len - LK_SECRETBOX_OVERHEAD) {
		return LK_E_INVAL;
	}
	if ((rc = lk_key_derive(k, LK_KEY_TOTPSEAL, sub)) != LK_OK) {
		return rc;
	}
	unsigned char dummy;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out ? out : &dummy, &plen, NULL,
	                                               ct + 1 + NONCE_LEN, ct_len - 1 - NONCE_LEN,
	                                               ad, ad_len, ct + 1, sub) != 0) {
		if (out && out_cap) {
			sodium_memzero(out, out_cap);
		}
		rc = LK_E_VERIFY;
	} else {
		*out_len = (size_t)plen;
		rc = LK_OK;
	}
	sodium_memzero(sub, sizeof(sub));
	return rc;
}
