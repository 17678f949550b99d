// API.md "Rate limits" for the foundation endpoints (API-NOTES 127-134) and the client address
// behind --trusted-proxy. Small limits make each case cheap; each case has its own server so
// that the counters (kept in the database) do not mix.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { assertNoMail, waitForMail } from "../lib/mail.mjs";
import { login, runLatchkey, signup, uniqueEmail } from "../lib/api-util.mjs";

function assertLimited(res, maxSeconds) {
	assert.equal(res.status, 429, `expected 429, got ${res.status} ${res.text}`);
	assert.equal(res.json.error, "rate_limited");
	assert.match(res.headers["retry-after"] || "", /^[1-9]\d*$/, "Retry-After in whole seconds");
	const ra = Number(res.headers["retry-after"]);
	assert.ok(ra >= 1 && ra <= maxSeconds, `Retry-After ${ra}`);
	if (res.json.retryAfter !== undefined) assert.equal(res.json.retryAfter, ra);
	assert.equal(res.setCookie, null);
}

async function withServer(args, fn) {
	const s = await startServer({ args });
	try {
		await fn(s);
	} finally {
		const { code } = await s.stop();
		assert.equal(code, 0);
	}
}

describe("rate limits", { concurrency: true }, () => {
	test("/login per account: after N failures even the right password gets 429", () =>
		withServer(["--rate-login-account", "3", "--rate-login-ip", "0"], async (s) => {
			const acct = await signup(s.client());
			const other = await signup(s.client());
			for (let i = 0; i < 3; i++) {
				const res = await login(s.client(), acct.email, `wrong-password-${i}`);
				assert.equal(res.status, 401, res.text);
			}
			assertLimited(await login(s.client(), acct.email, acct.password), 15 * 60);
			// keyed by the normalised email
			assertLimited(await login(s.client(), ` ${acct.email.toUpperCase()} `, acct.password), 15 * 60);
			// other accounts are not affected
			assert.equal((await login(s.client(), other.email, other.password)).status, 200);
			// the limited attempts are visible in the metrics
			const m = await s.jar.get("/metrics");
			assert.match(m.text, /latchkey_logins_total\{[^}]*method="password"[^}]*outcome="rate_limited"[^}]*\} [1-9]/);
			// the other account sees only its own sign-ins
			const c = s.client();
			await login(c, other.email, other.password);
			assert.deepEqual((await c.get("/me/events")).json.events.map((e) => e.type), ["login.success", "login.success"]);
		}));

	test("/login per account: Retry-After counts down from the oldest failure; spellings share one counter", () =>
		withServer(["--rate-login-account", "3", "--rate-login-ip", "0"], async (s) => {
			const acct = await signup(s.client());
			const t0 = Date.now();
			for (const spelling of [acct.email, acct.email.toUpperCase(), `  ${acct.email}\t`]) {
				assert.equal((await login(s.client(), spelling, "wrong-password-1")).status, 401);
			}
			const res = await login(s.client(), acct.email, acct.password);
			assertLimited(res, 15 * 60);
			const expected = 15 * 60 - Math.floor((Date.now() - t0) / 1000);
			assert.ok(Math.abs(Number(res.headers["retry-after"]) - expected) <= 2, `Retry-After ${res.headers["retry-after"]}, ~${expected}`);
		}));

	test("/me/events keeps the newest 200", () =>
		withServer(["--rate-login-account", "0", "--rate-login-ip", "0"], async (s) => {
			const c = s.client();
			const acct = await signup(c);
			const fail = () => login(s.client(), acct.email, "wrong-password-x");
			for (let i = 0; i < 101; i++) await Promise.all([fail(), fail()]);
			assert.equal((await login(s.client(), acct.email, acct.password)).status, 200);
			const ev = (await c.get("/me/events")).json.events;
			assert.equal(ev.length, 200);
			assert.equal(ev[0].type, "login.success");
			assert.ok(ev.slice(1).every((e) => e.type === "login.failure"));
		}));

	test("/login: a disabled account's attempts count as failures", () =>
		withServer(["--rate-login-account", "2", "--rate-login-ip", "0"], async (s) => {
			const acct = await signup(s.client());
			assert.equal((await runLatchkey(["user", "disable", acct.email, "--data-dir", s.dataDir])).code, 0);
			for (let i = 0; i < 2; i++) assert.equal((await login(s.client(), acct.email, acct.password)).status, 401);
			assert.equal((await runLatchkey(["user", "enable", acct.email, "--data-dir", s.dataDir])).code, 0);
			assertLimited(await login(s.client(), acct.email, acct.password), 15 * 60);
		}));

	test("/login per account: unknown addresses are limited too", () =>
		withServer(["--rate-login-account", "2", "--rate-login-ip", "0"], async (s) => {
			const email = uniqueEmail("ghost");
			for (let i = 0; i < 2; i++) assert.equal((await login(s.client(), email, "whatever-password")).status, 401);
			assertLimited(await login(s.client(), email, "whatever-password"), 15 * 60);
		}));

	test("/login per address: failures count, then every login from it is 429", () =>
		withServer(["--rate-login-ip", "3", "--rate-login-account", "0", "--rate-signup-ip", "0"], async (s) => {
			const acct = await signup(s.client());
			// successes do not count
			for (let i = 0; i < 4; i++) assert.equal((await login(s.client(), acct.email, acct.password)).status, 200);
			assert.equal((await login(s.client(), uniqueEmail("a"), "whatever-password")).status, 401);
			assert.equal((await login(s.client(), "not-an-email", "whatever-password")).status, 401);
			assert.equal((await login(s.client(), acct.email, "wrong-password-x")).status, 401);
			assertLimited(await login(s.client(), acct.email, acct.password), 15 * 60);
			assertLimited(await login(s.client(), uniqueEmail("b"), "whatever-password"), 15 * 60);
		}));

	test("/signup per address: every parsed signup counts, whatever its outcome", () =>
		withServer(["--rate-signup-ip", "5"], async (s) => {
			await signup(s.client());
			assert.equal((await s.client().post("/signup", { email: "bad", password: "whatever-password" })).status, 400);
			assert.equal((await s.client().post("/signup", { email: uniqueEmail(), password: "short" })).status, 400);
			assert.equal((await s.client().post("/signup", {})).status, 400);
			assert.equal((await s.client().post("/signup", { email: uniqueEmail() })).status, 400);
			// not counted: a body that does not parse
			assert.equal((await s.client().request("POST", "/signup", { body: "{", headers: { "Content-Type": "application/json" } })).status, 400);
			assertLimited(await s.client().post("/signup", { email: uniqueEmail(), password: "a-good-password-123" }), 3600);
			assertLimited(await s.client().post("/signup", {}), 3600);
		}));

	test("/me/reauth: failures are budgeted per account; the session survives", () =>
		withServer(["--rate-2fa-account", "2"], async (s) => {
			const c = s.client();
			const acct = await signup(c);
			for (let i = 0; i < 2; i++) assert.equal((await c.post("/me/reauth", { password: `nope-nope-${i}` })).status, 401);
			assertLimited(await c.post("/me/reauth", { password: acct.password }), 15 * 60);
			// another session of the same account shares the budget
			const d = s.client();
			await login(d, acct.email, acct.password);
			assertLimited(await d.post("/me/reauth", { password: acct.password }), 15 * 60);
			assert.equal((await c.get("/me")).status, 200);
			// logins have their own budget
			assert.equal((await login(s.client(), acct.email, acct.password)).status, 200);
		}));

	test("0 disables a limit", () =>
		withServer(["--rate-login-account", "0", "--rate-login-ip", "0"], async (s) => {
			const acct = await signup(s.client());
			for (let i = 0; i < 12; i++) assert.equal((await login(s.client(), acct.email, `wrong-${i}-password`)).status, 401);
			assert.equal((await login(s.client(), acct.email, acct.password)).status, 200);
		}));
});

