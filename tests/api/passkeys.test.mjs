// API.md "Passkeys" (API-NOTES 36, 40, 46-48, 50, 59, 61, 65, 95-112) with a software
// authenticator (tests/lib/softauthn.mjs): registration, passwordless sign-in, the passkey as
// a second factor and for re-authentication, listing, renaming, deleting, and a refusal for
// every check a test can bend: origin, rpId, challenge (wrong, reused, expired, of another
// purpose or session), type, flags, signature, userHandle, credential ownership, counter,
// backup flags, deleted credentials, plus the rate limits and the pre-hijack defence.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";
import { SoftAuthn, b64u } from "../lib/softauthn.mjs";
import { totp } from "../lib/totp.mjs";
import { ISO_RE, login, recordCookie, runLatchkey, signup, uniqueEmail } from "../lib/api-util.mjs";

const NO_LIMITS = ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0", "--rate-mail-ip", "0", "--rate-mail-email", "0", "--rate-2fa-account", "0"];
const GOOGLE_PM = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"; // data/aaguids.json: "Google Password Manager"
const PASSKEY_KEYS = ["aaguid", "backedUp", "backupEligible", "createdAt", "id", "lastUsedAt", "name", "transports"];

let server;
before(async () => {
	server = await startServer({ args: NO_LIMITS });
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

function assertError(res, status, code, extra = {}) {
	assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
	assert.equal(res.json?.error, code, res.text);
	assert.equal(typeof res.json.message, "string");
	for (const [k, v] of Object.entries(extra)) assert.equal(res.json[k], v, `${k} in ${res.text}`);
}

/** A WebAuthn refusal: status, code, check, and a message "<check>: <detail>". */
function assertRefused(res, status, code, check) {
	assertError(res, status, code, { check });
	assert.ok(res.json.message.startsWith(`${check}: `), res.text);
}

/** Rows of one statement on the server's database: server.sql (SQLite or PostgreSQL) where
 * the harness has it, else the sqlite3 shell on the data dir's file. */
function db(srv, sql) {
	if (typeof srv.sql === "function") return srv.sql(sql);
	const out = execFileSync("sqlite3", ["-json", path.join(srv.dataDir, "latchkey.db"), ".timeout 5000", sql], { encoding: "utf8" });
	return out.trim() ? JSON.parse(out) : [];
}

function dbWrite(srv, sql) {
	db(srv, sql);
}

async function events(c) {
	const res = await c.get("/me/events");
	assert.equal(res.status, 200, res.text);
	return res.json.events;
}

/** A signed-up account (full session in sudo mode) and its authenticator. */
async function account(srv = server, authOpts = {}) {
	const c = srv.client();
	const acct = await signup(c);
	return { c, ...acct, auth: new SoftAuthn({ origin: srv.origin, ...authOpts }) };
}

async function registerOptions(c) {
	const res = await c.post("/auth/passkey/register/options", {});
	assert.equal(res.status, 200, res.text);
	return res.json;
}

/** Registers a passkey for a (from account()); returns the 201 passkey object. */
async function register(a, { tweak = {}, name, auth = a.auth } = {}) {
	const opts = await registerOptions(a.c);
	const body = { response: auth.create(opts, tweak) };
	if (name !== undefined) body.name = name;
	const res = await a.c.post("/auth/passkey/register/verify", body);
	assert.equal(res.status, 201, res.text);
	return res.json.passkey;
}

async function loginOptions(c, body = {}) {
	const res = await c.post("/auth/passkey/options", body);
	assert.equal(res.status, 200, res.text);
	return res.json;
}

/** A passwordless sign-in attempt with a fresh {} challenge from a new client. */
async function passwordless(auth, tweak = {}, { body = {}, client = server.client() } = {}) {
	const opts = await loginOptions(client, body);
	const res = await client.post("/auth/passkey/verify", { response: auth.get(opts, tweak) });
	recordCookie(res, "passkey session");
	return { res, client, opts };
}

describe("registration", () => {
	test("options: rp, a fixed 32-byte user handle, the email, algorithms, timeout, selection, attestation none", async () => {
		const a = await account();
		const o1 = await registerOptions(a.c);
		const o2 = await registerOptions(a.c);
		assert.deepEqual(o1.rp, { id: "localhost", name: "latchkey" });
		assert.equal(b64u.decode(o1.user.id).length, 32);
		assert.equal(o1.user.id, o2.user.id, "the user handle never changes");
		assert.equal(o1.user.name, a.email);
		assert.equal(o1.user.displayName, a.email);
		assert.ok(b64u.decode(o1.challenge).length >= 16);
		assert.notEqual(o1.challenge, o2.challenge);
		assert.deepEqual(
			o1.pubKeyCredParams.map((p) => [p.type, p.alg]),
			[-8, -7, -257, -35, -36, -37].map((alg) => ["public-key", alg]),
		);
		assert.equal(o1.timeout, 300000);
		assert.deepEqual(o1.excludeCredentials, []);
		assert.deepEqual(o1.authenticatorSelection, { residentKey: "preferred", userVerification: "preferred" });
		assert.equal(o1.attestation, "none");
		const other = await account();
		assert.notEqual((await registerOptions(other.c)).user.id, o1.user.id);
	});

	test("ES256, EdDSA and RS256 with none and packed self attestation: 201 with the passkey object", async () => {
		for (const [alg, attestation] of [
			[-7, "none"],
			[-8, "none"],
			[-257, "none"],
			[-7, "packed"],
			[-8, "packed"],
			[-257, "packed"],
		]) {
			const a = await account(server, { alg, attestation, transports: ["hybrid", "internal"] });
			const t0 = Date.now();
			const pk = await register(a);
			assert.deepEqual(Object.keys(pk).sort(), PASSKEY_KEYS, `${alg} ${attestation}`);
			assert.equal(pk.id, [...a.auth.credentials.keys()][0]);
			assert.equal(pk.name, "Passkey");
			assert.match(pk.createdAt, ISO_RE);
			assert.ok(Math.abs(Date.parse(pk.createdAt) - t0) < 5000);
			assert.equal(pk.lastUsedAt, null);
			assert.equal(pk.backupEligible, false);
			assert.equal(pk.backedUp, false);
			assert.deepEqual(pk.transports, ["hybrid", "internal"]);
			assert.equal(pk.aaguid, "00000000-0000-0000-0000-000000000000");
			// and it signs in
			const { res } = await passwordless(a.auth);
			assert.equal(res.status, 200, `${alg} ${attestation}: ${res.text}`);
		}
	});

	test("the list, /me and /me/auth-methods count it; event passkey.added; a notification email", async () => {
		const a = await account(server, { be: true, bs: true, aaguid: GOOGLE_PM });
		const pk = await register(a);
		assert.equal(pk.name, "Google Password Manager", "default name from the AAGUID table");
		assert.equal(pk.aaguid, GOOGLE_PM);
		assert.equal(pk.backupEligible, true);
		assert.equal(pk.backedUp, true);
		const list = await a.c.get("/me/passkeys");
		assert.equal(list.status, 200, list.text);
		assert.deepEqual(list.json, { passkeys: [pk] });
		assert.ok(!/publicKey|public_key|cose/i.test(list.text), "never key material");
		assert.equal((await a.c.get("/me")).json.passkeys, 1);
		assert.equal((await a.c.get("/me/auth-methods")).json.passkeys, 1);
		const ev = (await events(a.c)).find((e) => e.type === "passkey.added");
		assert.deepEqual(ev.detail, { passkeyId: pk.id, name: pk.name });
		const m = await waitForMail(server.mailDir, { to: a.email, purpose: "passkey-added" });
		assert.match(m.body, /passkey/i);
		// excludeCredentials now lists it
		const o = await registerOptions(a.c);
		assert.deepEqual(o.excludeCredentials, [{ type: "public-key", id: pk.id, transports: ["internal"] }]);
	});

	test("names: trimmed, 1-64 code points, else 400 invalid_field; absent gives the default", async () => {
		const a = await account();
		assert.equal((await register(a, { name: "  Laptop \t" })).name, "Laptop");
		assert.equal((await register(a, { name: "é".repeat(64) })).name, "é".repeat(64));
		for (const bad of ["", "   ", "x".repeat(65), "a\u0000b", "a\nb"]) {
			const res = await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(await registerOptions(a.c)), name: bad });
			assertError(res, 400, "invalid_field", { field: "name" });
		}
		const res = await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(await registerOptions(a.c)), name: 7 });
		assertError(res, 400, "invalid_field", { field: "name" });
		assert.equal((await register(a, { name: null })).name, "Passkey");
	});

	test("response missing or not an object: 400; no session 401; outside sudo 403", async () => {
		const a = await account();
		assertError(await a.c.post("/auth/passkey/register/verify", {}), 400, "missing_field", { field: "response" });
		assertError(await a.c.post("/auth/passkey/register/verify", { response: "x" }), 400, "invalid_field", { field: "response" });
		assertError(await server.client().post("/auth/passkey/register/options", {}), 401, "unauthenticated");
		assertError(await server.client().post("/auth/passkey/register/verify", { response: {} }), 401, "unauthenticated");
		const s0 = await startServer({ args: [...NO_LIMITS, "--sudo-ttl", "0s"] });
		try {
			const b = await account(s0);
			assertError(await b.c.post("/auth/passkey/register/options", {}), 403, "reauthentication_required");
			assertError(await b.c.post("/auth/passkey/register/verify", { response: {} }), 403, "reauthentication_required");
		} finally {
			await s0.stop();
		}
	});

	test("refusals name their check: origin, rpId, type, UP, BS without BE, attestation, challenge", async () => {
		const a = await account();
		const cases = [
			[{ origin: "http://evil.example" }, "origin"],
			[{ origin: `${server.origin}/` }, "origin"],
			[{ origin: server.origin.replace("localhost", "127.0.0.1") }, "origin"],
			[{ rpId: "evil.example" }, "rpIdHash"],
			[{ type: "webauthn.get" }, "type"],
			[{ up: false }, "userPresence"],
			[{ be: false, bs: true }, "backupFlags"],
			[{ clientData: { crossOrigin: true } }, "crossOrigin"],
			[{ challenge: b64u.encode(Buffer.alloc(32, 7)) }, "challenge"],
		];
		for (const [tweak, check] of cases) {
			const res = await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(await registerOptions(a.c), tweak) });
			assertRefused(res, 400, "verification_failed", check);
		}
		// a packed self attestation signed over other bytes
		const opts = await registerOptions(a.c);
		const resp = a.auth.create(opts, { attestation: "packed" });
		const other = a.auth.create(opts, { attestation: "packed" });
		resp.response.attestationObject = other.response.attestationObject;
		const res = await a.c.post("/auth/passkey/register/verify", { response: resp });
		assert.equal(res.status, 400, res.text);
		assert.equal(res.json.error, "verification_failed");
		assert.deepEqual((await a.c.get("/me/passkeys")).json.passkeys, [], "nothing stored");
	});

	test("a challenge is single use, bound to its session, its purpose, and expires", async () => {
		const a = await account();
		const opts = await registerOptions(a.c);
		const resp = a.auth.create(opts);
		assert.equal((await a.c.post("/auth/passkey/register/verify", { response: resp })).status, 201);
		// reused (the same response again)
		assertRefused(await a.c.post("/auth/passkey/register/verify", { response: resp }), 400, "verification_failed", "challenge");
		// a refused response spends its challenge too
		const o2 = await registerOptions(a.c);
		assertRefused(await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(o2, { origin: "http://evil.example" }) }), 400, "verification_failed", "origin");
		assertRefused(await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(o2) }), 400, "verification_failed", "challenge");
		// another session's challenge (same account, second sign-in)
		const c2 = server.client();
		assert.equal((await login(c2, a.email, a.password)).status, 200);
		const o3 = await registerOptions(c2);
		assertRefused(await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(o3) }), 400, "verification_failed", "challenge");
		assert.equal((await c2.post("/auth/passkey/register/verify", { response: a.auth.create(o3) })).status, 201, "still valid in its own session");
		// a challenge of another purpose: sign-in and reauth options
		for (const p of ["/auth/passkey/options", "/me/reauth/passkey/options"]) {
			const other = (await a.c.post(p, {})).json;
			const resp2 = a.auth.create({ ...opts, challenge: other.challenge });
			assertRefused(await a.c.post("/auth/passkey/register/verify", { response: resp2 }), 400, "verification_failed", "challenge");
		}
		// expired: the stored expiry moved into the past
		const o4 = await registerOptions(a.c);
		dbWrite(server, "UPDATE webauthn_challenges SET expires_at = 1 WHERE purpose = 'register'");
		assertRefused(await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(o4) }), 400, "verification_failed", "challenge");
		// only a hash of a challenge is stored
		const o5 = await registerOptions(a.c);
		assert.equal(db(server, `SELECT COUNT(*) AS n FROM webauthn_challenges WHERE hex(hash) = hex('${o5.challenge}')`)[0].n, 0);
		const rows = db(server, "SELECT length(hash) AS n FROM webauthn_challenges WHERE purpose = 'register'");
		assert.ok(rows.length > 0 && rows.every((r) => r.n === 32));
	});

	test("the same credential again, on this or another account: 409 credential_exists after verification", async () => {
		const a = await account();
		const pk = await register(a);
		const again = await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(await registerOptions(a.c), { credential: pk.id }) });
		assertError(again, 409, "credential_exists");
		const b = await account();
		const stolen = await b.c.post("/auth/passkey/register/verify", { response: a.auth.create(await registerOptions(b.c), { credential: pk.id }) });
		assertError(stolen, 409, "credential_exists");
		// a refused verification is not a 409
		const bad = await b.c.post("/auth/passkey/register/verify", { response: a.auth.create(await registerOptions(b.c), { credential: pk.id, origin: "http://evil.example" }) });
		assertRefused(bad, 400, "verification_failed", "origin");
		assert.deepEqual((await b.c.get("/me/passkeys")).json.passkeys, []);
		// the owner is untouched and still signs in
		assert.equal((await passwordless(a.auth)).res.status, 200);
	});
});

