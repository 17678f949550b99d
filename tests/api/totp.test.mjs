// API.md "TOTP and recovery codes", POST /login/2fa, /me/reauth with a code and the 2FA rate
// limits (API-NOTES 35-42, 50-52, 60-64, 72-81, 126, 130, 133). Codes come from `oathtool`
// (OATH Toolkit), an implementation independent of latchkey's, at explicit time steps.
// LATCHKEY_TEST_DB=postgres://... runs every server of this file on that database.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { base32Decode, parseOtpauth } from "../lib/totp.mjs";
import { assertError, login, signup, sleep } from "../lib/api-util.mjs";

const OPEN = ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0"];
// a database URL; LATCHKEY_TEST_DB=postgres is server.mjs's PostgreSQL mode, which needs no --db
const DB = /^(sqlite|postgres(ql)?):/.test(process.env.LATCHKEY_TEST_DB || "") ? ["--db", process.env.LATCHKEY_TEST_DB] : [];
const RECOVERY_RE = /^[2-9a-hjkmnp-z]{5}-[2-9a-hjkmnp-z]{5}$/;
const servers = [];

async function serve(args = [], opts = {}) {
	const s = await startServer({ args: [...OPEN, ...DB, ...args], ...opts });
	servers.push(s);
	return s;
}

let server; // defaults: SHA-1, 6 digits, 30 s, skew 1, 10-minute sudo
before(async () => {
	server = await serve();
});
after(async () => {
	for (const s of servers) {
		if (s.process.exitCode === null && s.process.signalCode === null) {
			const { code } = await s.stop();
			assert.equal(code, 0);
		}
	}
});

// ---- codes and time ----

const nowS = () => Date.now() / 1000;
const stepNow = (period = 30) => Math.floor(nowS() / period);

/** The code of a base32 secret at a time step, computed by oathtool. */
function oath(secret, step, { algorithm = "SHA1", digits = 6, period = 30 } = {}) {
	const args = [`--totp=${algorithm.toLowerCase()}`, "-d", String(digits), "-s", `${period}s`, "-b", "-N", `@${step * period}`, secret];
	return execFileSync("oathtool", args, { encoding: "utf8" }).trim();
}

/** Waits until at least `margin` seconds remain in the current step, so that a step computed
 * now is still the server's step when the request arrives. */
async function safeWindow(period = 30, margin = 3) {
	for (;;) {
		const into = nowS() % period;
		if (into >= 0.3 && period - into >= margin) return;
		await sleep((period - into + 0.4) * 1000);
	}
}

/** The code of a step the account has not used yet that the server accepts now (the
 * current one, or the next when the current one is spent); remembered as used. */
async function nextCode(a) {
	const p = a.params || {};
	const period = p.period || 30;
	await safeWindow(period, Math.min(3, period / 2));
	const step = Math.max(stepNow(period), a.last + 1);
	assert.ok(step <= stepNow(period) + 1, "no usable step inside the window");
	a.last = step;
	return oath(a.secret, step, p);
}

/** Waits until the current step is at least `step`, with the margin of safeWindow. */
async function waitForStep(step, period, margin = 2) {
	while (stepNow(period) < step) await sleep(200);
	await safeWindow(period, margin);
}

// ---- accounts ----

/** A new account with a full session in sudo mode: { c, email, password, user }. */
async function account(srv = server) {
	const c = srv.client();
	const { email, password, user } = await signup(c);
	return { c, email, password, user, srv };
}

/** POST /2fa/totp/setup, secrets recorded. */
async function setup(c) {
	const r = await c.post("/2fa/totp/setup", {});
	assert.equal(r.status, 200, r.text);
	recordSecret(r.json.secret, "totp secret");
	recordSecret(r.json.otpauthUri, "otpauth uri");
	return r.json;
}

/** Sets up and enables TOTP with the code of the current step + offset. */
async function enrol(a, { offset = 0, params = {} } = {}) {
	const s = await setup(a.c);
	const period = params.period || 30;
	await safeWindow(period, Math.min(3, period / 2));
	const step = stepNow(period) + offset;
	const r = await a.c.post("/2fa/totp/enable", { code: oath(s.secret, step, params) });
	assert.equal(r.status, 200, r.text);
	for (const code of r.json.recoveryCodes) recordSecret(code, "recovery code");
	Object.assign(a, { secret: s.secret, codes: r.json.recoveryCodes, enableStep: step, last: step, params });
	return a;
}

/** A new client holding a pending session of a (after /login). */
async function pending(a) {
	const c = a.srv.client();
	const r = await login(c, a.email, a.password);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, "2fa_required", r.text);
	return c;
}

