// TOTP codes for tests, computed independently of latchkey (RFC 6238 over RFC 4226, node:crypto).
//
//   import { totp, secretFromUri } from "../lib/totp.mjs";
//   const code = totp(setup.secret);                            // now, SHA-1, 6 digits, 30 s
//   const next = totp(secret, { at: Date.now() / 1000 + 30 });   // the following step
//   totp(secret, { algorithm: "SHA256", digits: 8, period: 60, at: 59 })

import crypto from "node:crypto";

/** RFC 4648 base32 (padding and case ignored) to bytes. */
export function base32Decode(s) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	const clean = s.toUpperCase().replace(/[=\s]/g, "");
	let bits = 0;
	let value = 0;
	const out = [];
	for (const ch of clean) {
		const v = alphabet.indexOf(ch);
		if (v < 0) throw new Error(`not base32: ${ch}`);
		value = (value << 5) | v;
		bits += 5;
		if (bits >= 8) {
			out.push((value >>> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return Buffer.from(out);
}

/** The HOTP value for counter (RFC 4226 section 5.3), as a zero-padded string. */
export function hotp(key, counter, { algorithm = "SHA1", digits = 6 } = {}) {
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(counter));
	const mac = crypto.createHmac(algorithm.toLowerCase(), key).update(msg).digest();
	const off = mac[mac.length - 1] & 0x0f;
	const bin = mac.readUInt32BE(off) & 0x7fffffff;
	return String(bin % 10 ** digits).padStart(digits, "0");
}

/** The TOTP code of a base32 secret at unix time `at` (seconds, default now). */
export function totp(secret, { at = Date.now() / 1000, period = 30, digits = 6, algorithm = "SHA1" } = {}) {
	return hotp(base32Decode(secret), Math.floor(at / period), { algorithm, digits });
}

/** The time step of `at` (seconds): codes for the same step are replays. */
export function totpStep(at = Date.now() / 1000, period = 30) {
	return Math.floor(at / period);
}

/** { secret, algorithm, digits, period, issuer, label } of an otpauth:// URI. */
export function parseOtpauth(uri) {
	const u = new URL(uri);
	const p = u.searchParams;
	return {
		label: decodeURIComponent(u.pathname.replace(/^\/+/, "")),
		secret: p.get("secret"),
		issuer: p.get("issuer"),
		algorithm: p.get("algorithm") || "SHA1",
		digits: Number(p.get("digits") || 6),
		period: Number(p.get("period") || 30),
	};
}