describe("attestation trust anchors (--attestation-roots)", () => {
	test("a folder of PEM roots is loaded; self and none attestation still register, logged as not anchored", async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-roots-"));
		const reg = "../shared/vectors/webauthn/registration";
		const withRoot = fs.readdirSync(reg).map((f) => JSON.parse(fs.readFileSync(path.join(reg, f), "utf8"))).find((c) => c.trustAnchors?.length);
		fs.writeFileSync(path.join(dir, "root.pem"), withRoot.trustAnchors.join("\n"));
		const srv = await startServer({ args: ["--attestation-roots", dir] });
		try {
			for (const attestation of ["packed", "none"]) {
				const a = await account(srv, { alg: -7, attestation });
				await register(a);
				const type = attestation === "packed" ? "self" : "none";
				const line = new RegExp(`passkey\\.attestation fmt=${attestation} type=${type} anchored=0`);
				for (let i = 0; i < 40 && !line.test(srv.log()); i++) await new Promise((r) => setTimeout(r, 50));
				assert.match(srv.log(), line);
			}
		} finally {
			await srv.stop();
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});

	test("a folder without PEM files, or none at all, stops serve with exit 2 naming the option", async () => {
		const empty = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-roots-"));
		try {
			for (const dir of [empty, path.join(empty, "missing")]) {
				const r = await runLatchkey(["serve", "--attestation-roots", dir]);
				assert.equal(r.code, 2, r.stderr);
				assert.match(r.stderr, /--attestation-roots/);
			}
		} finally {
			fs.rmSync(empty, { recursive: true, force: true });
		}
	});
});