async function events(c, type) {
	const r = await c.get("/me/events");
	assert.equal(r.status, 200, r.text);
	return type ? r.json.events.filter((e) => e.type === type) : r.json.events;
}

// ---- set-up and enabling ----

describe("set-up", () => {
	test("needs a full session", async () => {
		assertError(await server.client().post("/2fa/totp/setup", {}), 401, "unauthenticated");
		assertError(await server.client().get("/2fa/totp/qr.svg"), 401, "unauthenticated");
		assertError(await server.client().post("/2fa/totp/enable", { code: "123456" }), 401, "unauthenticated");
		assertError(await server.client().get("/2fa/recovery-codes"), 401, "unauthenticated");
	});

	test("answers a 160-bit base32 secret, its otpauth URI and QR code; no event yet", async () => {
		const a = await account();
		const s = await setup(a.c);
		assert.deepEqual(Object.keys(s).sort(), ["otpauthUri", "qrSvg", "secret"]);
		assert.match(s.secret, /^[A-Z2-7]{32}$/);
		assert.match(s.otpauthUri, /^otpauth:\/\/totp\/latchkey:/);
		const u = parseOtpauth(s.otpauthUri);
		assert.equal(u.label, `latchkey:${a.email}`);
		assert.deepEqual([u.secret, u.issuer, u.algorithm, u.digits, u.period], [s.secret, "latchkey", "SHA1", 6, 30]);
		assert.match(s.qrSvg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
		assert.deepEqual(await events(a.c), []); // API-NOTES 70
	});

	test("a new set-up replaces the unconfirmed secret", async () => {
		const a = await account();
		const first = await setup(a.c);
		const second = await setup(a.c);
		assert.notEqual(first.secret, second.secret);
		await safeWindow();
		assertError(await a.c.post("/2fa/totp/enable", { code: oath(first.secret, stepNow()) }), 400, "invalid_code");
		const r = await a.c.post("/2fa/totp/enable", { code: oath(second.secret, stepNow()) });
		assert.equal(r.status, 200, r.text);
	});

	test("GET /2fa/totp/qr.svg: 404 without a set-up, the SVG of the URI, 404 once enabled", async () => {
		const a = await account();
		assertError(await a.c.get("/2fa/totp/qr.svg"), 404, "not_found");
		const s = await setup(a.c);
		const r = await a.c.get("/2fa/totp/qr.svg");
		assert.equal(r.status, 200);
		assert.match(r.headers.get("content-type"), /^image\/svg\+xml/);
		assert.equal(r.headers.get("cache-control"), "no-store");
		assert.equal(r.text, s.qrSvg);
		const h = await a.c.request("HEAD", "/2fa/totp/qr.svg");
		assert.equal(h.status, 200);
		assert.equal(h.text, "");
		await safeWindow();
		assert.equal((await a.c.post("/2fa/totp/enable", { code: oath(s.secret, stepNow()) })).status, 200);
		assertError(await a.c.get("/2fa/totp/qr.svg"), 404, "not_found");
	});

	test("enable: 409 -> no_pending_setup -> missing/invalid field -> invalid_code, never rate-limited", async () => {
		const a = await account();
		assertError(await a.c.post("/2fa/totp/enable", {}), 400, "no_pending_setup");
		assertError(await a.c.post("/2fa/totp/enable", { code: "123456" }), 400, "no_pending_setup");
		const s = await setup(a.c);
		assertError(await a.c.post("/2fa/totp/enable", {}), 400, "missing_field", "code");
		assertError(await a.c.post("/2fa/totp/enable", { code: null }), 400, "missing_field", "code");
		assertError(await a.c.post("/2fa/totp/enable", { code: true }), 400, "invalid_field", "code");
		assertError(await a.c.post("/2fa/totp/enable", { code: -1 }), 400, "invalid_field", "code");
		assertError(await a.c.post("/2fa/totp/enable", { code: "12345" }), 400, "invalid_code");
		assertError(await a.c.post("/2fa/totp/enable", { code: "abcdef" }), 400, "invalid_code");
		await safeWindow();
		const right = oath(s.secret, stepNow());
		const wrong = String((Number(right) + 1) % 1000000).padStart(6, "0");
		for (let i = 0; i < 12; i++) assertError(await a.c.post("/2fa/totp/enable", { code: wrong }), 400, "invalid_code");
		const r = await a.c.post("/2fa/totp/enable", { code: right });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(Object.keys(r.json), ["recoveryCodes"]);
		assert.equal(r.json.recoveryCodes.length, 10);
		assert.equal(new Set(r.json.recoveryCodes).size, 10);
		for (const c of r.json.recoveryCodes) {
			recordSecret(c, "recovery code");
			assert.match(c, RECOVERY_RE);
		}
		assertError(await a.c.post("/2fa/totp/enable", {}), 409, "totp_already_enabled");
		assertError(await a.c.post("/2fa/totp/enable", { code: right }), 409, "totp_already_enabled");
		assertError(await a.c.post("/2fa/totp/setup", {}), 409, "totp_already_enabled");
	});

	test("enabling: /me, auth-methods, the totp.enabled event and the notification", async () => {
		const a = await enrol(await account());
		const me = (await a.c.get("/me")).json;
		assert.equal(me.totpEnabled, true);
		assert.equal(me.recoveryCodesRemaining, 10);
		const m = (await a.c.get("/me/auth-methods")).json;
		assert.equal(m.totp, true);
		assert.equal(m.recoveryCodes, 10);
		assert.deepEqual((await a.c.get("/2fa/recovery-codes")).json, { remaining: 10 });
		const [ev] = await events(a.c, "totp.enabled");
		assert.deepEqual(ev.detail, { algorithm: "SHA1", digits: 6, period: 30 });
		const mail = await waitForMail(server.mailDir, { to: a.email, purpose: "totp-enabled" });
		assert.doesNotMatch(mail.body, new RegExp(a.secret));
	});
});

// ---- the second step ----

describe("sign-in with a second factor", () => {
	let a;
	before(async () => {
		a = await enrol(await account(), { offset: -1 }); // steps t and t+1 stay usable
	});

	test("/login answers 2fa_required with a 10-minute pending cookie that cannot reach /me", async () => {
		const c = a.srv.client();
		const r = await login(c, a.email, a.password);
		assert.equal(r.status, 200);
		assert.deepEqual(r.json, { status: "2fa_required", methods: ["totp", "recovery_code"] });
		assert.match(r.setCookie, /Max-Age=600(;|$)/);
		assertError(await c.get("/me"), 401, "unauthenticated");
		assertError(await c.get("/me/sessions"), 401, "unauthenticated");
		assertError(await c.get("/2fa/recovery-codes"), 401, "unauthenticated");
		assertError(await c.post("/2fa/totp/setup", {}), 401, "unauthenticated");
		assertError(await c.post("/me/reauth", { password: a.password }), 401, "unauthenticated");
	});

	test("no pending session: none, or a full one", async () => {
		assertError(await a.srv.client().post("/login/2fa", { code: "123456" }), 401, "no_pending_session");
		assertError(await a.c.post("/login/2fa", { code: "123456" }), 401, "no_pending_session");
		assertError(await a.srv.client().post("/login/2fa", { code: "123456" }, { cookie: "x".repeat(43) }), 401, "no_pending_session");
	});

	test("field checks: missing_factor, two factors, wrong types — none of them counted", async () => {
		const c = await pending(a);
		assertError(await c.post("/login/2fa", {}), 400, "missing_factor");
		assertError(await c.post("/login/2fa", { code: null }), 400, "missing_factor");
		assertError(await c.post("/login/2fa", { code: "123456", recoveryCode: "abcde-fghjk" }), 400, "invalid_field", "recoveryCode");
		assertError(await c.post("/login/2fa", { recoveryCode: "abcde-fghjk", passkeyResponse: {} }), 400, "invalid_field", "passkeyResponse");
		for (const code of [true, -1, 1.5, {}, []]) assertError(await c.post("/login/2fa", { code }), 400, "invalid_field", "code");
		assertError(await c.post("/login/2fa", { recoveryCode: 5 }), 400, "invalid_field", "recoveryCode");
		assertError(await c.post("/login/2fa", { passkeyResponse: "x" }), 400, "invalid_field", "passkeyResponse");
		// 4 counted failures after 10 uncounted refusals: the session is still there
		for (const code of ["000000x", "12345", 1234567, "abcdef"]) assertError(await c.post("/login/2fa", { code }), 401, "invalid_code");
		const r = await c.post("/login/2fa", { passkeyResponse: {} });
		assertError(r, 401, "invalid_code"); // the 5th: no passkeys here
		assert.equal(r.cookie, "", "the 5th failure clears the cookie");
	});

	test("a right code: full session under a new token, amr pwd+otp, events 2fa.success then login.success", async () => {
		const c = await pending(a);
		const pendingToken = c.cookie;
		const code = await nextCode(a);
		const r = await c.post("/login/2fa", { code: `${code.slice(0, 3)} ${code.slice(3)}` });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, { status: "authenticated", user: { id: a.user.id, email: a.email, emailVerified: false } });
		assert.ok(r.cookie && r.cookie !== pendingToken, "a new token");
		recordSecret(r.cookie, "session cookie");
		assert.match(r.setCookie, /Max-Age=2592000(;|$)/);
		const me = (await c.get("/me")).json;
		assert.deepEqual(me.session.amr, ["pwd", "otp"]);
		assert.equal(me.session.aal, 2);
		assertError(await a.srv.client().get("/me", { cookie: pendingToken }), 401, "unauthenticated");
		assertError(await a.srv.client().post("/login/2fa", { code }, { cookie: pendingToken }), 401, "no_pending_session");
		const evs = await events(c);
		assert.equal(evs[0].type, "login.success");
		assert.deepEqual(evs[0].detail, { method: "password", secondFactor: "totp" });
		assert.equal(evs[1].type, "2fa.success");
		assert.deepEqual(evs[1].detail, { method: "totp" });
		// API-NOTES 60: nothing for the first factor alone
		assert.equal(evs.filter((e) => e.type === "login.success").length, 1);
	});

	test("replay: a step at or before the last accepted one is refused; the next step and a JSON integer pass", async () => {
		const b = await enrol(await account());
		let c = await pending(b);
		// API-NOTES 72: the enabling code's step is spent
		assertError(await c.post("/login/2fa", { code: oath(b.secret, b.enableStep) }), 401, "invalid_code");
		assertError(await c.post("/login/2fa", { code: oath(b.secret, b.enableStep - 1) }), 401, "invalid_code");
		const next = await nextCode(b);
		const r = await c.post("/login/2fa", { code: Number(next) });
		assert.equal(r.status, 200, r.text);
		c = await pending(b);
		assertError(await c.post("/login/2fa", { code: next }), 401, "invalid_code");
		const evs = (await events(b.c, "2fa.failure")).map((e) => e.detail);
		assert.deepEqual(evs[0], { method: "totp", failures: 1, sessionDestroyed: false });
	});

	test("codes two steps ahead are refused", async () => {
		const b = await enrol(await account());
		const c = await pending(b);
		await safeWindow();
		const t = stepNow();
		assertError(await c.post("/login/2fa", { code: oath(b.secret, t + 2) }), 401, "invalid_code");
		assertError(await c.post("/login/2fa", { code: oath(b.secret, t + 3) }), 401, "invalid_code");
	});

	test("the 5th failure destroys the pending session and clears the cookie", async () => {
		const c = await pending(a);
		const token = c.cookie;
		for (let i = 1; i <= 4; i++) {
			const r = await c.post("/login/2fa", { code: ["999999x", "1234", "abcdef", "0000000"][i - 1] });
			assertError(r, 401, "invalid_code");
			assert.equal(r.cookie, null, "no cookie change before the 5th");
		}
		const r = await c.post("/login/2fa", { recoveryCode: "not a code" });
		assertError(r, 401, "invalid_code");
		assert.equal(r.cookie, "");
		assert.match(r.setCookie, /Max-Age=0/);
		assertError(await a.srv.client().post("/login/2fa", { code: "123456" }, { cookie: token }), 401, "no_pending_session");
		const f = (await events(a.c, "2fa.failure")).slice(0, 5).map((e) => e.detail);
		assert.deepEqual(f[0], { method: "recovery_code", failures: 5, sessionDestroyed: true });
		assert.deepEqual(f[1], { method: "totp", failures: 4, sessionDestroyed: false });
		const mail = await waitForMail(a.srv.mailDir, { to: a.email, purpose: "2fa-failures" }, 5000);
		assert.match(mail.body, /failed the second step/);
		assert.ok(mail.links.some((l) => l.includes("/auth/lockdown?token=")), "with the lockdown link");
	});

	test("ten parallel requests with one code: exactly one signs in", async () => {
		const b = await enrol(await account());
		const clients = [];
		for (let i = 0; i < 10; i++) clients.push(await pending(b));
		const code = await nextCode(b);
		const res = await Promise.all(clients.map((c) => c.post("/login/2fa", { code })));
		assert.deepEqual(res.map((r) => r.status).sort(), [200, ...Array(9).fill(401)]);
	});

	test("10 failures per account across sessions: then 429 before checking; the reauth budget is apart", async () => {
		const b = await enrol(await account());
		for (let s = 0; s < 2; s++) {
			const c = await pending(b);
			for (let i = 0; i < 5; i++) assertError(await c.post("/login/2fa", { code: "000000x" }), 401, "invalid_code");
		}
		const c = await pending(b);
		const code = await nextCode(b);
		const r = await c.post("/login/2fa", { code });
		assertError(r, 429, "rate_limited");
		assert.ok(Number(r.headers.get("retry-after")) >= 1);
		// the code was not checked: it still works for reauth (its own budget)
		const re = await b.c.post("/me/reauth", { code });
		assert.equal(re.status, 200, re.text);
		const m = (await b.srv.client().get("/metrics")).text;
		assert.match(m, /latchkey_logins_total\{method="totp",outcome="rate_limited"\} [1-9]/);
	});
});

