// A software WebAuthn authenticator for the passkey API tests (node:crypto only): it turns
// latchkey's options JSON into RegistrationResponseJSON / AuthenticationResponseJSON as a
// browser would send them, with every flag, counter and signed byte under the test's control.
//
//   import { SoftAuthn } from "../lib/softauthn.mjs";
//   const a = new SoftAuthn({ origin: server.origin });                   // ES256, UP+UV
//   const reg = a.create((await c.post("/auth/passkey/register/options", {})).json);
//   await c.post("/auth/passkey/register/verify", { response: reg });
//   const res = a.get((await c.post("/auth/passkey/options", {})).json);
//
// new SoftAuthn({ origin, alg: -7 (ES256) | -8 (EdDSA) | -257 (RS256), attestation: "none" |
//   "packed" (self attestation), aaguid (UUID or 32 hex digits), up, uv, be, bs (booleans),
//   transports, counter (the first signCount; 0 keeps it 0 like a synced passkey, N > 0 counts
//   up by one per assertion) }).
// create(options, tweak) / get(options, tweak); tweak (all optional):
//   origin, rpId (hashed into authData), type, challenge, clientData (merged into
//   clientDataJSON, e.g. { crossOrigin: true }), flags (replaces the flags byte), up, uv, be,
//   bs (override one flag), signCount, attestation,
//   create only: credential (a credential id already held: re-register the same key and id),
//   get only: credentialId (which credential), userHandle (b64url, or null for none),
//   badSignature (flip a bit of the signature).
// a.credentials is a Map (id -> { id, alg, privateKey, publicKey, userHandle, counter, rpId }).

import crypto from "node:crypto";
import { b64u, cbor } from "./webauthn.mjs";

export { b64u };

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 };

const sha256 = (b) => crypto.createHash("sha256").update(b).digest();

function keyPair(alg) {
	switch (alg) {
		case -7:
			return crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
		case -8:
			return crypto.generateKeyPairSync("ed25519");
		case -257:
			return crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
		default:
			throw new Error(`SoftAuthn: no key type for alg ${alg}`);
	}
}

/** RFC 9053 COSE_Key of a public key (a Map, CBOR-encoded by the caller). */
function coseKey(alg, publicKey) {
	const j = publicKey.export({ format: "jwk" });
	if (alg === -7) {
		return new Map([
			[1, 2],
			[3, -7],
			[-1, 1],
			[-2, b64u.decode(j.x)],
			[-3, b64u.decode(j.y)],
		]);
	}
	if (alg === -8) {
		return new Map([
			[1, 1],
			[3, -8],
			[-1, 6],
			[-2, b64u.decode(j.x)],
		]);
	}
	return new Map([
		[1, 3],
		[3, -257],
		[-1, b64u.decode(j.n)],
		[-2, b64u.decode(j.e)],
	]);
}

function signWith(alg, privateKey, data) {
	return alg === -8 ? crypto.sign(null, data, privateKey) : crypto.sign("sha256", data, privateKey);
}

function u32(n) {
	const b = Buffer.alloc(4);
	b.writeUInt32BE(n >>> 0);
	return b;
}

export class SoftAuthn {
	constructor({
		origin,
		alg = -7,
		attestation = "none",
		aaguid = "00000000-0000-0000-0000-000000000000",
		up = true,
		uv = true,
		be = false,
		bs = false,
		transports = ["internal"],
		counter = 0,
	} = {}) {
		Object.assign(this, { origin, alg, attestation, up, uv, be, bs, transports, counter });
		this.aaguid = Buffer.from(aaguid.replace(/-/g, ""), "hex");
		if (this.aaguid.length !== 16) throw new Error("SoftAuthn: aaguid must be 16 bytes");
		this.credentials = new Map();
	}

	flags(tweak, extra = 0) {
		if (tweak.flags !== undefined) return tweak.flags;
		const on = (k) => (tweak[k] !== undefined ? tweak[k] : this[k]);
		return (on("up") ? FLAG.UP : 0) | (on("uv") ? FLAG.UV : 0) | (on("be") ? FLAG.BE : 0) | (on("bs") ? FLAG.BS : 0) | extra;
	}