describe("mail for all addresses together (SECURITY-PROBES P-123)", () => {
	test("past --rate-mail-global an hour: still 202, nothing sent; unknown addresses count; each feature apart", () =>
		withServer(["--rate-mail-global", "3", "--rate-mail-ip", "0", "--rate-signup-ip", "0"], async (s) => {
			const accts = [];
			for (let i = 0; i < 3; i++) accts.push(await signup(s.client()));
			const ask = (path, email) => s.client().post(path, { email });
			for (const a of accts.slice(0, 2)) {
				assert.equal((await ask("/auth/magic-link", a.email)).status, 202);
				await waitForMail(s.mailDir, { to: a.email, purpose: "magic-link" });
			}
			const unknown = await ask("/auth/magic-link", uniqueEmail());
			assert.equal(unknown.status, 202, "an unknown address takes the third");
			const capped = await ask("/auth/magic-link", accts[2].email);
			assert.equal(capped.status, 202, capped.text);
			assert.deepEqual(capped.json, { status: "sent" });
			await assertNoMail(s.mailDir, { to: accts[2].email, purpose: "magic-link" });
			// recovery has its own budget
			assert.equal((await ask("/auth/recovery", accts[2].email)).status, 202);
			await waitForMail(s.mailDir, { to: accts[2].email, purpose: "recovery" });
		}));
});