// ---- recovery codes ----

describe("recovery codes", () => {
	test("sign in with one (any case, spaces, no dash): amr, events, remaining, notification; single use", async () => {
		const a = await enrol(await account());
		const code = a.codes[7];
		let c = await pending(a);
		const messy = ` ${code.slice(0, 5).toUpperCase()} ${code.slice(6)} `;
		const r = await c.post("/login/2fa", { recoveryCode: messy });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.status, "authenticated");
		assert.equal(r.json.recoveryCodesRemaining, 9);
		const me = (await c.get("/me")).json;
		assert.deepEqual(me.session.amr, ["pwd", "recovery_code"]);
		assert.equal(me.session.aal, 2);
		assert.equal(me.recoveryCodesRemaining, 9);
		assert.deepEqual((await c.get("/2fa/recovery-codes")).json, { remaining: 9 });
		const evs = await events(c);
		assert.deepEqual(evs.slice(0, 3).map((e) => [e.type, e.detail]), [
			["login.success", { method: "password", secondFactor: "recovery_code" }],
			["2fa.success", { method: "recovery_code" }],
			["recovery_code.used", { remaining: 9 }],
		]);
		const mail = await waitForMail(a.srv.mailDir, { to: a.email, purpose: "recovery-code-used" });
		assert.match(mail.body, /9 recovery codes are left/);
		c = await pending(a);
		assertError(await c.post("/login/2fa", { recoveryCode: code }), 401, "invalid_code");
		// any order
		assert.equal((await c.post("/login/2fa", { recoveryCode: a.codes[2] })).status, 200);
	});

	test("methods drop recovery_code once every code is used", async () => {
		const a = await enrol(await account());
		for (const code of [...a.codes].reverse()) {
			const c = await pending(a);
			const r = await c.post("/login/2fa", { recoveryCode: code });
			assert.equal(r.status, 200, r.text);
		}
		const r = await login(a.srv.client(), a.email, a.password);
		assert.deepEqual(r.json.methods, ["totp"]);
		assert.deepEqual((await a.c.get("/2fa/recovery-codes")).json, { remaining: 0 });
	});

	test("ten parallel uses of one recovery code: exactly one 200", async () => {
		const a = await enrol(await account());
		const clients = [];
		for (let i = 0; i < 10; i++) clients.push(await pending(a));
		const res = await Promise.all(clients.map((c) => c.post("/login/2fa", { recoveryCode: a.codes[0] })));
		assert.deepEqual(res.map((r) => r.status).sort(), [200, ...Array(9).fill(401)]);
		assert.deepEqual((await a.c.get("/2fa/recovery-codes")).json, { remaining: 9 });
	});

	test("regenerating: 10 new codes, every older one stops working; 409 and remaining 0 without TOTP", async () => {
		const plain = await account();
		assertError(await plain.c.post("/2fa/recovery-codes", {}), 409, "totp_not_enabled");
		assert.deepEqual((await plain.c.get("/2fa/recovery-codes")).json, { remaining: 0 });
		const a = await enrol(await account());
		const r = await a.c.post("/2fa/recovery-codes", {});
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.recoveryCodes.length, 10);
		for (const code of r.json.recoveryCodes) {
			recordSecret(code, "recovery code");
			assert.match(code, RECOVERY_RE);
			assert.ok(!a.codes.includes(code));
		}
		assert.deepEqual((await a.c.get("/2fa/recovery-codes")).json, { remaining: 10 });
		const [ev] = await events(a.c, "recovery_codes.regenerated");
		assert.ok(ev);
		const mail = await waitForMail(a.srv.mailDir, { to: a.email, purpose: "recovery-codes-regenerated" });
		assert.match(mail.body, /10 recovery codes are left/);
		const c = await pending(a);
		assertError(await c.post("/login/2fa", { recoveryCode: a.codes[0] }), 401, "invalid_code");
		assert.equal((await c.post("/login/2fa", { recoveryCode: r.json.recoveryCodes[9] })).status, 200);
	});
});

