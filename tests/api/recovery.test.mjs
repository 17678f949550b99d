// API.md "Account recovery when every factor is lost" (API-NOTES 69, 113-120): request,
// start, cancel and complete with a short --recovery-delay, cancel by a full sign-in, the
// effects on factors and sessions, and the assurance level a completed recovery gives.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { assertNoMail, listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { assertError, ISO_RE, login, signup, sleep, strongPassword, uniqueEmail } from "../lib/api-util.mjs";

const DELAY_MS = 2000;
let server;
before(async () => {
	server = await startServer({
		args: ["--recovery-delay", "2s", "--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0", "--rate-mail-ip", "0"],
	});
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

/** Requests a recovery for email and resolves to its token R (from the email). */
async function requestRecovery(email, { after: afterMail } = {}) {
	const res = await server.client().post("/auth/recovery", { email });
	assert.equal(res.status, 202, res.text);
	assert.deepEqual(res.json, { status: "sent" });
	const m = await waitForMail(server.mailDir, { to: email, purpose: "recovery", after: afterMail });
	const link = m.links.find((l) => new URL(l).pathname === "/recovery");
	assert.ok(link, m.body);
	assert.ok(link.startsWith(`${server.origin}/recovery?token=`), link);
	const token = recordSecret(new URL(link).searchParams.get("token"), "recovery token");
	return { token, mail: m };
}

async function startRecovery(token) {
	const res = await server.client().post("/auth/recovery/start", { token });
	assert.equal(res.status, 200, res.text);
	assert.equal(res.json.status, "pending");
	assert.match(res.json.completesAt, ISO_RE);
	return res.json.completesAt;
}

async function waitUntil(iso) {
	const ms = Date.parse(iso) - Date.now() + 50;
	if (ms > 0) await sleep(ms);
}

async function eventsOf(client) {
	const res = await client.get("/me/events");
	assert.equal(res.status, 200, res.text);
	return res.json.events;
}

describe("POST /auth/recovery", () => {
	test("field checks: missing 400, wrong type 400, malformed email 400 invalid_field", async () => {
		const c = server.client();
		assertError(await c.post("/auth/recovery", {}), 400, "missing_field", "email");
		assertError(await c.post("/auth/recovery", { email: 5 }), 400, "invalid_field", "email");
		assertError(await c.post("/auth/recovery", { email: "not an email" }), 400, "invalid_field", "email");
	});

	test("an unknown address gets 202 and no email", async () => {
		const email = uniqueEmail("nobody");
		const res = await server.client().post("/auth/recovery", { email });
		assert.equal(res.status, 202, res.text);
		assert.deepEqual(res.json, { status: "sent" });
		await assertNoMail(server.mailDir, { to: email }, 700);
	});

	test("an existing account gets the link and the event recovery.requested", async () => {
		const c = server.client();
		const { email } = await signup(c);
		const { token, mail } = await requestRecovery(`  ${email.toUpperCase()} `);
		assert.equal(token.length, 43);
		assert.equal(mail.headers["x-latchkey-purpose"], "recovery");
		const ev = await eventsOf(c);
		assert.equal(ev[0].type, "recovery.requested");
		assert.equal(ev[0].ip, "127.0.0.1");
	});

	test("5 emails per address an hour, then 202 and nothing sent; its own budget", async () => {
		const c = server.client();
		const { email } = await signup(c);
		for (let i = 0; i < 5; i++) {
			assert.equal((await c.post("/auth/recovery", { email })).status, 202);
		}
		await sleep(500);
		const before6 = listMail(server.mailDir, { to: email, purpose: "recovery" });
		const res = await c.post("/auth/recovery", { email });
		assert.equal(res.status, 202, res.text);
		await sleep(700);
		assert.equal(listMail(server.mailDir, { to: email, purpose: "recovery" }).length, before6.length);
		assert.equal(before6.length, 5);
	});
});

describe("start, cancel, complete", () => {
	test("a full recovery: waiting period, then password replaced and sessions revoked", async () => {
		const c = server.client();
		const other = server.client();
		const { email, password } = await signup(c);
		assert.equal((await login(other, email, password)).status, 200);
		const { token, mail } = await requestRecovery(email);

		// invalid tokens first
		assertError(await server.client().post("/auth/recovery/start", {}), 400, "missing_field", "token");
		assertError(await server.client().post("/auth/recovery/start", { token: "x" }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/start", { token: "A".repeat(43) }), 400, "invalid_or_expired_token");
		// completing before starting is refused
		assertError(await server.client().post("/auth/recovery/complete", { token, newPassword: strongPassword() }), 400, "invalid_or_expired_token");

		const t0 = Date.now();
		const completesAt = await startRecovery(token);
		assert.ok(Math.abs(Date.parse(completesAt) - (t0 + DELAY_MS)) < 1500, completesAt);
		const started = await waitForMail(server.mailDir, { to: email, purpose: "recovery-started" });
		const cancelLink = started.links.find((l) => new URL(l).pathname === "/recovery/cancel");
		assert.ok(cancelLink && cancelLink.startsWith(`${server.origin}/recovery/cancel?token=`), started.body);
		const cancelToken = recordSecret(new URL(cancelLink).searchParams.get("token"), "cancel token");
		assert.notEqual(cancelToken, token);
		assert.ok(started.links.some((l) => l.startsWith(`${server.origin}/auth/lockdown?token=`)), started.body);

		// a second start answers the same pending state and sends nothing more
		assert.equal(await startRecovery(token), completesAt);
		await sleep(500);
		assert.equal(listMail(server.mailDir, { to: email, purpose: "recovery-started" }).length, 1);

		// too early: 409 with completesAt; missing fields come first
		assertError(await server.client().post("/auth/recovery/complete", { token }), 400, "missing_field", "newPassword");
		assertError(await server.client().post("/auth/recovery/complete", { newPassword: "x" }), 400, "missing_field", "token");
		const early = await server.client().post("/auth/recovery/complete", { token, newPassword: "short" });
		assertError(early, 409, "recovery_pending");
		assert.equal(early.json.completesAt, completesAt);
		// the cancel token cannot complete
		assertError(await server.client().post("/auth/recovery/complete", { token: cancelToken, newPassword: strongPassword() }), 400, "invalid_or_expired_token");

		// a magic link sent before the recovery completes dies with it (SECURITY-PROBES P-076)
		assert.equal((await server.client().post("/auth/magic-link", { email })).status, 202);
		const link = await waitForMail(server.mailDir, { to: email, purpose: "magic-link" });
		recordSecret(link.token, "magic-link token");

		await waitUntil(completesAt);
		assertError(await server.client().post("/auth/recovery/complete", { token, newPassword: "password123" }), 400, "weak_password");
		const fresh = server.client();
		const newPassword = strongPassword();
		const done = await fresh.post("/auth/recovery/complete", { token, newPassword });
		assert.equal(done.status, 200, done.text);
		assert.equal(done.json.status, "authenticated");
		assert.equal(done.json.user.email, email);
		assert.equal(done.json.user.emailVerified, true);
		assert.ok(done.cookie, "a session cookie");
		recordSecret(done.cookie, "recovery session");

		// single use; the old sessions are gone; the old password is refused
		assertError(await server.client().post("/auth/recovery/complete", { token, newPassword }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/cancel", { token }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/start", { token }), 400, "invalid_or_expired_token");
		assert.equal((await c.get("/me")).status, 401);
		assert.equal((await other.get("/me")).status, 401);
		assertError(await login(server.client(), email, password), 401, "invalid_credentials");
		assert.equal((await login(server.client(), email, newPassword)).status, 200);
		assertError(await server.client().post("/auth/magic-link/verify", { token: link.token }), 400, "invalid_or_expired_token");

		const me = await fresh.get("/me");
		assert.equal(me.status, 200, me.text);
		assert.deepEqual(me.json.session.amr, ["email_link"]);
		assert.equal(me.json.session.aal, 1);
		assert.equal(me.json.emailVerified, true);
		assert.equal(me.json.hasPassword, true);
		assert.equal(me.json.totpEnabled, false);
		assert.equal(me.json.passkeys, 0);
		assert.equal((await fresh.get("/auth/check?aal=2")).status, 403);
		const check = await fresh.get("/auth/check");
		assert.equal(check.status, 204);
		assert.equal(check.headers.get("x-latchkey-aal"), "1");

		const types = (await eventsOf(fresh)).map((e) => e.type);
		for (const t of ["recovery.requested", "recovery.started", "recovery.completed"]) assert.ok(types.includes(t), `${t} in ${types}`);
		const startedEv = (await eventsOf(fresh)).find((e) => e.type === "recovery.started");
		assert.equal(startedEv.detail.completesAt, completesAt);
		const completed = await waitForMail(server.mailDir, { to: email, purpose: "recovery-completed" });
		assert.ok(completed.links.some((l) => l.startsWith(`${server.origin}/auth/lockdown?token=`)));
		assert.ok(mail.body.includes("1 hour"));
	});

	test("cancel with C or R; idempotent; a cancelled recovery cannot complete", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		const { token } = await requestRecovery(email);
		const completesAt = await startRecovery(token);
		const started = await waitForMail(server.mailDir, { to: email, purpose: "recovery-started" });
		const cancelToken = new URL(started.links.find((l) => l.includes("/recovery/cancel?"))).searchParams.get("token");
		recordSecret(cancelToken, "cancel token");
		assertError(await server.client().post("/auth/recovery/cancel", {}), 400, "missing_field", "token");
		assertError(await server.client().post("/auth/recovery/cancel", { token: "B".repeat(43) }), 400, "invalid_or_expired_token");
		const res = await server.client().post("/auth/recovery/cancel", { token: cancelToken });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { status: "cancelled" });
		assert.equal((await server.client().post("/auth/recovery/cancel", { token: cancelToken })).status, 200);
		assert.equal((await server.client().post("/auth/recovery/cancel", { token })).status, 200);
		await waitUntil(completesAt);
		assertError(await server.client().post("/auth/recovery/complete", { token, newPassword: strongPassword() }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/start", { token }), 400, "invalid_or_expired_token");
		const ev = (await eventsOf(c)).filter((e) => e.type === "recovery.cancelled");
		assert.equal(ev.length, 1);
		assert.deepEqual(ev[0].detail, { reason: "link" });
		await waitForMail(server.mailDir, { to: email, purpose: "recovery-cancelled" });
		assert.equal((await login(server.client(), email, password)).status, 200);
	});

	test("a requested recovery can be cancelled with R before it starts", async () => {
		const { email } = await signup(server.client());
		const { token } = await requestRecovery(email);
		assert.equal((await server.client().post("/auth/recovery/cancel", { token })).status, 200);
		assertError(await server.client().post("/auth/recovery/start", { token }), 400, "invalid_or_expired_token");
	});

	test("starting a recovery cancels the account's other open recoveries", async () => {
		const { email } = await signup(server.client());
		const first = await requestRecovery(email);
		const second = await requestRecovery(email, { after: first.mail });
		assert.notEqual(first.token, second.token);
		// a requested one is open too: starting the second cancels the first
		const completesAt = await startRecovery(second.token);
		assertError(await server.client().post("/auth/recovery/start", { token: first.token }), 400, "invalid_or_expired_token");
		// and a started one is cancelled by a later start
		const third = await requestRecovery(email, { after: second.mail });
		assert.equal(await startRecovery(second.token), completesAt);
		const completes3 = await startRecovery(third.token);
		assertError(await server.client().post("/auth/recovery/start", { token: second.token }), 400, "invalid_or_expired_token");
		await waitUntil(completes3);
		assertError(await server.client().post("/auth/recovery/complete", { token: second.token, newPassword: strongPassword() }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/complete", { token: first.token, newPassword: strongPassword() }), 400, "invalid_or_expired_token");
		assert.equal((await server.client().post("/auth/recovery/complete", { token: third.token, newPassword: strongPassword() })).status, 200);
	});

	test("a full sign-in during the wait cancels it (reason sign-in); a failed one does not", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		// failed sign-in: the recovery survives
		const a = await requestRecovery(email);
		const completesA = await startRecovery(a.token);
		assertError(await login(server.client(), email, "wrong-password-1"), 401, "invalid_credentials");
		// a recovery requested but not started is not cancelled by a sign-in
		const b = await requestRecovery(email, { after: a.mail });
		await waitUntil(completesA);
		const signedIn = server.client();
		assert.equal((await login(signedIn, email, password)).status, 200);
		// a was started: the sign-in cancelled it
		assertError(await server.client().post("/auth/recovery/complete", { token: a.token, newPassword: strongPassword() }), 400, "invalid_or_expired_token");
		const ev = (await eventsOf(signedIn)).filter((e) => e.type === "recovery.cancelled");
		assert.equal(ev.length, 1);
		assert.deepEqual(ev[0].detail, { reason: "sign-in" });
		assert.equal(ev[0].ip, null);
		// b still starts, and a failed login leaves it
		const completesB = await startRecovery(b.token);
		assertError(await login(server.client(), email, "wrong-password-2"), 401, "invalid_credentials");
		await waitUntil(completesB);
		const res = await server.client().post("/auth/recovery/complete", { token: b.token, newPassword: strongPassword() });
		assert.equal(res.status, 200, res.text);
	});

	test("nothing for a disabled account or after the start window (unknown token)", async () => {
		// an unknown but well-formed token behaves like an expired one
		const t = "C".repeat(43);
		assertError(await server.client().post("/auth/recovery/start", { token: t }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/cancel", { token: t }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/complete", { token: t, newPassword: strongPassword() }), 400, "invalid_or_expired_token");
	});
});

describe("rate limit per client address", () => {
	test("past --rate-mail-ip requests an hour: 429 with Retry-After", async () => {
		const s = await startServer({ args: ["--rate-mail-ip", "2"] });
		try {
			const c = s.client();
			assert.equal((await c.post("/auth/recovery", { email: uniqueEmail() })).status, 202);
			assert.equal((await c.post("/auth/recovery", { email: uniqueEmail() })).status, 202);
			const res = await c.post("/auth/recovery", { email: uniqueEmail() });
			assertError(res, 429, "rate_limited");
			assert.ok(Number(res.headers.get("retry-after")) >= 1);
		} finally {
			await s.stop();
		}
	});
});

describe("reminder before completion (SECURITY-PROBES P-065)", () => {
	// The outbox rows of the reminder, read from the database the server uses (server.sql
	// where the harness has it, for either engine; else the SQLite file).
	function reminders(s, email) {
		assert.match(email, /^[a-z0-9.@-]+$/);
		const q = `SELECT next_attempt_at, sent_at FROM outbox WHERE recipient = '${email}' AND purpose = 'recovery-reminder'`;
		if (typeof s.sql === "function") return s.sql(q).map((r) => [Number(r.next_attempt_at), r.sent_at]);
		const py = "import sqlite3,sys,json;c=sqlite3.connect(sys.argv[1]);print(json.dumps(c.execute(sys.argv[2]).fetchall()))";
		return JSON.parse(execFileSync("/usr/bin/python3", ["-c", py, path.join(s.dataDir, "latchkey.db"), q], { encoding: "utf8" }));
	}

	test("a long wait queues a reminder halfway; ending the recovery drops it unsent", async () => {
		const s = await startServer({ args: ["--recovery-delay", "20m"] });
		try {
			const c = s.client();
			const { email } = await signup(c);
			assert.equal((await c.post("/auth/recovery", { email })).status, 202);
			const m = await waitForMail(s.mailDir, { to: email, purpose: "recovery" });
			recordSecret(m.token, "recovery token");
			const t0 = Date.now();
			const start = await c.post("/auth/recovery/start", { token: m.token });
			assert.equal(start.status, 200, start.text);
			const rows = reminders(s, email);
			assert.equal(rows.length, 1);
			const [due, sent] = rows[0];
			assert.equal(sent, null);
			assert.ok(Math.abs(due - (t0 + 10 * 60 * 1000)) < 5000, `due ${due - t0} ms after start`);
			assert.equal((await c.post("/auth/recovery/cancel", { token: m.token })).status, 200);
			assert.deepEqual(reminders(s, email), []);
		} finally {
			await s.stop();
		}
	});

	test("a short wait sends no reminder", async () => {
		const { email } = await signup(server.client());
		const { token } = await requestRecovery(email);
		await startRecovery(token);
		await sleep(600);
		assert.deepEqual(reminders(server, email), []);
	});
});

describe("concurrency (SECURITY-PROBES P-069)", () => {
	test("parallel starts agree on one completesAt and one notice; parallel completes: one wins", async () => {
		const { email } = await signup(server.client());
		const { token } = await requestRecovery(email);
		const starts = await Promise.all(Array.from({ length: 10 }, () => server.client().post("/auth/recovery/start", { token })));
		for (const r of starts) assert.equal(r.status, 200, r.text);
		assert.equal(new Set(starts.map((r) => r.json.completesAt)).size, 1);
		await sleep(700);
		assert.equal(listMail(server.mailDir, { to: email, purpose: "recovery-started" }).length, 1);
		await waitUntil(starts[0].json.completesAt);
		const newPassword = strongPassword();
		const done = await Promise.all(Array.from({ length: 10 }, () => server.client().post("/auth/recovery/complete", { token, newPassword })));
		const ok = done.filter((r) => r.status === 200);
		assert.equal(ok.length, 1, done.map((r) => r.status).join(","));
		for (const r of done) if (r.status !== 200) assertError(r, 400, "invalid_or_expired_token");
		await sleep(300);
		assert.equal(listMail(server.mailDir, { to: email, purpose: "recovery-completed" }).length, 1);
		const metrics = await server.client().get("/metrics");
		assert.match(metrics.text, /^latchkey_logins_total\{(?=[^}]*method="recovery")(?=[^}]*outcome="success")[^}]*\} [1-9]\d*$/m);
		assert.match(metrics.text, /^latchkey_logins_total\{(?=[^}]*method="recovery")(?=[^}]*outcome="failure")[^}]*\} [1-9]\d*$/m);
	});
});