describe("passwordless sign-in", () => {
	let a;
	let pk;
	before(async () => {
		a = await account();
		pk = await register(a);
	});

	test("options {}: challenge, rpId, timeout, UV required, no allowCredentials", async () => {
		const o = await loginOptions(server.client());
		assert.deepEqual(Object.keys(o).sort(), ["allowCredentials", "challenge", "rpId", "timeout", "userVerification"]);
		assert.deepEqual(o.allowCredentials, []);
		assert.equal(o.rpId, "localhost");
		assert.equal(o.timeout, 300000);
		assert.equal(o.userVerification, "required");
		assert.ok(b64u.decode(o.challenge).length >= 16);
	});

	test("a discoverable sign-in: 200 authenticated, full session amr passkey_uv, AAL 2, login.success, lastUsedAt", async () => {
		const { res, client } = await passwordless(a.auth);
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "authenticated");
		assert.deepEqual(res.json.user, { id: a.user.id, email: a.email, emailVerified: false });
		assert.ok(res.cookie);
		const me = (await client.get("/me")).json;
		assert.deepEqual(me.session.amr, ["passkey_uv"]);
		assert.equal(me.session.aal, 2);
		const ev = (await events(client)).find((e) => e.type === "login.success");
		assert.deepEqual(ev.detail, { method: "passkey" });
		const listed = (await client.get("/me/passkeys")).json.passkeys[0];
		assert.match(listed.lastUsedAt, ISO_RE);
		assert.equal((await client.get("/auth/check?aal=2")).status, 204);
	});

	test("options with the email list that account's passkeys; the challenge is bound to it", async () => {
		const o = await loginOptions(server.client(), { email: `  ${a.email.toUpperCase()} ` });
		assert.deepEqual(o.allowCredentials, [{ type: "public-key", id: pk.id, transports: ["internal"] }]);
		assert.equal(o.userVerification, "required");
		// userHandle may be absent with email-scoped options
		const c = server.client();
		const o2 = await loginOptions(c, { email: a.email });
		const res = await c.post("/auth/passkey/verify", { response: a.auth.get(o2, { userHandle: null }) });
		assert.equal(res.status, 200, res.text);
		recordCookie(res);
		// another account's credential against them: refused
		const b = await account();
		await register(b);
		const c3 = server.client();
		const o3 = await loginOptions(c3, { email: a.email });
		const r3 = await c3.post("/auth/passkey/verify", { response: b.auth.get(o3, { credentialId: [...b.auth.credentials.keys()][0] }) });
		assertRefused(r3, 401, "verification_failed", "credentialId");
	});

	test("unknown email and an account without passkeys get a stable fake list of the same shape", async () => {
		const unknown = uniqueEmail("nobody");
		const f1 = await loginOptions(server.client(), { email: unknown });
		const f2 = await loginOptions(server.client(), { email: ` ${unknown.toUpperCase()}` });
		assert.deepEqual(f1.allowCredentials, f2.allowCredentials, "stable for the normalised email");
		assert.notEqual(f1.challenge, f2.challenge);
		const f3 = await loginOptions(server.client(), { email: uniqueEmail("nobody") });
		assert.notDeepEqual(f3.allowCredentials, f1.allowCredentials);
		const without = await account();
		const f4 = await loginOptions(server.client(), { email: without.email });
		const sizes = new Set();
		for (const l of [f1, f3, f4].map((f) => f.allowCredentials)) {
			assert.ok(l.length >= 1 && l.length <= 3, JSON.stringify(l));
			for (const d of l) {
				assert.deepEqual(Object.keys(d).sort(), ["id", "transports", "type"]);
				assert.equal(d.type, "public-key");
				const n = b64u.decode(d.id).length;
				assert.ok(n >= 16 && n <= 64, `id of ${n} bytes`);
				assert.ok(Array.isArray(d.transports) && d.transports.length > 0);
				sizes.add(n);
			}
		}
		for (let i = 0; i < 12; i++) {
			for (const d of (await loginOptions(server.client(), { email: uniqueEmail("fake") })).allowCredentials) sizes.add(b64u.decode(d.id).length);
		}
		assert.ok(sizes.size > 1, "fake ids vary in length");
		// the real shape is the same
		assert.deepEqual(Object.keys((await loginOptions(server.client(), { email: a.email })).allowCredentials[0]).sort(), ["id", "transports", "type"]);
	});

	test("a malformed or mistyped email is 400 invalid_field", async () => {
		for (const email of ["not-an-email", "a@localhost", ""]) {
			assertError(await server.client().post("/auth/passkey/options", { email }), 400, "invalid_field", { field: "email" });
		}
		assertError(await server.client().post("/auth/passkey/options", { email: 5 }), 400, "invalid_field", { field: "email" });
		assert.deepEqual((await loginOptions(server.client(), { email: null })).allowCredentials, []);
	});

	test("UV missing, wrong origin, wrong rpId, bad signature, UP missing: 401 verification_failed with the check", async () => {
		const cases = [
			[{ uv: false }, "userVerification"],
			[{ up: false }, "userPresence"],
			[{ origin: "http://evil.example" }, "origin"],
			[{ rpId: "evil.example" }, "rpIdHash"],
			[{ badSignature: true }, "signature"],
			[{ type: "webauthn.create" }, "type"],
			[{ clientData: { crossOrigin: true, topOrigin: "http://evil.example" } }, "crossOrigin"],
			[{ challenge: b64u.encode(Buffer.alloc(32, 1)) }, "challenge"],
		];
		for (const [tweak, check] of cases) {
			const { res } = await passwordless(a.auth, tweak);
			assertRefused(res, 401, "verification_failed", check);
			assert.equal(res.cookie, null, "no session");
		}
		const ev = (await events(a.c)).filter((e) => e.type === "login.failure");
		assert.ok(ev.some((e) => e.detail.method === "passkey" && e.detail.check === "signature"), JSON.stringify(ev));
	});

	test("the userHandle must be the owner's, and present in a discoverable sign-in", async () => {
		const b = await account();
		await register(b);
		const bHandle = [...b.auth.credentials.values()][0].userHandle;
		assertRefused((await passwordless(a.auth, { userHandle: bHandle })).res, 401, "verification_failed", "userHandle");
		assertRefused((await passwordless(a.auth, { userHandle: null })).res, 401, "verification_failed", "userHandle");
	});

	test("a reused challenge, a register challenge, and an expired one are refused; a refused assertion spends its challenge", async () => {
		const c = server.client();
		const o = await loginOptions(c);
		const resp = a.auth.get(o);
		assert.equal(recordCookie(await c.post("/auth/passkey/verify", { response: resp })).status, 200);
		assertRefused(await c.post("/auth/passkey/verify", { response: resp }), 401, "verification_failed", "challenge");
		const o2 = await loginOptions(c);
		assertRefused(await c.post("/auth/passkey/verify", { response: a.auth.get(o2, { uv: false }) }), 401, "verification_failed", "userVerification");
		assertRefused(await c.post("/auth/passkey/verify", { response: a.auth.get(o2) }), 401, "verification_failed", "challenge");
		const reg = await registerOptions(a.c);
		assertRefused(await c.post("/auth/passkey/verify", { response: a.auth.get({ ...o2, challenge: reg.challenge }) }), 401, "verification_failed", "challenge");
		const o3 = await loginOptions(c);
		dbWrite(server, "UPDATE webauthn_challenges SET expires_at = 1 WHERE purpose = 'login'");
		assertRefused(await c.post("/auth/passkey/verify", { response: a.auth.get(o3) }), 401, "verification_failed", "challenge");
	});

	test("a clientDataJSON that is not base64url JSON, or repeats a key, is refused (check clientDataJSON)", async () => {
		const o = await loginOptions(server.client());
		const good = a.auth.get(o);
		const cd = JSON.parse(b64u.decode(good.response.clientDataJSON).toString("utf8"));
		const dup = `{"type":"webauthn.get","challenge":"${cd.challenge}","challenge":"${b64u.encode(Buffer.alloc(32))}","origin":"${cd.origin}"}`;
		for (const bad of ["***", b64u.encode(Buffer.from("[1,2]")), b64u.encode(Buffer.from(dup))]) {
			const res = await server.client().post("/auth/passkey/verify", { response: { ...good, response: { ...good.response, clientDataJSON: bad } } });
			assertRefused(res, 401, "verification_failed", "clientDataJSON");
		}
		assert.equal(recordCookie(await server.client().post("/auth/passkey/verify", { response: good })).status, 200, "the challenge was not spent by the junk");
	});

	test("response missing or mistyped: 400", async () => {
		assertError(await server.client().post("/auth/passkey/verify", {}), 400, "missing_field", { field: "response" });
		assertError(await server.client().post("/auth/passkey/verify", { response: [] }), 400, "invalid_field", { field: "response" });
	});

	test("counter: increases accepted and stored, regression refused with passkey.counter_regression, a new 0 accepted", async () => {
		const b = await account(server, { counter: 5 });
		const bpk = await register(b);
		assert.equal((await passwordless(b.auth)).res.status, 200); // 6
		assert.equal(db(server, `SELECT sign_count AS n FROM passkeys WHERE id = '${bpk.id}'`)[0].n, 6);
		assert.equal((await passwordless(b.auth, { signCount: 10 })).res.status, 200);
		assert.equal(db(server, `SELECT sign_count AS n FROM passkeys WHERE id = '${bpk.id}'`)[0].n, 10);
		assertRefused((await passwordless(b.auth, { signCount: 10 })).res, 401, "verification_failed", "signCount");
		assertRefused((await passwordless(b.auth, { signCount: 3 })).res, 401, "verification_failed", "signCount");
		const ev = (await events(b.c)).filter((e) => e.type === "passkey.counter_regression");
		assert.deepEqual(ev[0].detail, { passkeyId: bpk.id, storedCount: 10, receivedCount: 3 });
		assert.deepEqual(ev[1].detail, { passkeyId: bpk.id, storedCount: 10, receivedCount: 10 });
		// a 0 after a non-zero counter is accepted; the stored value stays
		assert.equal((await passwordless(b.auth, { signCount: 0 })).res.status, 200);
		assert.equal(db(server, `SELECT sign_count AS n FROM passkeys WHERE id = '${bpk.id}'`)[0].n, 10);
		assert.equal((await passwordless(b.auth, { signCount: 11 })).res.status, 200);
		// 0 and 0 (no counter) always passes
		const z = await account();
		await register(z);
		for (let i = 0; i < 3; i++) assert.equal((await passwordless(z.auth)).res.status, 200);
	});

	test("the same assertion raced: exactly one session", async () => {
		const c = server.client();
		const o = await loginOptions(c);
		const resp = a.auth.get(o);
		const results = await Promise.all(Array.from({ length: 8 }, () => server.client().post("/auth/passkey/verify", { response: resp })));
		for (const r of results) recordCookie(r);
		assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(","));
	});

	test("backup flags: BE must equal the registered BE; BS without BE refused; BS changes are stored", async () => {
		const b = await account(server, { be: true, bs: false });
		const bpk = await register(b);
		assertRefused((await passwordless(b.auth, { be: false })).res, 401, "verification_failed", "backupFlags");
		assertRefused((await passwordless(b.auth, { be: false, bs: true })).res, 401, "verification_failed", "backupFlags");
		assert.equal((await passwordless(b.auth, { bs: true })).res.status, 200);
		assert.equal((await b.c.get("/me/passkeys")).json.passkeys.find((p) => p.id === bpk.id).backedUp, true);
		assertRefused((await passwordless(a.auth, { be: true })).res, 401, "verification_failed", "backupFlags");
	});

	test("a deleted credential is refused, even with a challenge fetched before", async () => {
		const b = await account();
		const bpk = await register(b);
		await register(b); // a second one
		const c = server.client();
		const o = await loginOptions(c);
		assert.equal((await b.c.delete(`/me/passkeys/${bpk.id}`)).status, 204);
		assertRefused(await c.post("/auth/passkey/verify", { response: b.auth.get(o, { credentialId: bpk.id }) }), 401, "verification_failed", "credentialId");
	});

	test("a disabled account: a valid passkey is 401 invalid_credentials, login.failure reason disabled", async () => {
		const b = await account();
		await register(b);
		dbWrite(server, `UPDATE users SET disabled = 1 WHERE id = '${b.user.id}'`);
		const { res } = await passwordless(b.auth);
		assertError(res, 401, "invalid_credentials");
		assert.equal(res.cookie, null);
		dbWrite(server, `UPDATE users SET disabled = 0 WHERE id = '${b.user.id}'`);
		const ev = (await events(b.c)).find((e) => e.type === "login.failure");
		assert.deepEqual(ev.detail, { method: "passkey", reason: "disabled" });
	});
});