// ---- disabling ----

describe("disabling", () => {
	test("order: 409 totp_not_enabled -> missing_field -> invalid_field -> invalid_code (reauth.failure)", async () => {
		const plain = await account();
		assertError(await plain.c.post("/2fa/totp/disable", {}), 409, "totp_not_enabled");
		assertError(await plain.c.post("/2fa/totp/disable", { code: "123456" }), 409, "totp_not_enabled");
		const a = await enrol(await account());
		assertError(await a.c.post("/2fa/totp/disable", {}), 400, "missing_field", "code");
		assertError(await a.c.post("/2fa/totp/disable", { code: "123456", recoveryCode: a.codes[0] }), 400, "invalid_field", "recoveryCode");
		assertError(await a.c.post("/2fa/totp/disable", { code: true }), 400, "invalid_field", "code");
		assertError(await a.c.post("/2fa/totp/disable", { recoveryCode: 7 }), 400, "invalid_field", "recoveryCode");
		assertError(await a.c.post("/2fa/totp/disable", { code: oath(a.secret, a.enableStep) }), 400, "invalid_code");
		assertError(await a.c.post("/2fa/totp/disable", { recoveryCode: "aaaaa-aaaaa" }), 400, "invalid_code");
		const f = (await events(a.c, "reauth.failure")).map((e) => e.detail);
		assert.deepEqual(f, [
			{ method: "recovery_code", action: "totp.disable" },
			{ method: "totp", action: "totp.disable" },
		]);
		assert.equal((await a.c.get("/me")).status, 200, "the session stays");
		assert.equal((await a.c.get("/me")).json.totpEnabled, true);
	});

	test("with a code: secret and codes deleted, event, notification, password sign-in again", async () => {
		const a = await enrol(await account());
		const r = await a.c.post("/2fa/totp/disable", { code: await nextCode(a) });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, { status: "disabled" });
		const me = (await a.c.get("/me")).json;
		assert.equal(me.totpEnabled, false);
		assert.equal(me.recoveryCodesRemaining, 0);
		assert.deepEqual((await a.c.get("/2fa/recovery-codes")).json, { remaining: 0 });
		const [ev] = await events(a.c, "totp.disabled");
		assert.deepEqual(ev.detail, { with: "totp" });
		await waitForMail(a.srv.mailDir, { to: a.email, purpose: "totp-disabled" });
		const l = await login(a.srv.client(), a.email, a.password);
		assert.equal(l.json.status, "authenticated");
		assertError(await a.c.post("/2fa/totp/disable", { code: "123456" }), 409, "totp_not_enabled");
		assertError(await a.c.post("/2fa/recovery-codes", {}), 409, "totp_not_enabled");
		await setup(a.c); // a fresh set-up is possible again
	});

	test("with a recovery code: it is consumed and every code deleted", async () => {
		const a = await enrol(await account());
		const r = await a.c.post("/2fa/totp/disable", { recoveryCode: a.codes[4].toUpperCase() });
		assert.equal(r.status, 200, r.text);
		const [ev] = await events(a.c, "totp.disabled");
		assert.deepEqual(ev.detail, { with: "recovery_code" });
		await enrol(a);
		assert.deepEqual((await a.c.get("/2fa/recovery-codes")).json, { remaining: 10 });
	});
});

