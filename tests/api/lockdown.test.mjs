// API.md "Security notifications and 'this wasn't me'" (API-NOTES 69, 121) and the assurance
// policy of docs/assurance.md: notification emails with their lockdown link, new-device
// sign-ins, what a lockdown does and what lifts it, and the AAL of each way of signing in
// as /me and /auth/check?aal=2 see it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { totp } from "../lib/totp.mjs";
import { SoftAuthn } from "../lib/softauthn.mjs";
import { login, runLatchkey, signup, sleep, strongPassword } from "../lib/api-util.mjs";

let server;
before(async () => {
	server = await startServer({
		args: ["--recovery-delay", "1s", "--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0", "--rate-mail-ip", "0"],
	});
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

function assertError(res, status, code) {
	assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
	assert.equal(res.json?.error, code, res.text);
}

function lockdownToken(mail) {
	const link = mail.links.find((l) => new URL(l).pathname === "/auth/lockdown");
	assert.ok(link, mail.body);
	assert.ok(link.startsWith(`${server.origin}/auth/lockdown?token=`), link);
	return recordSecret(new URL(link).searchParams.get("token"), "lockdown token");
}

async function shown(email) {
	const res = await runLatchkey(["user", "show", email, "--data-dir", server.dataDir]);
	assert.equal(res.code, 0, res.stderr);
	return JSON.parse(res.stdout);
}

async function enableTotp(c) {
	const setup = await c.post("/2fa/totp/setup", {});
	assert.equal(setup.status, 200, setup.text);
	recordSecret(setup.json.secret, "totp secret");
	const en = await c.post("/2fa/totp/enable", { code: totp(setup.json.secret) });
	assert.equal(en.status, 200, en.text);
	for (const rc of en.json.recoveryCodes) recordSecret(rc, "recovery code");
	return { secret: setup.json.secret, codes: en.json.recoveryCodes };
}

async function addPasskey(c) {
	const auth = new SoftAuthn({ origin: server.origin });
	const opts = await c.post("/auth/passkey/register/options", {});
	assert.equal(opts.status, 200, opts.text);
	const res = await c.post("/auth/passkey/register/verify", { response: auth.create(opts.json) });
	assert.equal(res.status, 201, res.text);
	return auth;
}

async function passkeySignIn(client, auth) {
	const opts = await client.post("/auth/passkey/options", {});
	assert.equal(opts.status, 200, opts.text);
	return client.post("/auth/passkey/verify", { response: auth.get(opts.json) });
}

/** A lockdown token of a fresh "password changed" notification for the account of c. */
async function passwordChangeLink(c, email) {
	const res = await c.post("/me/password", { newPassword: strongPassword() });
	assert.equal(res.status, 204, res.text);
	return lockdownToken(await waitForMail(server.mailDir, { to: email, purpose: "password-changed" }));
}

async function recover(email) {
	const before = listMail(server.mailDir, { to: email, purpose: "recovery" }).map((m) => m.file);
	assert.equal((await server.client().post("/auth/recovery", { email })).status, 202);
	const m = await waitForMail(server.mailDir, { to: email, purpose: "recovery", exclude: new Set(before) });
	const token = recordSecret(m.token, "recovery token");
	const start = await server.client().post("/auth/recovery/start", { token });
	assert.equal(start.status, 200, start.text);
	return { token, completesAt: start.json.completesAt };
}

describe("notifications", () => {
	test("a password change is emailed with time, address, user agent and a lockdown link", async () => {
		const c = server.client({ headers: { "User-Agent": "NotifyTest/1.0 (password)" } });
		const { email } = await signup(c);
		const res = await c.post("/me/password", { newPassword: strongPassword() });
		assert.equal(res.status, 204, res.text);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "password-changed" });
		assert.match(m.body, /password was changed/i);
		assert.match(m.body, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
		assert.ok(m.body.includes("127.0.0.1"), m.body);
		assert.ok(m.body.includes("NotifyTest/1.0 (password)"), m.body);
		assert.equal(lockdownToken(m).length, 43);
	});

	test("a sign-in from a new device is emailed once; the signup device is known", async () => {
		const a = server.client({ headers: { "User-Agent": "Device-A" } });
		const { email, password } = await signup(a);
		assert.equal((await login(server.client({ headers: { "User-Agent": "Device-A" } }), email, password)).status, 200);
		await sleep(700);
		assert.equal(listMail(server.mailDir, { to: email, purpose: "new-sign-in" }).length, 0);
		assert.equal((await login(server.client({ headers: { "User-Agent": "Device-B" } }), email, password)).status, 200);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "new-sign-in" });
		assert.ok(m.body.includes("Device-B"), m.body);
		lockdownToken(m);
		assert.equal((await login(server.client({ headers: { "User-Agent": "Device-B" } }), email, password)).status, 200);
		await sleep(700);
		assert.equal(listMail(server.mailDir, { to: email, purpose: "new-sign-in" }).length, 1);
	});

	test("a failed sign-in from a new device is not a sign-in", async () => {
		const { email } = await signup(server.client({ headers: { "User-Agent": "Device-C" } }));
		assertError(await login(server.client({ headers: { "User-Agent": "Device-D" } }), email, "wrong-password-9"), 401, "invalid_credentials");
		await sleep(700);
		assert.equal(listMail(server.mailDir, { to: email, purpose: "new-sign-in" }).length, 0);
	});
});