describe("settings", () => {
	test("--attestation direct, --rp-name, and --top-origin for a framed ceremony", async () => {
		const top = "https://embedder.example";
		const s = await startServer({ args: [...NO_LIMITS, "--attestation", "direct", "--rp-name", "Example Co", "--top-origin", top] });
		try {
			const a = await account(s, { attestation: "packed" });
			const o = await registerOptions(a.c);
			assert.equal(o.attestation, "direct");
			assert.deepEqual(o.rp, { id: "localhost", name: "Example Co" });
			const framed = { clientData: { crossOrigin: true, topOrigin: top } };
			const res = await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(o, framed) });
			assert.equal(res.status, 201, res.text);
			assert.equal((await passwordless(a.auth, framed, { client: s.client() })).res.status, 200);
			assertRefused((await passwordless(a.auth, { clientData: { crossOrigin: true, topOrigin: "https://evil.example" } }, { client: s.client() })).res, 401, "verification_failed", "crossOrigin");
			assertRefused((await passwordless(a.auth, { clientData: { crossOrigin: false, topOrigin: top } }, { client: s.client() })).res, 401, "verification_failed", "crossOrigin");
		} finally {
			await s.stop();
		}
	});
});

describe("rate limits", () => {
	test("300 options per address per 15 min (here 3), and failed verifications apart", async () => {
		const s = await startServer({ args: [...NO_LIMITS, "--rate-passkey-ip", "3"] });
		try {
			const a = await account(s);
			await register(a);
			const c = s.client();
			const opts = [];
			for (let i = 0; i < 3; i++) opts.push(await loginOptions(c));
			const limited = await c.post("/auth/passkey/options", {});
			assert.equal(limited.status, 429, limited.text);
			assert.ok(Number(limited.headers["retry-after"]) >= 1);
			// verifications: only failures count
			assert.equal(recordCookie(await c.post("/auth/passkey/verify", { response: a.auth.get(opts[0]) })).status, 200);
			for (let i = 0; i < 3; i++) {
				assert.equal((await c.post("/auth/passkey/verify", { response: a.auth.get(opts[1], { badSignature: true }) })).status, 401);
			}
			const r = await c.post("/auth/passkey/verify", { response: a.auth.get(opts[2]) });
			assert.equal(r.status, 429, r.text);
		} finally {
			await s.stop();
		}
	});

	test("in parallel the limits still hold: 3 of 12 options, at most 3 failed verifications", async () => {
		const s = await startServer({ args: [...NO_LIMITS, "--rate-passkey-ip", "3"] });
		try {
			const opts = await Promise.all(Array.from({ length: 12 }, () => s.client().post("/auth/passkey/options", {})));
			assert.equal(opts.filter((r) => r.status === 200).length, 3, opts.map((r) => r.status).join(","));
			assert.equal(opts.filter((r) => r.status === 429).length, 9);
			const a = await account(s);
			await register(a);
			const o = opts.find((r) => r.status === 200).json;
			const bad = a.auth.get(o, { badSignature: true });
			const res = await Promise.all(Array.from({ length: 12 }, () => s.client().post("/auth/passkey/verify", { response: bad })));
			const statuses = res.map((r) => r.status);
			assert.ok(statuses.filter((x) => x === 401).length <= 3, statuses.join(","));
			assert.ok(statuses.every((x) => x === 401 || x === 429), statuses.join(","));
		} finally {
			await s.stop();
		}
	});
});