describe("the reauth budget (--rate-2fa-account 3)", () => {
	let srv;
	before(async () => {
		srv = await serve(["--rate-2fa-account", "3"]);
	});

	test("wrong codes at /2fa/totp/disable and /me/reauth share it; /login/2fa keeps its own", async () => {
		const a = await enrol(await account(srv));
		assertError(await a.c.post("/2fa/totp/disable", { code: "000000x" }), 400, "invalid_code");
		assertError(await a.c.post("/me/reauth", { code: "000000x" }), 401, "invalid_code");
		assertError(await a.c.post("/2fa/totp/disable", { recoveryCode: "bbbbb-bbbbb" }), 400, "invalid_code");
		const c = await pending(a);
		const code = await nextCode(a);
		assertError(await a.c.post("/2fa/totp/disable", { code }), 429, "rate_limited");
		assertError(await a.c.post("/me/reauth", { password: a.password }), 429, "rate_limited");
		assert.equal((await a.c.get("/me")).status, 200, "a failed reauth never ends the session");
		assert.equal((await c.post("/login/2fa", { code })).status, 200);
	});
});

// ---- sudo and reauth with a code ----

describe("sudo mode and /me/reauth with a code (--sudo-ttl 2s)", () => {
	let srv;
	before(async () => {
		srv = await serve(["--sudo-ttl", "2s"]);
	});

	test("set-up, disabling and regenerating need sudo; enabling, the QR and the count do not", async () => {
		const a = await account(srv);
		const s = await setup(a.c);
		await sleep(2200);
		assertError(await a.c.post("/2fa/totp/setup", {}), 403, "reauthentication_required");
		assert.equal((await a.c.get("/2fa/totp/qr.svg")).status, 200);
		await safeWindow();
		const step = stepNow();
		const e = await a.c.post("/2fa/totp/enable", { code: oath(s.secret, step) });
		assert.equal(e.status, 200, e.text);
		assert.equal((await a.c.get("/2fa/recovery-codes")).status, 200);
		assertError(await a.c.post("/2fa/recovery-codes", {}), 403, "reauthentication_required");
		assertError(await a.c.post("/2fa/totp/disable", { code: oath(s.secret, step + 1) }), 403, "reauthentication_required");
		// reauth with a code: the enabling step is spent, the next one proves it is you
		assertError(await a.c.post("/me/reauth", { code: oath(s.secret, step) }), 401, "invalid_code");
		assertError(await a.c.post("/me/reauth", { code: true }), 400, "invalid_field", "code");
		const r = await a.c.post("/me/reauth", { code: oath(s.secret, step + 1) });
		assert.equal(r.status, 200, r.text);
		assert.ok(Date.parse(r.json.sudoUntil) > Date.now());
		assert.deepEqual((await a.c.get("/me")).json.session.amr, ["pwd", "otp"]);
		assert.deepEqual((await events(a.c, "reauth.success"))[0].detail, { method: "totp" });
		assertError(await a.c.post("/me/reauth", { code: oath(s.secret, step + 1) }), 401, "invalid_code");
		assert.deepEqual((await events(a.c, "reauth.failure"))[0].detail, { method: "totp" });
		const d = await a.c.post("/2fa/totp/disable", { recoveryCode: e.json.recoveryCodes[0] });
		recordSecret(e.json.recoveryCodes[0], "recovery code");
		assert.equal(d.status, 200, d.text);
	});

	test("a code from an account without TOTP is invalid_code", async () => {
		const a = await account(srv);
		assertError(await a.c.post("/me/reauth", { code: "123456" }), 401, "invalid_code");
	});
});

