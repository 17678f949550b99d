// WebAuthn encodings for the test code (node built-ins only): base64url and a CBOR encoder for
// the shapes WebAuthn uses. The software authenticator built on them is tests/lib/softauthn.mjs.

export const b64u = {
	encode: (buf) => Buffer.from(buf).toString("base64url"),
	decode: (s) => Buffer.from(s, "base64url"),
};

/* ---- CBOR (RFC 8949), encoder for the shapes WebAuthn uses ---- */

function head(major, n) {
	if (n < 24) return Buffer.from([(major << 5) | n]);
	if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
	if (n < 0x10000) {
		const b = Buffer.alloc(3);
		b[0] = (major << 5) | 25;
		b.writeUInt16BE(n, 1);
		return b;
	}
	const b = Buffer.alloc(5);
	b[0] = (major << 5) | 26;
	b.writeUInt32BE(n, 1);
	return b;
}

/** Encodes integers, byte strings (Buffer/Uint8Array), text, arrays, Map/object (keys as given), booleans, null. */
export function cbor(v) {
	if (v === null) return Buffer.from([0xf6]);
	if (v === true) return Buffer.from([0xf5]);
	if (v === false) return Buffer.from([0xf4]);
	if (typeof v === "number") return v >= 0 ? head(0, v) : head(1, -1 - v);
	if (typeof v === "string") {
		const s = Buffer.from(v, "utf8");
		return Buffer.concat([head(3, s.length), s]);
	}
	if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
	if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
	const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
	return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