	clientDataJSON(type, options, tweak) {
		const cd = {
			type: tweak.type ?? type,
			challenge: tweak.challenge ?? options.challenge,
			origin: tweak.origin ?? this.origin,
			crossOrigin: false,
			...(tweak.clientData || {}),
		};
		return Buffer.from(JSON.stringify(cd), "utf8");
	}

	/** RegistrationResponseJSON for PublicKeyCredentialCreationOptionsJSON. */
	create(options, tweak = {}) {
		options = options.publicKey || options;
		const rpId = tweak.rpId ?? options.rp?.id ?? new URL(this.origin).hostname;
		let cred = tweak.credential ? this.credentials.get(tweak.credential) : null;
		if (tweak.credential && !cred) throw new Error("SoftAuthn: unknown credential to re-register");
		if (!cred) {
			const { publicKey, privateKey } = keyPair(this.alg);
			cred = { id: b64u.encode(crypto.randomBytes(16)), alg: this.alg, publicKey, privateKey, counter: this.counter };
		}
		cred = { ...cred, rpId, userHandle: options.user.id };
		const rawId = b64u.decode(cred.id);
		const idLen = Buffer.alloc(2);
		idLen.writeUInt16BE(rawId.length);
		const authData = Buffer.concat([
			sha256(Buffer.from(rpId, "utf8")),
			Buffer.from([this.flags(tweak, FLAG.AT)]),
			u32(tweak.signCount ?? cred.counter),
			this.aaguid,
			idLen,
			rawId,
			cbor(coseKey(cred.alg, cred.publicKey)),
		]);
		const clientDataJSON = this.clientDataJSON("webauthn.create", options, tweak);
		const fmt = tweak.attestation ?? this.attestation;
		let attStmt = new Map();
		if (fmt === "packed") {
			// WebAuthn 8.2 self attestation: alg and a signature by the credential key itself
			const sig = signWith(cred.alg, cred.privateKey, Buffer.concat([authData, sha256(clientDataJSON)]));
			attStmt = new Map([
				["alg", cred.alg],
				["sig", sig],
			]);
		}
		const attestationObject = cbor(
			new Map([
				["fmt", fmt],
				["attStmt", attStmt],
				["authData", authData],
			]),
		);
		if (!this.credentials.has(cred.id)) this.credentials.set(cred.id, cred); // a re-registration keeps the first record
		return {
			id: cred.id,
			rawId: cred.id,
			type: "public-key",
			authenticatorAttachment: "platform",
			clientExtensionResults: {},
			response: {
				clientDataJSON: b64u.encode(clientDataJSON),
				attestationObject: b64u.encode(attestationObject),
				authenticatorData: b64u.encode(authData),
				transports: this.transports,
				publicKeyAlgorithm: cred.alg,
				publicKey: b64u.encode(cred.publicKey.export({ type: "spki", format: "der" })),
			},
		};
	}

	/** AuthenticationResponseJSON for PublicKeyCredentialRequestOptionsJSON. */
	get(options, tweak = {}) {
		options = options.publicKey || options;
		const allowed = (options.allowCredentials || []).map((d) => d.id);
		const id = tweak.credentialId ?? (allowed.length ? allowed.find((a) => this.credentials.has(a)) : [...this.credentials.keys()].pop());
		const cred = this.credentials.get(id);
		if (!cred) throw new Error("SoftAuthn: no credential for these options");
		if (tweak.signCount === undefined && cred.counter > 0) cred.counter += 1;
		const authData = Buffer.concat([
			sha256(Buffer.from(tweak.rpId ?? options.rpId ?? cred.rpId, "utf8")),
			Buffer.from([this.flags(tweak)]),
			u32(tweak.signCount ?? cred.counter),
		]);
		const clientDataJSON = this.clientDataJSON("webauthn.get", options, tweak);
		const signature = signWith(cred.alg, cred.privateKey, Buffer.concat([authData, sha256(clientDataJSON)]));
		if (tweak.badSignature) signature[signature.length - 1] ^= 0x01;
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
				userHandle: tweak.userHandle !== undefined ? tweak.userHandle : cred.userHandle,
			},
		};
	}
}