// ---- window, drift, parameters ----

describe("time steps (--totp-period 5)", () => {
	let srv;
	const P = { period: 5 };
	before(async () => {
		srv = await serve(["--totp-period", "5"]);
	});

	test("t-1, t and t+1 are accepted; t-2 and t+2 are not", async () => {
		const a = await enrol(await account(srv), { params: P });
		await waitForStep(a.enableStep + 3, 5);
		const c = await pending(a);
		await safeWindow(5, 2);
		const t = stepNow(5);
		assertError(await c.post("/login/2fa", { code: oath(a.secret, t - 2, P) }), 401, "invalid_code");
		assertError(await c.post("/login/2fa", { code: oath(a.secret, t + 2, P) }), 401, "invalid_code");
		assert.equal((await c.post("/login/2fa", { code: oath(a.secret, t - 1, P) })).status, 200);
		const c2 = await pending(a);
		assert.equal((await c2.post("/login/2fa", { code: oath(a.secret, t + 1, P) })).status, 200);
	});

	test("drift: an offset seen twice widens the window that way (RFC 6238 section 6)", async () => {
		const a = await enrol(await account(srv), { offset: -1, params: P }); // offset -1
		await waitForStep(a.enableStep + 2, 5);
		let c = await pending(a);
		await safeWindow(5, 2);
		let t = stepNow(5);
		assert.equal((await c.post("/login/2fa", { code: oath(a.secret, t - 1, P) })).status, 200); // -1 again
		await waitForStep(t + 2, 5);
		c = await pending(a);
		await safeWindow(5, 2);
		t = stepNow(5);
		const r = await c.post("/login/2fa", { code: oath(a.secret, t - 2, P) });
		assert.equal(r.status, 200, `t-2 after a repeated -1 offset: ${r.text}`);
	});
});

