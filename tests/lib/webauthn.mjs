// A software WebAuthn authenticator for black-box API tests (node:crypto, no dependencies).
// It answers the server's options JSON with RegistrationResponseJSON / AuthenticationResponseJSON
// as a browser would send them (attestation "none"), and lets a test bend any part of a
// ceremony to probe one verification step.
//
//   import { SoftAuthenticator } from "../lib/webauthn.mjs";
//   const auth = new SoftAuthenticator({ origin: server.origin });          // ES256, UV
//   const opts = (await c.post("/auth/passkey/register/options", {})).json;
//   const reg = auth.create(opts);                                         // RegistrationResponseJSON
//   await c.post("/auth/passkey/register/verify", { response: reg });
//   const req = (await c.post("/auth/passkey/options", {})).json;
//   await c.post("/auth/passkey/verify", { response: auth.get(req) });
//
// new SoftAuthenticator({ origin, alg (-7 ES256, -8 EdDSA, -257 RS256), aaguid (hex, 32 digits),
//   uv (default true), be, bs (backup flags), transports }).
// create(options, tweak) and get(options, tweak) take a tweak object, all fields optional:
//   origin, rpId (hashed into authData), type ("webauthn.create"/"webauthn.get"), challenge,
//   clientData (an object merged into clientDataJSON, e.g. { crossOrigin: true, topOrigin }),
//   flags (a number replacing the flags byte), signCount, credentialId (get: which credential),
//   userHandle (get: b64url or null), badSignature (get: flip a bit of the signature),
//   attestationObject (create: a function (map) => map to edit the CBOR map before encoding)
// Each credential is kept in auth.credentials (Map by id) with its key and counter. A credential
// created with signCount 0 (the default) keeps 0, like a synced passkey; one created with
// { signCount: N > 0 } counts up by 1 per assertion (or set cred.signCount directly).

import crypto from "node:crypto";

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

/* ---- keys ---- */

function newKey(alg) {
	if (alg === -7) return crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
	if (alg === -8) return crypto.generateKeyPairSync("ed25519");
	if (alg === -257) return crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
	throw new Error(`SoftAuthenticator: unsupported alg ${alg}`);
}

/** The COSE_Key (RFC 9053) of a public key, as a CBOR Map. */
function coseKey(alg, publicKey) {
	const jwk = publicKey.export({ format: "jwk" });
	if (alg === -7) return new Map([[1, 2], [3, -7], [-1, 1], [-2, b64u.decode(jwk.x)], [-3, b64u.decode(jwk.y)]]);
	if (alg === -8) return new Map([[1, 1], [3, -8], [-1, 6], [-2, b64u.decode(jwk.x)]]);
	return new Map([[1, 3], [3, -257], [-1, b64u.decode(jwk.n)], [-2, b64u.decode(jwk.e)]]);
}

function sign(alg, privateKey, data) {
	if (alg === -8) return crypto.sign(null, data, privateKey);
	return crypto.sign("sha256", data, privateKey); // ES256 gives DER, as WebAuthn wants
}

const sha256 = (b) => crypto.createHash("sha256").update(b).digest();
const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 };
export { FLAG as FLAGS };

export class SoftAuthenticator {
	constructor({ origin, alg = -7, aaguid = "00000000000000000000000000000000", uv = true, be = false, bs = false, transports = ["internal"], signCount = 0 } = {}) {
		this.origin = origin;
		this.alg = alg;
		this.aaguid = Buffer.from(aaguid.replace(/-/g, ""), "hex");
		this.uv = uv;
		this.be = be;
		this.bs = bs;
		this.transports = transports;
		this.startCount = signCount;
		this.credentials = new Map();
	}

	flags(extra = 0) {
		return FLAG.UP | (this.uv ? FLAG.UV : 0) | (this.be ? FLAG.BE : 0) | (this.bs ? FLAG.BS : 0) | extra;
	}