describe("client address", { concurrency: true }, () => {
	test("--trusted-proxy: the right-most untrusted X-Forwarded-For entry is the client", () =>
		withServer(["--trusted-proxy", "127.0.0.1,10.0.0.0/8", "--rate-login-ip", "2", "--rate-login-account", "0"], async (s) => {
			const acct = await signup(s.client({ headers: { "X-Forwarded-For": "203.0.113.9" } }));
			const viaProxy = (xff) => s.client({ headers: { "X-Forwarded-For": xff } });
			const c = viaProxy("198.51.100.7, 203.0.113.10, 10.1.2.3");
			assert.equal((await login(c, acct.email, acct.password)).status, 200);
			const list = (await c.get("/me/sessions")).json.sessions;
			assert.deepEqual(list.map((x) => [x.current, x.ip]).sort(), [[false, "203.0.113.9"], [true, "203.0.113.10"]].sort());
			// the per-address login limit follows the forwarded address
			for (let i = 0; i < 2; i++) assert.equal((await login(viaProxy("192.0.2.1"), acct.email, "wrong-password-1")).status, 401);
			assertLimited(await login(viaProxy("192.0.2.1"), acct.email, acct.password), 15 * 60);
			assert.equal((await login(viaProxy("192.0.2.2"), acct.email, acct.password)).status, 200);
			// events carry the forwarded address
			const ev = (await c.get("/me/events")).json.events;
			assert.equal(ev[0].ip, "192.0.2.2");
			assert.ok(ev.some((e) => e.type === "login.failure" && e.ip === "192.0.2.1"));
		}));

	test("without --trusted-proxy, X-Forwarded-For is ignored", () =>
		withServer([], async (s) => {
			const c = s.client({ headers: { "X-Forwarded-For": "203.0.113.9" } });
			await signup(c);
			const list = (await c.get("/me/sessions")).json.sessions;
			assert.equal(list[0].ip, "127.0.0.1");
		}));

	test("a peer outside --trusted-proxy is not believed", () =>
		withServer(["--trusted-proxy", "10.0.0.0/8"], async (s) => {
			const c = s.client({ headers: { "X-Forwarded-For": "203.0.113.9" } });
			await signup(c);
			assert.equal((await c.get("/me/sessions")).json.sessions[0].ip, "127.0.0.1");
		}));
});