describe("parameters (--totp-algorithm sha256 --totp-digits 8 --totp-period 60)", () => {
	test("apply to new set-ups and stay with the enrolment when the options change", async () => {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-totp-"));
		const srv = await serve(["--totp-algorithm", "sha256", "--totp-digits", "8", "--totp-period", "60"], { dataDir });
		const P = { algorithm: "SHA256", digits: 8, period: 60 };
		const a = await account(srv);
		const s = await setup(a.c);
		const u = parseOtpauth(s.otpauthUri);
		assert.deepEqual([u.algorithm, u.digits, u.period], ["SHA256", 8, 60]);
		await safeWindow(60, 12);
		const t = stepNow(60);
		assertError(await a.c.post("/2fa/totp/enable", { code: oath(s.secret, t, { period: 60 }) }), 400, "invalid_code");
		const e = await a.c.post("/2fa/totp/enable", { code: oath(s.secret, t - 1, P) });
		assert.equal(e.status, 200, e.text);
		for (const code of e.json.recoveryCodes) recordSecret(code, "recovery code");
		assert.deepEqual((await events(a.c, "totp.enabled"))[0].detail, { algorithm: "SHA256", digits: 8, period: 60 });
		Object.assign(a, { secret: s.secret });
		let c = await pending(a);
		assertError(await c.post("/login/2fa", { code: oath(s.secret, t, { ...P, digits: 6 }) }), 401, "invalid_code");
		assert.equal((await c.post("/login/2fa", { code: oath(s.secret, t, P) })).status, 200);
		// the same database under default options: the enrolment keeps SHA-256, 8 digits, 60 s
		await srv.stop();
		const again = await serve([], { dataDir });
		a.srv = again;
		c = await pending(a);
		const code = oath(s.secret, t + 1, P);
		const r = await c.post("/login/2fa", { code: Number(code) }); // zero-padded to 8 digits
		assert.equal(r.status, 200, r.text);
		await again.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});
});