	clientData(type, options, tweak) {
		const cd = {
			type: tweak.type || type,
			challenge: tweak.challenge || options.challenge,
			origin: tweak.origin || this.origin,
			crossOrigin: false,
			...(tweak.clientData || {}),
		};
		return Buffer.from(JSON.stringify(cd), "utf8");
	}

	/** Registration: options is PublicKeyCredentialCreationOptionsJSON (or { publicKey: ... }). */
	create(options, tweak = {}) {
		options = options.publicKey || options;
		const rpId = tweak.rpId || options.rp.id || new URL(this.origin).hostname;
		const { publicKey, privateKey } = newKey(this.alg);
		const id = crypto.randomBytes(16);
		const cred = {
			id: b64u.encode(id),
			alg: this.alg,
			privateKey,
			publicKey,
			rpId,
			userHandle: options.user.id,
			signCount: tweak.signCount ?? this.startCount,
		};
		const idLen = Buffer.alloc(2);
		idLen.writeUInt16BE(id.length);
		const count = Buffer.alloc(4);
		count.writeUInt32BE(cred.signCount);
		const authData = Buffer.concat([
			sha256(Buffer.from(rpId)),
			Buffer.from([tweak.flags ?? this.flags(FLAG.AT)]),
			count,
			this.aaguid,
			idLen,
			id,
			cbor(coseKey(this.alg, publicKey)),
		]);
		let att = new Map([
			["fmt", "none"],
			["attStmt", new Map()],
			["authData", authData],
		]);
		if (tweak.attestationObject) att = tweak.attestationObject(att);
		const clientDataJSON = this.clientData("webauthn.create", options, tweak);
		this.credentials.set(cred.id, cred);
		return {
			id: cred.id,
			rawId: cred.id,
			type: "public-key",
			authenticatorAttachment: "platform",
			clientExtensionResults: {},
			response: {
				clientDataJSON: b64u.encode(clientDataJSON),
				attestationObject: b64u.encode(cbor(att)),
				authenticatorData: b64u.encode(authData),
				transports: this.transports,
				publicKeyAlgorithm: this.alg,
				publicKey: b64u.encode(publicKey.export({ type: "spki", format: "der" })),
			},
		};
	}

	/** Authentication: options is PublicKeyCredentialRequestOptionsJSON (or { publicKey: ... }). */
	get(options, tweak = {}) {
		options = options.publicKey || options;
		const allowed = (options.allowCredentials || []).map((c) => c.id);
		const id = tweak.credentialId || allowed.find((a) => this.credentials.has(a)) || (allowed.length ? null : [...this.credentials.keys()].pop());
		const cred = this.credentials.get(id);
		if (!cred) throw new Error("SoftAuthenticator: no credential for these options");
		const rpId = tweak.rpId || options.rpId || cred.rpId;
		if (tweak.signCount === undefined && cred.signCount !== 0) cred.signCount += 1;
		const count = Buffer.alloc(4);
		count.writeUInt32BE(tweak.signCount ?? cred.signCount);
		const authData = Buffer.concat([sha256(Buffer.from(rpId)), Buffer.from([tweak.flags ?? this.flags()]), count]);
		const clientDataJSON = this.clientData("webauthn.get", options, tweak);
		const signature = sign(cred.alg, cred.privateKey, Buffer.concat([authData, sha256(clientDataJSON)]));
		if (tweak.badSignature) signature[signature.length - 1] ^= 0x01;
		const userHandle = tweak.userHandle === undefined ? cred.userHandle : tweak.userHandle;
		return {
			id: cred.id,
			rawId: cred.id,
			type: "public-key",
			authenticatorAttachment: "platform",
			clientExtensionResults: {},
			response: {
				clientDataJSON: b64u.encode(clientDataJSON),
				authenticatorData: b64u.encode(authData),
				signature: b64u.encode(signature),
				userHandle,
			},
		};
	}

	/** The credential's COSE public key as base64url (for `latchkey webauthn verify-authentication`). */
	cosePublicKey(id) {
		const cred = this.credentials.get(id);
		return b64u.encode(cbor(coseKey(cred.alg, cred.publicKey)));
	}
}
