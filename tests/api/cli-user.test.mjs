// API.md "Command line": `latchkey user list | show | reset-2fa | disable | enable` against the
// database of a running server (API-NOTES 58, 69, 71, 145-146): output shapes, exit codes,
// effects on sessions and factors, events and notification emails.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { totp } from "../lib/totp.mjs";
import { SoftAuthn } from "../lib/softauthn.mjs";
import { login, runLatchkey, signup, uniqueEmail } from "../lib/api-util.mjs";

let server;
before(async () => {
	server = await startServer({ args: ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0"] });
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

const user = (...args) => runLatchkey(["user", ...args, "--data-dir", server.dataDir]);

async function enableTotp(c) {
	const setup = await c.post("/2fa/totp/setup", {});
	assert.equal(setup.status, 200, setup.text);
	recordSecret(setup.json.secret, "totp secret");
	const en = await c.post("/2fa/totp/enable", { code: totp(setup.json.secret) });
	assert.equal(en.status, 200, en.text);
	return setup.json.secret;
}

async function addPasskey(c) {
	const auth = new SoftAuthn({ origin: server.origin });
	const opts = await c.post("/auth/passkey/register/options", {});
	assert.equal(opts.status, 200, opts.text);
	const res = await c.post("/auth/passkey/register/verify", { response: auth.create(opts.json) });
	assert.equal(res.status, 201, res.text);
	return auth;
}

function assertNoSecretsShown(text) {
	assert.doesNotMatch(text, /argon2|password_hash|passwordHash|secret|token|digest/i);
}

describe("latchkey user list and show", () => {
	test("list prints one JSON object per line, without secrets", async () => {
		const a = await signup(server.client());
		const b = await signup(server.client());
		const res = await user("list");
		assert.equal(res.code, 0, res.stderr);
		const lines = res.stdout.trim().split("\n");
		const objs = lines.map((l) => JSON.parse(l));
		const emails = objs.map((o) => o.email);
		assert.ok(emails.includes(a.email) && emails.includes(b.email), res.stdout);
		const oa = objs.find((o) => o.email === a.email);
		assert.equal(oa.id, a.user.id);
		assert.equal(oa.emailVerified, false);
		assert.equal(oa.disabled, false);
		assert.equal(oa.hasPassword, true);
		assert.equal(oa.totpEnabled, false);
		assert.equal(oa.passkeys, 0);
		assertNoSecretsShown(res.stdout);
	});

	test("show prints pretty JSON; options before or after the subcommand; env twins", async () => {
		const c = server.client();
		const { email, user: u } = await signup(c);
		await enableTotp(c);
		for (const args of [
			["user", "show", email.toUpperCase(), "--data-dir", server.dataDir],
			["user", "--data-dir", server.dataDir, "show", email],
			["user", "show", `--data-dir=${server.dataDir}`, email],
			["user", "show", email, "--db", server.dbUrl || `sqlite:${path.join(server.dataDir, "latchkey.db")}`],
		]) {
			const res = await runLatchkey(args);
			assert.equal(res.code, 0, `${args.join(" ")}: ${res.stderr}`);
			assert.ok(res.stdout.startsWith("{\n  "), res.stdout);
			const o = JSON.parse(res.stdout);
			assert.equal(o.id, u.id);
			assert.equal(o.email, email);
			assert.equal(o.totpEnabled, true);
			assert.equal(o.recoveryCodesRemaining, 10);
			assert.equal(o.sessions, 1);
			assertNoSecretsShown(res.stdout);
		}
		const env = await runLatchkey(["user", "show", email], { env: { LATCHKEY_DATA_DIR: server.dataDir } });
		assert.equal(env.code, 0, env.stderr);
		assert.equal(JSON.parse(env.stdout).id, u.id);
	});

	test("an unknown email exits 1; usage errors exit 2", async () => {
		const unknown = await user("show", uniqueEmail("nobody"));
		assert.equal(unknown.code, 1);
		assert.match(unknown.stderr, /no account/);
		for (const cmd of ["disable", "enable", "reset-2fa"]) assert.equal((await user(cmd, uniqueEmail("nobody"))).code, 1);
		assert.equal((await user("show", "not an email")).code, 1);
		for (const args of [[], ["frobnicate"], ["show"], ["list", "extra"], ["show", "a@example.com", "b@example.com"], ["list", "--bogus"]]) {
			const res = await user(...args);
			assert.equal(res.code, 2, `${args.join(" ")}: ${res.stdout} ${res.stderr}`);
			assert.match(res.stderr, /usage|unknown/);
		}
		assert.equal((await runLatchkey(["user", "list", "--data-dir"])).code, 2);
	});
});

describe("latchkey user disable, enable, reset-2fa", () => {
	test("disable revokes every session, pending ones included; enable brings none back", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		const secret = await enableTotp(c);
		const pending = server.client();
		const p = await login(pending, email, password);
		assert.equal(p.json.status, "2fa_required", p.text);

		const res = await user("disable", email);
		assert.equal(res.code, 0, res.stderr);
		assert.equal(JSON.parse(res.stdout).disabled, true);
		assert.equal((await c.get("/me")).status, 401);
		const step = await pending.post("/login/2fa", { code: totp(secret) });
		assert.equal(step.status, 401, step.text);
		assert.equal(step.json.error, "no_pending_session");
		const refused = await login(server.client(), email, password);
		assert.equal(refused.status, 401);
		assert.equal(refused.json.error, "invalid_credentials");
		const show = JSON.parse((await user("show", email)).stdout);
		assert.equal(show.disabled, true);
		assert.equal(show.sessions, 0);
		await waitForMail(server.mailDir, { to: email, purpose: "account-disabled" });

		const en = await user("enable", email);
		assert.equal(en.code, 0, en.stderr);
		assert.equal(JSON.parse(en.stdout).disabled, false);
		assert.equal((await c.get("/me")).status, 401, "no session comes back");
		await waitForMail(server.mailDir, { to: email, purpose: "account-enabled" });
		const again = server.client();
		assert.equal((await login(again, email, password)).json.status, "2fa_required");
		const full = await again.post("/login/2fa", { code: totp(secret, { at: Date.now() / 1000 + 30 }) });
		assert.equal(full.status, 200, full.text);
		const events = (await again.get("/me/events")).json.events;
		const dis = events.find((e) => e.type === "admin.disabled");
		const ena = events.find((e) => e.type === "admin.enabled");
		assert.ok(dis && ena, JSON.stringify(events.map((e) => e.type)));
		assert.equal(dis.ip, null);
		assert.equal(dis.userAgent, null);
		assert.equal(ena.ip, null);
		assert.ok(events.indexOf(ena) < events.indexOf(dis), "newest first");
	});

	test("reset-2fa removes TOTP and recovery codes, not passkeys", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		await addPasskey(c);
		await enableTotp(c);
		assert.equal((await c.get("/me")).json.totpEnabled, true);
		const res = await user("reset-2fa", email);
		assert.equal(res.code, 0, res.stderr);
		const me = (await c.get("/me")).json;
		assert.equal(me.totpEnabled, false);
		assert.equal(me.recoveryCodesRemaining, 0);
		assert.equal(me.passkeys, 1);
		// the password alone signs in again
		const l = await login(server.client(), email, password);
		assert.equal(l.json.status, "authenticated", l.text);
		const ev = (await c.get("/me/events")).json.events.find((e) => e.type === "admin.reset_2fa");
		assert.ok(ev);
		assert.equal(ev.ip, null);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "admin-reset-2fa" });
		assert.ok(m.links.some((l2) => l2.startsWith("http://localhost:8080/auth/lockdown?token=") || l2.includes("/auth/lockdown?token=")), m.body);
	});
});