// ---- metrics and the log ----

describe("metrics and secrets", () => {
	test("login metrics by method and outcome", async () => {
		const m = (await server.client().get("/metrics")).text;
		assert.match(m, /latchkey_logins_total\{method="password",outcome="2fa_required"\} [1-9]/);
		assert.match(m, /latchkey_logins_total\{method="totp",outcome="success"\} [1-9]/);
		assert.match(m, /latchkey_logins_total\{method="totp",outcome="failure"\} [1-9]/);
		assert.match(m, /latchkey_logins_total\{method="recovery_code",outcome="success"\} [1-9]/);
		assert.match(m, /latchkey_logins_total\{method="passkey_2fa",outcome="failure"\} [1-9]/);
	});

	test("no secret, URI or recovery code reaches the server log or a notification", async () => {
		const a = await enrol(await account());
		await waitForMail(server.mailDir, { to: a.email, purpose: "totp-enabled" });
		const log = server.log();
		assert.ok(!log.includes(a.secret));
		for (const code of a.codes) assert.ok(!log.includes(code) && !log.includes(code.replace("-", "")));
		for (const m of listMail(server.mailDir, { to: a.email })) {
			assert.ok(!m.raw.includes(a.secret));
			for (const code of a.codes) assert.ok(!m.raw.includes(code));
		}
		// server.stop() in after() also checks the log for every recorded secret
	});

	test("secrets are sealed at rest, recovery codes kept as digests (SQLite file)", { skip: DB.length > 0 }, async () => {
		const a = await enrol(await account());
		const rows = sql(server, `SELECT hex(secret_sealed) AS s, alg, digits, period_s FROM totp WHERE user_id = '${a.user.id}'`);
		assert.equal(rows.length, 1);
		const key = base32Decode(a.secret).toString("hex").toUpperCase();
		assert.equal(rows[0].s.length, 2 * (20 + 41), "version, nonce, 20 sealed bytes, tag");
		assert.ok(!rows[0].s.includes(key));
		assert.deepEqual([rows[0].alg, rows[0].digits, rows[0].period_s], [1, 6, 30]);
		const codes = sql(server, `SELECT length(digest) AS n FROM recovery_codes WHERE user_id = '${a.user.id}'`);
		assert.deepEqual(codes.map((r) => r.n), Array(10).fill(32));
		for (const f of ["latchkey.db", "latchkey.db-wal"]) {
			let bytes;
			try {
				bytes = fs.readFileSync(path.join(server.dataDir, f));
			} catch {
				continue;
			}
			assert.ok(!bytes.includes(Buffer.from(a.secret)), `${f} holds the base32 secret`);
			assert.ok(!bytes.includes(base32Decode(a.secret)), `${f} holds the raw secret`);
			for (const code of a.codes) assert.ok(!bytes.includes(Buffer.from(code.replace("-", ""))), `${f} holds a recovery code`);
		}
	});
});

describe("pre-hijack defence (API-NOTES 89)", () => {
	test("a verification link used without a session removes TOTP, a waiting set-up and the recovery codes", { skip: DB.length > 0 }, async () => {
		const a = await enrol(await account());
		const b = await account();
		await setup(b.c);
		for (const who of [a, b]) {
			const m = await waitForMail(server.mailDir, { to: who.email, purpose: "verify-email" });
			recordSecret(m.token, "verification token");
			const r = await server.client().post("/auth/verify-email", { token: m.token });
			assert.equal(r.status, 200, r.text);
		}
		for (const table of ["totp", "totp_setup", "recovery_codes"]) {
			const rows = sql(server, `SELECT COUNT(*) AS n FROM ${table} WHERE user_id IN ('${a.user.id}', '${b.user.id}')`);
			assert.equal(rows[0].n, 0, table);
		}
	});
});

/** Rows of a read-only query on a server's SQLite database. */
function sql(srv, query) {
	return srv.sql(query); // SQLite or PostgreSQL (server.mjs)
}
