// Session lifetimes and sudo mode with short TTLs (API.md "Session cookie", "Sudo mode";
// API-NOTES 17, 45, 53-57). The tests wait for real time to pass, so they run concurrently.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { login, parseSetCookie, signup, sleep, strongPassword } from "../lib/api-util.mjs";

let server;
before(async () => {
	server = await startServer({
		args: ["--session-ttl", "5s", "--session-idle-ttl", "3s", "--sudo-ttl", "2s", "--rate-signup-ip", "0"],
	});
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

function assertError(res, status, code, field) {
	assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
	assert.equal(res.json?.error, code, res.text);
	if (field !== undefined) assert.equal(res.json.field, field, res.text);
}

describe("lifetimes", { concurrency: true }, () => {
	test("the cookie's Max-Age is the absolute lifetime", async () => {
		const { res } = await signup(server.client());
		assert.equal(parseSetCookie(res.setCookie).attrs.get("max-age"), "5");
	});

	test("a session unused for --session-idle-ttl ends", async () => {
		const c = server.client();
		const acct = await signup(c);
		const other = server.client();
		await login(other, acct.email, acct.password);
		await sleep(1700);
		assert.equal((await other.get("/me")).status, 200, "used within the idle time");
		await sleep(1700); // c idle for 3.4 s, other for 1.7 s
		const sessions = await other.get("/me/sessions");
		assert.equal(sessions.status, 200);
		assert.equal(sessions.json.sessions.length, 1, "the idle session is not listed");
		assert.equal(sessions.json.sessions[0].current, true);
		assertError(await c.get("/me"), 401, "unauthenticated");
		assert.equal((await c.get("/auth/check")).status, 401);
	});

	test("requests keep a session alive (lastSeenAt moves), /auth/check included", async () => {
		const c = server.client();
		await signup(c);
		const first = (await c.get("/me/sessions")).json.sessions[0].lastSeenAt;
		for (let i = 0; i < 5; i++) {
			await sleep(700);
			const path = i % 2 ? "/auth/check" : "/me/auth-methods";
			const res = await c.get(path);
			assert.ok(res.status === 200 || res.status === 204, `${path} after ${(i + 1) * 700} ms: ${res.status}`);
		}
		const last = (await c.get("/me/sessions")).json.sessions[0].lastSeenAt;
		assert.ok(Date.parse(last) > Date.parse(first), `${first} < ${last}`);
	});

	test("a session ends after --session-ttl however active", async () => {
		const c = server.client();
		await signup(c);
		const t0 = Date.now(); // the session began before this
		while (Date.now() - t0 < 4000) {
			assert.equal((await c.get("/me")).status, 200, `alive at ${Date.now() - t0} ms`);
			await sleep(500);
		}
		await sleep(Math.max(0, 5300 - (Date.now() - t0)));
		assertError(await c.get("/me"), 401, "unauthenticated");
		assert.equal((await c.get("/auth/check")).status, 401);
	});

	test("sudo: /me/password needs a proof younger than --sudo-ttl", async () => {
		const c = server.client();
		const acct = await signup(c);
		await sleep(2200);
		const me = await c.get("/me");
		assert.ok(Date.parse(me.json.session.sudoUntil) < Date.now(), "sudoUntil is in the past");
		assertError(await c.post("/me/password", { newPassword: strongPassword() }), 403, "reauthentication_required");
		// sudo is checked before the fields
		assertError(await c.post("/me/password", {}), 403, "reauthentication_required");
		assertError(await c.post("/me/password", { newPassword: "weak" }), 403, "reauthentication_required");
		const re = await c.post("/me/reauth", { password: acct.password });
		assert.equal(re.status, 200, re.text);
		assert.ok(Date.parse(re.json.sudoUntil) > Date.now());
		const res = await c.post("/me/password", { newPassword: strongPassword() });
		assert.equal(res.status, 204, res.text);
	});

	test("a fresh login is in sudo mode; an unauthenticated sudo request is 401", async () => {
		const a = server.client();
		const acct = await signup(a);
		await sleep(2200);
		const b = server.client();
		await login(b, acct.email, acct.password);
		assertError(await a.post("/me/password", {}), 403, "reauthentication_required");
		assertError(await b.post("/me/password", {}), 400, "missing_field", "newPassword");
		assertError(await server.client().post("/me/password", {}), 401, "unauthenticated");
	});
});

describe("sudo-ttl 0s", () => {
	test("every sudo request needs a reauth in the same millisecond: always 403", async () => {
		const s = await startServer({ args: ["--sudo-ttl", "0s"] });
		try {
			const c = s.client();
			await signup(c);
			assertError(await c.post("/me/password", { newPassword: strongPassword() }), 403, "reauthentication_required");
		} finally {
			const { code } = await s.stop();
			assert.equal(code, 0);
		}
	});
});