describe("lockdown", () => {
	test("revokes every session and refuses the password; the GET page never consumes the token", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		const other = server.client();
		assert.equal((await login(other, email, password)).status, 200);
		const token = await passwordChangeLink(c, email);

		const page = await server.client().get(`/auth/lockdown?token=${token}`);
		assert.equal(page.status, 200);
		assert.match(page.headers.get("content-type"), /text\/html/);
		assertError(await server.client().post("/auth/lockdown", {}), 400, "missing_field");
		assertError(await server.client().post("/auth/lockdown", { token: "A".repeat(43) }), 400, "invalid_or_expired_token");

		const res = await server.client().post("/auth/lockdown", { token });
		assert.equal(res.status, 200, res.text);
		assert.equal((await c.get("/me")).status, 401);
		assert.equal((await other.get("/me")).status, 401);
		assertError(await server.client().post("/auth/lockdown", { token }), 400, "invalid_or_expired_token");
		assert.equal((await shown(email)).lockedDown, true);
		await waitForMail(server.mailDir, { to: email, purpose: "lockdown" });
	});

	test("a locked account: password 401 like a wrong one, magic link refused, recovery unlocks it", async () => {
		const c = server.client();
		const { email } = await signup(c);
		const token = await passwordChangeLink(c, email);
		// the password in force now is unknown to the test: set a known one first
		const known = strongPassword();
		assert.equal((await c.post("/me/password", { newPassword: known })).status, 204);
		assert.equal((await server.client().post("/auth/lockdown", { token })).status, 200);

		const wrong = await login(server.client(), email, "definitely-wrong-1");
		const right = await login(server.client(), email, known);
		assertError(right, 401, "invalid_credentials");
		assert.deepEqual(right.json, wrong.json);

		// a magic link (if one is sent) does not sign a locked account in
		const before = listMail(server.mailDir, { to: email, purpose: "magic-link" }).map((m) => m.file);
		assert.equal((await server.client().post("/auth/magic-link", { email })).status, 202);
		await sleep(1000);
		for (const m of listMail(server.mailDir, { to: email, purpose: "magic-link", exclude: new Set(before) })) {
			recordSecret(m.token, "magic link token");
			const v = await server.client().post("/auth/magic-link/verify", { token: m.token });
			assertError(v, 401, "invalid_credentials");
		}

		// account recovery lifts it
		const { token: r, completesAt } = await recover(email);
		await sleep(Math.max(0, Date.parse(completesAt) - Date.now() + 50));
		const fresh = server.client();
		const newPassword = strongPassword();
		const done = await fresh.post("/auth/recovery/complete", { token: r, newPassword });
		assert.equal(done.status, 200, done.text);
		assert.equal((await shown(email)).lockedDown, false);
		assert.equal((await login(server.client(), email, newPassword)).status, 200);
		const events = (await fresh.get("/me/events")).json.events;
		const ev = events.find((e) => e.type === "lockdown");
		assert.ok(ev, JSON.stringify(events.map((e) => e.type)));
		assert.equal(ev.ip, "127.0.0.1");
		assert.equal(ev.detail.sessionsRevoked, 1);
	});

	test("cancels a recovery in its waiting period", async () => {
		const c = server.client();
		const { email } = await signup(c);
		const { token: r, completesAt } = await recover(email);
		const token = await passwordChangeLink(c, email);
		assert.equal((await server.client().post("/auth/lockdown", { token })).status, 200);
		await sleep(Math.max(0, Date.parse(completesAt) - Date.now() + 50));
		assertError(await server.client().post("/auth/recovery/complete", { token: r, newPassword: strongPassword() }), 400, "invalid_or_expired_token");
	});

	test("with TOTP the password leads to the second step, and completing it lifts the lock", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		const { secret } = await enableTotp(c);
		const token = lockdownToken(await waitForMail(server.mailDir, { to: email, purpose: "totp-enabled" }));
		assert.equal((await server.client().post("/auth/lockdown", { token })).status, 200);
		assert.equal((await c.get("/me")).status, 401);
		const p = server.client();
		const first = await login(p, email, password);
		assert.equal(first.status, 200, first.text);
		assert.equal(first.json.status, "2fa_required");
		assert.equal((await shown(email)).lockedDown, true, "a pending sign-in does not lift it");
		const done = await p.post("/login/2fa", { code: totp(secret, { at: Date.now() / 1000 + 30 }) });
		assert.equal(done.status, 200, done.text);
		assert.equal((await shown(email)).lockedDown, false);
	});

	test("a passwordless passkey sign-in lifts the lock", async () => {
		const c = server.client();
		const { email } = await signup(c);
		const auth = await addPasskey(c);
		const token = lockdownToken(await waitForMail(server.mailDir, { to: email, purpose: "passkey-added" }));
		assert.equal((await server.client().post("/auth/lockdown", { token })).status, 200);
		const res = await passkeySignIn(server.client(), auth);
		assert.equal(res.status, 200, res.text);
		assert.equal((await shown(email)).lockedDown, false);
	});
});

