// Email verification (API.md "Accounts and sessions", "Magic links"; API-NOTES 30-32, 67,
// 89-90, 135-137, 139): the verification email, its 24-hour single-use token, the confirm page,
// and the pre-hijack defence when the link is used without a full session of the account.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, test } from "node:test";
import { waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";
import { totp } from "../lib/totp.mjs";
import { assertError, login, recordCookie, signup } from "../lib/api-util.mjs";

let server;
before(async () => {
	server = await startServer({ args: ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0", "--rate-mail-ip", "0", "--rate-mail-email", "0"] });
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

function db(sql) {
	return server.sql(sql); // SQLite or PostgreSQL (server.mjs)
}

/** The verification email of email, its token recorded as a secret. */
async function verificationMail(email) {
	const m = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
	recordSecret(m.token, `verification token of ${email}`);
	return m;
}

const verify = (client, token) => client.post("/auth/verify-email", { token });

async function events(client) {
	const res = await client.get("/me/events");
	assert.equal(res.status, 200, res.text);
	return res.json.events;
}

/** Enables TOTP on client's account (client in sudo mode) and returns the secret. */
async function enableTotp(client) {
	const setup = await client.post("/2fa/totp/setup", {});
	assert.equal(setup.status, 200, setup.text);
	const secret = recordSecret(setup.json.secret, "totp secret");
	const en = await client.post("/2fa/totp/enable", { code: totp(secret) });
	assert.equal(en.status, 200, en.text);
	for (const c of en.json.recoveryCodes) recordSecret(c, "recovery code");
	return secret;
}

describe("the verification email", () => {
	test("names the site, the time and the address of the signup; the link alone on its line; 24 h", async () => {
		const t0 = Date.now();
		const { email } = await signup(server.client(), { headers: { Host: "evil.example", "X-Forwarded-Host": "evil.example" } });
		const m = await verificationMail(email);
		assert.equal(m.headers["x-latchkey-purpose"], "verify-email");
		assert.match(m.headers["content-type"], /^text\/plain; charset=utf-8$/i);
		const lines = m.body.split("\r\n");
		const link = `${server.origin}/auth/verify-email?token=${m.token}`;
		assert.ok(lines.includes(link), `a line holding exactly ${link}`);
		assert.match(m.token, /^[A-Za-z0-9_-]{43}$/, "256 bits");
		assert.ok(m.body.includes(`at ${server.origin} `), "names the site");
		assert.ok(m.body.includes(email), "names the address");
		assert.ok(m.body.includes("127.0.0.1"), "names the client address");
		assert.ok(m.body.includes(new Date(t0).toISOString().slice(0, 10)), "names the day");
		assert.match(m.body, /24 hours/);
		assert.doesNotMatch(m.raw, /evil\.example/);
	});

	test("the token is stored only as its SHA-256, valid 24 h (not waited: read from the database)", async () => {
		const { email, user } = await signup(server.client());
		const m = await verificationMail(email);
		const rows = db(`SELECT hex(hash) AS h, created_at, expires_at, used_at FROM tokens WHERE purpose = 'verify-email' AND user_id = '${user.id}'`);
		assert.equal(rows.length, 1);
		assert.equal(rows[0].h, crypto.createHash("sha256").update(m.token).digest("hex").toUpperCase());
		assert.equal(rows[0].expires_at - rows[0].created_at, 24 * 3600 * 1000);
		assert.equal(rows[0].used_at, null);
		const dump = JSON.stringify(server.sql("SELECT * FROM tokens"));
		assert.ok(!dump.includes(m.token), "the token itself is not stored");
	});

	test("the confirm page: 200 whatever the token, never consumes, no-store, no-referrer, strict CSP", async () => {
		const c = server.client();
		const { email } = await signup(c);
		const m = await verificationMail(email);
		for (const q of [`?token=${m.token}`, `?token=${m.token}`, "?token=nonsense", ""]) {
			const page = await server.client().get(`/auth/verify-email${q}`);
			assert.equal(page.status, 200);
			assert.match(page.headers["content-type"], /^text\/html/);
			assert.equal(page.headers["cache-control"], "no-store");
			assert.equal(page.headers["referrer-policy"], "no-referrer");
			assert.match(page.headers["content-security-policy"] || "", /default-src 'none'/);
			assert.match(page.text, /<button[^>]*>Verify email<\/button>/);
			assert.ok(!page.text.includes(m.token));
		}
		assert.equal((await c.get("/me")).json.emailVerified, false);
		assert.equal((await verify(c, m.token)).status, 200);
	});
});

describe("using the link", () => {
	test("with the account's own full session: verified, nothing else changes; a second POST is 400", async () => {
		const c = server.client();
		const acct = await signup(c);
		const secret = await enableTotp(c);
		const m = await verificationMail(acct.email);
		const other = server.client();
		const pending = recordCookie(await login(other, acct.email, acct.password));
		assert.equal(pending.json.status, "2fa_required");
		assert.equal((await other.post("/login/2fa", { code: totp(secret, { at: Date.now() / 1000 + 30 }) })).status, 200);
		const res = await verify(c, m.token);
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { status: "verified" });
		assert.equal(res.setCookie, null);
		const me = (await c.get("/me")).json;
		assert.equal(me.emailVerified, true);
		assert.equal(me.hasPassword, true);
		assert.equal(me.totpEnabled, true);
		assert.equal((await other.get("/me")).status, 200, "other sessions stay");
		assert.equal((await c.get("/me/auth-methods")).json.magicLink, true);
		assertError(await verify(c, m.token), 400, "invalid_or_expired_token");
		assertError(await verify(server.client(), m.token), 400, "invalid_or_expired_token");
		const ev = (await events(c)).filter((e) => e.type === "email.verified");
		assert.equal(ev.length, 1);
		assert.deepEqual(ev[0].detail, { via: "link" });
	});

	test("pre-hijack: without a session, password, TOTP and recovery codes are removed and every session revoked", async () => {
		const attacker = server.client();
		const acct = await signup(attacker);
		await enableTotp(attacker);
		const second = server.client();
		const pending = recordCookie(await login(second, acct.email, acct.password));
		assert.equal(pending.json.status, "2fa_required", "a pending session too");
		const m = await verificationMail(acct.email);
		const owner = server.client();
		const res = await verify(owner, m.token);
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { status: "verified" });
		assert.equal(res.setCookie, null, "verifying creates no session");
		assertError(await attacker.get("/me"), 401, "unauthenticated");
		assertError(await second.post("/login/2fa", { code: "000000" }), 401, "no_pending_session");
		assertError(await login(server.client(), acct.email, acct.password), 401, "invalid_credentials");
		assertError(await verify(server.client(), m.token), 400, "invalid_or_expired_token");
		// the owner signs in with a magic link: a passwordless account without any factor
		assert.equal((await owner.post("/auth/magic-link", { email: acct.email })).status, 202);
		const ml = await waitForMail(server.mailDir, { to: acct.email, purpose: "magic-link" });
		recordSecret(ml.token, "magic-link token");
		const signin = recordCookie(await owner.post("/auth/magic-link/verify", { token: ml.token }));
		assert.equal(signin.json.status, "authenticated", "no TOTP is left to ask for");
		const me = (await owner.get("/me")).json;
		assert.equal(me.emailVerified, true);
		assert.equal(me.hasPassword, false);
		assert.equal(me.totpEnabled, false);
		assert.equal(me.recoveryCodesRemaining, 0);
		assert.equal(me.passkeys, 0);
		const ev = (await events(owner)).find((e) => e.type === "email.verified");
		assert.equal(ev.detail.via, "link");
		assert.deepEqual([...ev.detail.removed].sort(), ["passkeys", "password", "recovery_codes", "totp"]);
		assert.equal(ev.detail.sessionsRevoked, 2, "the signup session and the pending one");
	});

	test("pre-hijack: a session of another account does not count as the owner's", async () => {
		const attacker = server.client();
		const acct = await signup(attacker);
		const m = await verificationMail(acct.email);
		const someoneElse = server.client();
		await signup(someoneElse);
		const res = await verify(someoneElse, m.token);
		assert.equal(res.status, 200, res.text);
		assert.equal((await someoneElse.get("/me")).status, 200, "the caller's own session is untouched");
		assertError(await attacker.get("/me"), 401, "unauthenticated");
		assertError(await login(server.client(), acct.email, acct.password), 401, "invalid_credentials");
	});

	test("an address already verified by a magic link: the token still works once and removes nothing", async () => {
		const c = server.client();
		const acct = await signup(c);
		const m = await verificationMail(acct.email);
		assert.equal((await c.post("/auth/magic-link", { email: acct.email })).status, 202);
		const ml = await waitForMail(server.mailDir, { to: acct.email, purpose: "magic-link" });
		recordSecret(ml.token, "magic-link token");
		const owner = server.client();
		assert.equal((await owner.post("/auth/magic-link/verify", { token: ml.token })).json.status, "authenticated");
		const res = await verify(server.client(), m.token);
		assert.equal(res.status, 200, res.text);
		assert.equal((await owner.get("/me")).status, 200, "the owner's session stays");
		assertError(await verify(server.client(), m.token), 400, "invalid_or_expired_token");
		assert.equal((await events(owner)).filter((e) => e.type === "email.verified").length, 1);
	});

	test("20 parallel uses of one token: exactly one 200", async () => {
		const acct = await signup(server.client());
		const m = await verificationMail(acct.email);
		const results = await Promise.all(Array.from({ length: 20 }, () => verify(server.client(), m.token)));
		assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(","));
		for (const r of results.filter((x) => x.status !== 200)) assertError(r, 400, "invalid_or_expired_token");
	});

	test("bad tokens: 400 invalid_or_expired_token; missing or mistyped: missing_field / invalid_field", async () => {
		for (const token of ["", "x", "A".repeat(43), "A".repeat(44), "A".repeat(3000), "%00", "../../etc/passwd"]) {
			assertError(await verify(server.client(), token), 400, "invalid_or_expired_token");
		}
		assertError(await server.client().post("/auth/verify-email", {}), 400, "missing_field", "token");
		assertError(await server.client().post("/auth/verify-email", { token: null }), 400, "missing_field", "token");
		assertError(await server.client().post("/auth/verify-email", { token: ["x"] }), 400, "invalid_field", "token");
	});
});