async function enableTotp(c) {
	const setup = await c.post("/2fa/totp/setup", {});
	assert.equal(setup.status, 200, setup.text);
	recordSecret(setup.json.secret, "totp secret");
	const en = await c.post("/2fa/totp/enable", { code: totp(setup.json.secret) });
	assert.equal(en.status, 200, en.text);
	return setup.json.secret;
}

describe("second factor", () => {
	let a;
	before(async () => {
		a = await account(server, { uv: false });
		await register(a);
		await enableTotp(a.c);
	});

	async function pending() {
		const c = server.client();
		const res = await login(c, a.email, a.password);
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "2fa_required");
		return { c, res };
	}

	test("methods list passkey last; options ask UV preferred with the user's passkeys", async () => {
		const { c, res } = await pending();
		assert.deepEqual(res.json.methods, ["totp", "recovery_code", "passkey"]);
		const o = await c.post("/login/2fa/passkey/options", {});
		assert.equal(o.status, 200, o.text);
		assert.equal(o.json.userVerification, "preferred");
		assert.deepEqual(
			o.json.allowCredentials.map((d) => d.id),
			[...a.auth.credentials.keys()],
		);
	});

	test("UP without UV completes the sign-in: amr pwd,passkey, AAL 2, events", async () => {
		const { c } = await pending();
		const o = (await c.post("/login/2fa/passkey/options", {})).json;
		const res = recordCookie(await c.post("/login/2fa", { passkeyResponse: a.auth.get(o) }));
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "authenticated");
		const me = (await c.get("/me")).json;
		assert.deepEqual(me.session.amr, ["pwd", "passkey"]);
		assert.equal(me.session.aal, 2);
		const ev = await events(c);
		assert.deepEqual(ev.find((e) => e.type === "2fa.success").detail, { method: "passkey" });
		assert.deepEqual(ev.find((e) => e.type === "login.success").detail, { method: "password", secondFactor: "passkey" });
	});

	test("with UV the amr says passkey_uv", async () => {
		const { c } = await pending();
		const o = (await c.post("/login/2fa/passkey/options", {})).json;
		const res = recordCookie(await c.post("/login/2fa", { passkeyResponse: a.auth.get(o, { uv: true }) }));
		assert.equal(res.status, 200, res.text);
		assert.deepEqual((await c.get("/me")).json.session.amr, ["pwd", "passkey_uv"]);
	});

	test("failures are 401 invalid_code naming the check: another user's credential, bad signature, UP missing, wrong challenge", async () => {
		const b = await account();
		await register(b);
		const { c } = await pending();
		const cases = [
			[(o) => b.auth.get(o, { credentialId: [...b.auth.credentials.keys()][0] }), "credentialId"],
			[(o) => a.auth.get(o, { badSignature: true }), "signature"],
			[(o) => a.auth.get(o, { up: false }), "userPresence"],
			[(o) => a.auth.get(o, { origin: "http://evil.example" }), "origin"],
		];
		for (const [make, check] of cases) {
			const o = (await c.post("/login/2fa/passkey/options", {})).json;
			assertRefused(await c.post("/login/2fa", { passkeyResponse: make(o) }), 401, "invalid_code", check);
		}
		// a challenge of another purpose (passwordless sign-in): refused, then the pending session is ended
		const login1 = await loginOptions(server.client());
		assertRefused(await c.post("/login/2fa", { passkeyResponse: a.auth.get({ ...login1, allowCredentials: [] }) }), 401, "invalid_code", "challenge");
		assertError(await c.post("/login/2fa/passkey/options", {}), 401, "no_pending_session");
	});

	test("another pending session's challenge is refused", async () => {
		const p1 = await pending();
		const p2 = await pending();
		const o1 = (await p1.c.post("/login/2fa/passkey/options", {})).json;
		assertRefused(await p2.c.post("/login/2fa", { passkeyResponse: a.auth.get(o1) }), 401, "invalid_code", "challenge");
		assert.equal(recordCookie(await p1.c.post("/login/2fa", { passkeyResponse: a.auth.get(o1) })).status, 200);
	});

	test("a passkeyResponse that is not an object is 400 invalid_field; options need a pending session", async () => {
		const { c } = await pending();
		assertError(await c.post("/login/2fa", { passkeyResponse: "x" }), 400, "invalid_field", { field: "passkeyResponse" });
		assertError(await server.client().post("/login/2fa/passkey/options", {}), 401, "no_pending_session");
		assertError(await a.c.post("/login/2fa/passkey/options", {}), 401, "no_pending_session");
	});

	test("a pending session can neither enrol, list, rename, delete nor reauth passkeys (P-083, P-109)", async () => {
		const { c } = await pending();
		const id = [...a.auth.credentials.keys()][0];
		assertError(await c.post("/auth/passkey/register/options", {}), 401, "unauthenticated");
		assertError(await c.post("/auth/passkey/register/verify", { response: {} }), 401, "unauthenticated");
		assertError(await c.get("/me/passkeys"), 401, "unauthenticated");
		assertError(await c.patch(`/me/passkeys/${id}`, { name: "x" }), 401, "unauthenticated");
		assertError(await c.delete(`/me/passkeys/${id}`), 401, "unauthenticated");
		assertError(await c.post("/me/reauth/passkey/options", {}), 401, "unauthenticated");
		assert.equal((await a.c.get("/me/passkeys")).json.passkeys.length, 1);
	});

	test("a user with TOTP and no passkey: options with allowCredentials []", async () => {
		const b = await account();
		await enableTotp(b.c);
		const c = server.client();
		assert.deepEqual((await login(c, b.email, b.password)).json.methods, ["totp", "recovery_code"]);
		const o = await c.post("/login/2fa/passkey/options", {});
		assert.equal(o.status, 200, o.text);
		assert.deepEqual(o.json.allowCredentials, []);
	});
});