describe("assurance levels (docs/assurance.md)", () => {
	async function level(client) {
		const me = await client.get("/me");
		assert.equal(me.status, 200, me.text);
		const check1 = await client.get("/auth/check");
		const check2 = await client.get("/auth/check?aal=2");
		assert.equal(check1.status, 204);
		assert.equal(check1.headers.get("x-latchkey-aal"), String(me.json.session.aal));
		assert.equal(check2.status, me.json.session.aal === 2 ? 204 : 403, check2.text);
		if (check2.status === 403) assert.equal(check2.json.error, "insufficient_aal");
		return { amr: me.json.session.amr, aal: me.json.session.aal };
	}

	test("password alone, magic link: AAL 1; password + TOTP or recovery code, passkey with UV: AAL 2", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		assert.deepEqual(await level(c), { amr: ["pwd"], aal: 1 });
		assertError(await c.get("/auth/check?aal=3"), 400, "invalid_field");
		// verified, so that a magic link later is not the pre-hijack defence's first proof
		const vm = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
		recordSecret(vm.token, "verification token");
		assert.equal((await c.post("/auth/verify-email", { token: vm.token })).status, 200);

		// a passkey is a second factor at /login/2fa only with TOTP on; passwordless it is AAL 2
		const auth = await addPasskey(c);
		const pk = server.client();
		assert.equal((await passkeySignIn(pk, auth)).status, 200);
		assert.deepEqual(await level(pk), { amr: ["passkey_uv"], aal: 2 });
		const pw = server.client();
		assert.equal((await login(pw, email, password)).json.status, "authenticated");
		assert.deepEqual(await level(pw), { amr: ["pwd"], aal: 1 }, "a user with passkeys and no TOTP: the password alone is AAL 1");

		const { secret, codes } = await enableTotp(c);
		const t = server.client();
		assert.equal((await login(t, email, password)).json.status, "2fa_required");
		assert.equal((await t.get("/auth/check")).status, 401, "a pending session is not signed in");
		assert.equal((await t.post("/login/2fa", { code: totp(secret, { at: Date.now() / 1000 + 30 }) })).status, 200);
		assert.deepEqual(await level(t), { amr: ["pwd", "otp"], aal: 2 });

		const rcl = server.client();
		assert.equal((await login(rcl, email, password)).json.status, "2fa_required");
		assert.equal((await rcl.post("/login/2fa", { recoveryCode: codes[0] })).status, 200);
		assert.deepEqual(await level(rcl), { amr: ["pwd", "recovery_code"], aal: 2 });

		const ml = server.client();
		const before = listMail(server.mailDir, { to: email, purpose: "magic-link" }).map((m) => m.file);
		assert.equal((await ml.post("/auth/magic-link", { email })).status, 202);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "magic-link", exclude: new Set(before) });
		recordSecret(m.token, "magic link token");
		const v = await ml.post("/auth/magic-link/verify", { token: m.token });
		assert.equal(v.status, 200, v.text);
		assert.equal(v.json.status, "2fa_required", "a user with TOTP still owes the second factor");
	});

	test("a magic link without TOTP is AAL 1", async () => {
		const { email } = await signup(server.client());
		const ml = server.client();
		assert.equal((await ml.post("/auth/magic-link", { email })).status, 202);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "magic-link" });
		recordSecret(m.token, "magic link token");
		const v = await ml.post("/auth/magic-link/verify", { token: m.token });
		assert.equal(v.json.status, "authenticated", v.text);
		assert.deepEqual(await level(ml), { amr: ["email_link"], aal: 1 });
	});
});
