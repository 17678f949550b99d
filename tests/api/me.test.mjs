// API.md "Accounts and sessions" for a signed-in user: /me, /me/auth-methods, /me/reauth,
// /me/password, /me/sessions, /me/events, and "Forward auth" /auth/check (API-NOTES 45-66,
// 122-123).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { assertError, ISO_RE, login, signup, sleep, strongPassword } from "../lib/api-util.mjs";

const SUDO_MS = 10 * 60 * 1000; // default --sudo-ttl
let server;
before(async () => {
	server = await startServer({ args: ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0"] });
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

describe("/me and /me/auth-methods", () => {
	test("/me has every field", async () => {
		const c = server.client();
		const t0 = Date.now();
		const { email, user } = await signup(c);
		const res = await c.get("/me");
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(Object.keys(res.json).sort(), ["createdAt", "email", "emailVerified", "hasPassword", "id", "passkeys", "recoveryCodesRemaining", "session", "totpEnabled"]);
		const me = res.json;
		assert.equal(me.id, user.id);
		assert.equal(me.email, email);
		assert.equal(me.emailVerified, false);
		assert.match(me.createdAt, ISO_RE);
		assert.ok(Math.abs(Date.parse(me.createdAt) - t0) < 5000);
		assert.equal(me.hasPassword, true);
		assert.equal(me.totpEnabled, false);
		assert.equal(me.recoveryCodesRemaining, 0);
		assert.equal(me.passkeys, 0);
		assert.deepEqual(Object.keys(me.session).sort(), ["aal", "amr", "authenticatedAt", "id", "sudoUntil"]);
		assert.match(me.session.id, /^[A-Za-z0-9_-]+$/);
		assert.deepEqual(me.session.amr, ["pwd"]);
		assert.equal(me.session.aal, 1);
		assert.match(me.session.authenticatedAt, ISO_RE);
		assert.match(me.session.sudoUntil, ISO_RE);
		assert.ok(Math.abs(Date.parse(me.session.sudoUntil) - Date.parse(me.session.authenticatedAt) - SUDO_MS) <= 1000);
	});

	test("/me without a (valid) session is 401 unauthenticated", async () => {
		assertError(await server.client().get("/me"), 401, "unauthenticated");
		assertError(await server.client().get("/me", { cookie: "garbage" }), 401, "unauthenticated");
		assertError(await server.client().get("/me", { cookie: "A".repeat(43) }), 401, "unauthenticated");
		assertError(await server.client().get("/me/auth-methods"), 401, "unauthenticated");
		assertError(await server.client().get("/me/sessions"), 401, "unauthenticated");
		assertError(await server.client().get("/me/events"), 401, "unauthenticated");
		assertError(await server.client().request("DELETE", "/me/sessions/abc"), 401, "unauthenticated");
	});

	test("/me/auth-methods", async () => {
		const c = server.client();
		await signup(c);
		const res = await c.get("/me/auth-methods");
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { password: true, totp: false, recoveryCodes: 0, passkeys: 0, magicLink: false });
	});
});

describe("/me/reauth", () => {
	let c;
	let acct;
	before(async () => {
		c = server.client();
		acct = await signup(c);
	});

	test("no factor is missing_field password; two factors invalid_field", async () => {
		assertError(await c.post("/me/reauth", {}), 400, "missing_field", "password");
		assertError(await c.post("/me/reauth", { password: null }), 400, "missing_field", "password");
		const two = await c.post("/me/reauth", { password: acct.password, code: "123456" });
		assertError(two, 400, "invalid_field");
		assert.ok(["password", "code"].includes(two.json.field));
		assertError(await c.post("/me/reauth", { password: 12345678 }), 400, "invalid_field", "password");
	});

	test("a wrong password is 401 and does not end the session; a code without TOTP is invalid_code", async () => {
		const before = (await c.get("/me")).json.session;
		assertError(await c.post("/me/reauth", { password: `${acct.password}-wrong` }), 401, "invalid_credentials");
		assertError(await c.post("/me/reauth", { code: "123456" }), 401, "invalid_code");
		const after = await c.get("/me");
		assert.equal(after.status, 200);
		assert.equal(after.json.session.id, before.id);
		assert.equal(after.json.session.sudoUntil, before.sudoUntil);
		assert.deepEqual(after.json.session.amr, ["pwd"]);
	});

	test("the right password moves sudoUntil to now + sudo-ttl", async () => {
		const before = (await c.get("/me")).json.session.sudoUntil;
		await sleep(1100);
		const t = Date.now();
		const res = await c.post("/me/reauth", { password: acct.password });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(Object.keys(res.json), ["sudoUntil"]);
		assert.match(res.json.sudoUntil, ISO_RE);
		assert.ok(Date.parse(res.json.sudoUntil) > Date.parse(before));
		assert.ok(Math.abs(Date.parse(res.json.sudoUntil) - (t + SUDO_MS)) < 2000);
		const me = await c.get("/me");
		assert.equal(me.json.session.sudoUntil, res.json.sudoUntil);
		assert.deepEqual(me.json.session.amr, ["pwd"], "no duplicate pwd");
		const ev = (await c.get("/me/events")).json.events;
		assert.equal(ev[0].type, "reauth.success");
		assert.equal(ev[0].detail.method, "password");
		const failures = ev.filter((e) => e.type === "reauth.failure").map((e) => e.detail.method);
		assert.deepEqual(failures, ["totp", "password"], "newest first: the code, then the password");
	});

	test("unauthenticated reauth is 401", async () => {
		assertError(await server.client().post("/me/reauth", { password: acct.password }), 401, "unauthenticated");
	});
});

describe("/me/password", () => {
	test("weak and missing passwords are 400", async () => {
		const c = server.client();
		await signup(c);
		assertError(await c.post("/me/password", {}), 400, "missing_field", "newPassword");
		assertError(await c.post("/me/password", { newPassword: 5 }), 400, "invalid_field", "newPassword");
		for (const newPassword of ["short", "Password123", "x".repeat(257)]) {
			assertError(await c.post("/me/password", { newPassword }), 400, "weak_password");
		}
	});

	test("204: other sessions are revoked, the current one kept; the new password works", async () => {
		const a = server.client();
		const acct = await signup(a);
		const b = server.client();
		const d = server.client();
		assert.equal((await login(b, acct.email, acct.password)).status, 200);
		assert.equal((await login(d, acct.email, acct.password)).status, 200);
		const beforeMe = (await a.get("/me")).json.session;
		const newPassword = strongPassword("new password");
		const res = await a.post("/me/password", { newPassword });
		assert.equal(res.status, 204, res.text);
		assert.equal(res.setCookie, null, "the current cookie stays");
		const me = await a.get("/me");
		assert.equal(me.status, 200);
		assert.equal(me.json.session.id, beforeMe.id);
		assert.equal(me.json.session.sudoUntil, beforeMe.sudoUntil, "the sudo window is kept");
		assertError(await b.get("/me"), 401, "unauthenticated");
		assertError(await d.get("/me"), 401, "unauthenticated");
		assertError(await login(server.client(), acct.email, acct.password), 401, "invalid_credentials");
		assert.equal((await login(server.client(), acct.email, newPassword)).status, 200);
		const ev = (await a.get("/me/events")).json.events;
		const changed = ev.find((e) => e.type === "password.changed");
		assert.ok(changed, JSON.stringify(ev));
		assert.equal(changed.detail.otherSessionsRevoked, 2);
	});
});

describe("/me/sessions", () => {
	test("lists full sessions with ip, userAgent and current", async () => {
		const a = server.client({ headers: { "User-Agent": "agent-A/1.0" } });
		const acct = await signup(a);
		const b = server.client({ headers: { "User-Agent": "agent-B/2.0" } });
		await login(b, acct.email, acct.password);
		const res = await a.get("/me/sessions");
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(Object.keys(res.json), ["sessions"]);
		const list = res.json.sessions;
		assert.equal(list.length, 2);
		for (const s of list) {
			assert.deepEqual(Object.keys(s).sort(), ["createdAt", "current", "id", "ip", "lastSeenAt", "userAgent"]);
			assert.match(s.createdAt, ISO_RE);
			assert.match(s.lastSeenAt, ISO_RE);
			assert.equal(s.ip, "127.0.0.1");
		}
		const mine = list.find((s) => s.current);
		const other = list.find((s) => !s.current);
		assert.equal(list.filter((s) => s.current).length, 1);
		assert.equal(mine.userAgent, "agent-A/1.0");
		assert.equal(other.userAgent, "agent-B/2.0");
		assert.equal(mine.id, (await a.get("/me")).json.session.id);
		// another account's list does not show them
		const x = server.client();
		await signup(x);
		const xs = (await x.get("/me/sessions")).json.sessions;
		assert.equal(xs.length, 1);
		assert.ok(!xs.some((s) => s.id === mine.id || s.id === other.id));
	});

	test("DELETE another session: 204, it stops working, session.revoked recorded", async () => {
		const a = server.client();
		const acct = await signup(a);
		const b = server.client();
		await login(b, acct.email, acct.password);
		const bId = (await b.get("/me")).json.session.id;
		const res = await a.delete(`/me/sessions/${bId}`);
		assert.equal(res.status, 204, res.text);
		assert.equal(res.setCookie, null, "the caller's cookie is untouched");
		assertError(await b.get("/me"), 401, "unauthenticated");
		assert.equal((await a.get("/me")).status, 200);
		assertError(await a.delete(`/me/sessions/${bId}`), 404, "not_found");
		const ev = (await a.get("/me/events")).json.events;
		assert.equal(ev[0].type, "session.revoked");
		assert.equal(ev[0].detail.sessionId, bId);
		assert.equal(ev[0].detail.current, false);
	});

	test("DELETE of an unknown id or another account's session is 404", async () => {
		const a = server.client();
		await signup(a);
		const x = server.client();
		await signup(x);
		const xId = (await x.get("/me")).json.session.id;
		assertError(await a.delete("/me/sessions/no-such-session"), 404, "not_found");
		assertError(await a.delete(`/me/sessions/${xId}`), 404, "not_found");
		assert.equal((await x.get("/me")).status, 200, "the other account's session survives");
	});

	test("DELETE of the current session is a logout", async () => {
		const a = server.client();
		await signup(a);
		const id = (await a.get("/me")).json.session.id;
		const token = a.cookie;
		const res = await a.delete(`/me/sessions/${id}`);
		assert.equal(res.status, 204);
		assert.ok(res.setCookie, "clearing cookie");
		assert.equal(res.cookie, "");
		assertError(await a.get("/me", { cookie: token }), 401, "unauthenticated");
	});
});

describe("/me/events", () => {
	test("records sign-ins, failures, password changes and revocations, newest first", async () => {
		const a = server.client({ headers: { "User-Agent": "events-agent" } });
		const acct = await signup(a);
		assert.equal((await login(server.client(), acct.email, "definitely-wrong-pw")).status, 401);
		const b = server.client();
		assert.equal((await login(b, acct.email, acct.password)).status, 200);
		const bId = (await b.get("/me")).json.session.id;
		await a.delete(`/me/sessions/${bId}`);
		await a.post("/me/password", { newPassword: strongPassword() });
		const res = await a.get("/me/events");
		assert.equal(res.status, 200);
		const ev = res.json.events;
		assert.deepEqual(
			ev.map((e) => e.type),
			["password.changed", "session.revoked", "login.success", "login.failure"],
		);
		for (const e of ev) {
			assert.deepEqual(Object.keys(e).sort(), ["at", "detail", "ip", "type", "userAgent"]);
			assert.match(e.at, ISO_RE);
			assert.equal(e.ip, "127.0.0.1");
			assert.equal(typeof e.detail, "object");
			assert.notEqual(e.detail, null);
		}
		for (let i = 1; i < ev.length; i++) assert.ok(Date.parse(ev[i - 1].at) >= Date.parse(ev[i].at), "newest first");
		assert.equal(ev[0].userAgent, "events-agent");
		assert.equal(ev[2].detail.method, "password");
		assert.equal(ev[3].detail.method, "password");
		assert.equal(ev[0].detail.otherSessionsRevoked, 0);
		// a failure for an unknown email is recorded nowhere, a success of another account not here
		const x = server.client();
		await signup(x);
		assert.deepEqual((await x.get("/me/events")).json.events, []);
	});
});

describe("/auth/check", () => {
	let c;
	let acct;
	before(async () => {
		c = server.client();
		acct = await signup(c);
	});

	test("204 with the user headers for a full session", async () => {
		const res = await c.get("/auth/check");
		assert.equal(res.status, 204, res.text);
		assert.equal(res.body.length, 0);
		assert.equal(res.headers["x-latchkey-user-id"], acct.user.id);
		assert.equal(res.headers["x-latchkey-email"], acct.email);
		assert.equal(res.headers["x-latchkey-aal"], "1");
		assert.equal(res.headers["cache-control"], "no-store");
		assert.equal((await c.get("/auth/check?aal=1")).status, 204);
	});

	test("401 with the JSON body without a session", async () => {
		const res = await server.client().get("/auth/check");
		assertError(res, 401, "unauthenticated");
		assert.equal(res.headers["x-latchkey-user-id"], undefined);
		assertError(await server.client().get("/auth/check", { cookie: "bogus" }), 401, "unauthenticated");
	});

	test("?aal=2 is 403 insufficient_aal for a password session; other values 400", async () => {
		assertError(await c.get("/auth/check?aal=2"), 403, "insufficient_aal");
		for (const v of ["3", "0", "x", "", "1.0", "22"]) {
			assertError(await c.get(`/auth/check?aal=${v}`), 400, "invalid_field", "aal");
		}
	});

	test("any method, no cross-site, media-type or body checks", async () => {
		for (const m of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]) {
			const res = await c.request(m, "/auth/check", {
				body: m === "HEAD" || m === "OPTIONS" ? undefined : "not json at all",
				headers: { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain" },
			});
			assert.equal(res.status, 204, `${m}: ${res.status} ${res.text}`);
			assert.equal(res.headers["x-latchkey-user-id"], acct.user.id, m);
		}
		assert.equal((await server.client().request("POST", "/auth/check", { headers: { Origin: "null" } })).status, 401);
	});

	test("a logged-out session is refused", async () => {
		const d = server.client();
		await login(d, acct.email, acct.password);
		assert.equal((await d.get("/auth/check")).status, 204);
		const token = d.cookie;
		await d.post("/logout");
		assert.equal((await d.get("/auth/check", { cookie: token })).status, 401);
	});
});