describe("re-authentication", () => {
	test("options, then /me/reauth {passkeyResponse} sets sudoUntil and adds the factor to amr", async () => {
		const a = await account(server, { uv: false });
		await register(a);
		const o = await a.c.post("/me/reauth/passkey/options", {});
		assert.equal(o.status, 200, o.text);
		assert.equal(o.json.userVerification, "preferred");
		assert.deepEqual(o.json.allowCredentials.map((d) => d.id), [...a.auth.credentials.keys()]);
		const t0 = Date.now();
		const res = await a.c.post("/me/reauth", { passkeyResponse: a.auth.get(o.json) });
		assert.equal(res.status, 200, res.text);
		assert.ok(Date.parse(res.json.sudoUntil) >= t0 + 10 * 60 * 1000 - 1000);
		assert.deepEqual((await a.c.get("/me")).json.session.amr, ["pwd", "passkey"]);
		assert.deepEqual((await events(a.c)).find((e) => e.type === "reauth.success").detail, { method: "passkey" });
	});

	test("failures: 401 invalid_credentials with check; the session stays", async () => {
		const a = await account();
		await register(a);
		const b = await account();
		await register(b);
		const cases = [
			[(o) => a.auth.get(o, { badSignature: true }), "signature"],
			[(o) => b.auth.get(o, { credentialId: [...b.auth.credentials.keys()][0] }), "credentialId"],
			[(o) => a.auth.get(o, { rpId: "evil.example" }), "rpIdHash"],
		];
		for (const [make, check] of cases) {
			const o = (await a.c.post("/me/reauth/passkey/options", {})).json;
			assertRefused(await a.c.post("/me/reauth", { passkeyResponse: make(o) }), 401, "invalid_credentials", check);
		}
		// a second-factor or login challenge is not a reauth challenge
		const lo = await loginOptions(server.client());
		assertRefused(await a.c.post("/me/reauth", { passkeyResponse: a.auth.get({ ...lo, allowCredentials: [] }) }), 401, "invalid_credentials", "challenge");
		assertError(await a.c.post("/me/reauth", { passkeyResponse: 1 }), 400, "invalid_field", { field: "passkeyResponse" });
		assert.equal((await a.c.get("/me")).status, 200);
		const fail = (await events(a.c)).find((e) => e.type === "reauth.failure");
		assert.equal(fail.detail.method, "passkey");
		assertError(await server.client().post("/me/reauth/passkey/options", {}), 401, "unauthenticated");
	});
});

describe("managing passkeys", () => {
	test("rename: 200 with the object, passkey.renamed; 404 before 400", async () => {
		const a = await account();
		const pk = await register(a);
		const res = await a.c.patch(`/me/passkeys/${pk.id}`, { name: "  Work laptop " });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json.passkey, { ...pk, name: "Work laptop" });
		assert.deepEqual((await events(a.c)).find((e) => e.type === "passkey.renamed").detail, { passkeyId: pk.id, name: "Work laptop" });
		assertError(await a.c.patch("/me/passkeys/AAAAAAAAAAAAAAAAAAAAAA", { name: "x" }), 404, "not_found");
		assertError(await a.c.patch("/me/passkeys/AAAAAAAAAAAAAAAAAAAAAA", { name: "" }), 404, "not_found");
		assertError(await a.c.patch("/me/passkeys/AAAAAAAAAAAAAAAAAAAAAA", {}), 404, "not_found");
		assertError(await a.c.patch(`/me/passkeys/${pk.id}`, { name: "" }), 400, "invalid_field", { field: "name" });
		assertError(await a.c.patch(`/me/passkeys/${pk.id}`, { name: "x".repeat(65) }), 400, "invalid_field", { field: "name" });
		assertError(await a.c.patch(`/me/passkeys/${pk.id}`, {}), 400, "missing_field", { field: "name" });
		// another user's passkey is 404
		const b = await account();
		assertError(await b.c.patch(`/me/passkeys/${pk.id}`, { name: "mine" }), 404, "not_found");
		assertError(await b.c.delete(`/me/passkeys/${pk.id}`), 404, "not_found");
		assert.equal((await a.c.get("/me/passkeys")).json.passkeys[0].name, "Work laptop");
	});

	test("delete: 204, passkey.removed, a notification; unknown 404; sudo needed", async () => {
		const a = await account();
		const pk = await register(a, { name: "Old key" });
		const before = new Set(listMail(server.mailDir).map((m) => m.file));
		const res = await a.c.delete(`/me/passkeys/${pk.id}`);
		assert.equal(res.status, 204, res.text);
		assert.deepEqual((await a.c.get("/me/passkeys")).json.passkeys, []);
		assert.deepEqual((await events(a.c)).find((e) => e.type === "passkey.removed").detail, { passkeyId: pk.id, name: "Old key" });
		await waitForMail(server.mailDir, { to: a.email, purpose: "passkey-removed", exclude: before });
		assertError(await a.c.delete(`/me/passkeys/${pk.id}`), 404, "not_found");
		assertError(await server.client().delete(`/me/passkeys/${pk.id}`), 401, "unauthenticated");
		const s0 = await startServer({ args: [...NO_LIMITS, "--sudo-ttl", "0s"] });
		try {
			const b = await account(s0);
			assertError(await b.c.delete("/me/passkeys/AAAAAAAAAAAAAAAAAAAAAA"), 403, "reauthentication_required");
		} finally {
			await s0.stop();
		}
	});

	test("an account without a password keeps its last passkey: 409 last_method", async () => {
		const a = await account();
		const first = await register(a);
		const second = await register(a);
		// the password goes (as the pre-hijack defence or a passwordless account leaves it)
		dbWrite(server, `UPDATE users SET password_hash = NULL WHERE id = '${a.user.id}'`);
		assert.equal((await a.c.get("/me")).json.hasPassword, false);
		assert.equal((await a.c.delete(`/me/passkeys/${first.id}`)).status, 204);
		assertError(await a.c.delete(`/me/passkeys/${second.id}`), 409, "last_method");
		assert.equal((await a.c.get("/me/passkeys")).json.passkeys.length, 1);
		// TOTP is no way in: still 409
		await enableTotp(a.c);
		assertError(await a.c.delete(`/me/passkeys/${second.id}`), 409, "last_method");
		// and it still signs in
		assert.equal((await passwordless(a.auth)).res.status, 200);
	});
});

describe("pre-hijack defence", () => {
	test("the verification link used without a session removes passkeys and their challenges", async () => {
		const a = await account();
		const pk = await register(a);
		const o = await loginOptions(server.client(), { email: a.email }); // bound to the account
		await registerOptions(a.c);
		const m = await waitForMail(server.mailDir, { to: a.email, purpose: "verify-email" });
		recordSecret(m.token, "verify-email token");
		const v = await server.client().post("/auth/verify-email", { token: m.token });
		assert.equal(v.status, 200, v.text);
		assert.equal(db(server, `SELECT COUNT(*) AS n FROM passkeys WHERE user_id = '${a.user.id}'`)[0].n, 0);
		assert.equal(db(server, `SELECT COUNT(*) AS n FROM webauthn_challenges WHERE user_id = '${a.user.id}'`)[0].n, 0);
		const res = await server.client().post("/auth/passkey/verify", { response: a.auth.get(o, { credentialId: pk.id }) });
		assertRefused(res, 401, "verification_failed", "challenge");
		assertRefused((await passwordless(a.auth)).res, 401, "verification_failed", "credentialId");
	});
});

describe("outstanding challenges (SECURITY-PROBES P-143)", () => {
	test("one per session and purpose: a newer options request replaces the older challenge; other sessions and purposes keep theirs", async () => {
		const a = await account(server, { uv: false });
		const count = (purpose) =>
			Number(db(server, `SELECT COUNT(*) AS n FROM webauthn_challenges WHERE user_id = '${a.user.id}' AND purpose = '${purpose}'`)[0].n);
		// registration (full session in sudo mode)
		const r = [];
		for (let i = 0; i < 5; i++) r.push(await registerOptions(a.c));
		assert.equal(count("register"), 1);
		assertRefused(await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(r[3]) }), 400, "verification_failed", "challenge");
		assert.equal((await a.c.post("/auth/passkey/register/verify", { response: a.auth.create(r[4]) })).status, 201);
		assert.equal(count("register"), 0);
		// re-authentication, with a register challenge outstanding beside it
		await registerOptions(a.c);
		const q = [];
		for (let i = 0; i < 5; i++) {
			const o = await a.c.post("/me/reauth/passkey/options", {});
			assert.equal(o.status, 200, o.text);
			q.push(o.json);
		}
		assert.equal(count("reauth"), 1);
		assert.equal(count("register"), 1, "another purpose keeps its challenge");
		assertRefused(await a.c.post("/me/reauth", { passkeyResponse: a.auth.get(q[0]) }), 401, "invalid_credentials", "challenge");
		assert.equal((await a.c.post("/me/reauth", { passkeyResponse: a.auth.get(q[4]) })).status, 200);
		// second factor: two pending sessions of the account; p1 asks five times, p2 once
		await enableTotp(a.c);
		const p1 = server.client();
		const p2 = server.client();
		for (const c of [p1, p2]) assert.equal((await login(c, a.email, a.password)).json.status, "2fa_required");
		const o2 = (await p2.post("/login/2fa/passkey/options", {})).json;
		let o1;
		for (let i = 0; i < 5; i++) o1 = (await p1.post("/login/2fa/passkey/options", {})).json;
		assert.equal(count("second_factor"), 2, "one per pending session");
		assert.equal(recordCookie(await p2.post("/login/2fa", { passkeyResponse: a.auth.get(o2) })).status, 200);
		assert.equal(recordCookie(await p1.post("/login/2fa", { passkeyResponse: a.auth.get(o1) })).status, 200);
		assert.equal(count("second_factor"), 0);
	});
});
