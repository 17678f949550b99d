// API.md "Accounts and sessions" (signup, verify-email, login, logout), the session cookie and
// the verification email (API-NOTES 17-18, 22-33, 44, 135-137).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { SESSION_COOKIE, startServer } from "../lib/server.mjs";
import { assertError, login, parseSetCookie, recordCookie, runLatchkey, signup, strongPassword, uniqueEmail } from "../lib/api-util.mjs";

const SESSION_TTL_S = 3600;
let server;
let api;
before(async () => {
	server = await startServer({ args: ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0", "--session-ttl", "1h"] });
	api = server.jar;
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

function assertSessionCookie(res, maxAge) {
	assert.ok(res.setCookie, "a session cookie is set");
	const c = parseSetCookie(res.setCookie);
	assert.equal(c.name, SESSION_COOKIE);
	assert.match(c.value, /^[A-Za-z0-9_-]{43,}$/, "at least 256 bits of base64url");
	assert.equal(c.attrs.get("httponly"), true);
	assert.equal(String(c.attrs.get("samesite")).toLowerCase(), "lax");
	assert.equal(c.attrs.get("path"), "/");
	assert.equal(c.attrs.has("domain"), false, "no Domain");
	assert.equal(c.attrs.has("secure"), false, "no Secure on an http origin");
	const age = Number(c.attrs.get("max-age"));
	assert.ok(Math.abs(age - maxAge) <= 2, `Max-Age ${age} ~ ${maxAge}`);
	return c;
}

function assertClearingCookie(res) {
	assert.ok(res.setCookie, "a clearing cookie is sent");
	const c = parseSetCookie(res.setCookie);
	assert.equal(c.name, SESSION_COOKIE);
	assert.equal(c.value, "");
	assert.equal(c.attrs.get("max-age"), "0");
	assert.match(String(c.attrs.get("expires")), /1970/);
	assert.equal(c.attrs.get("path"), "/");
	assert.equal(c.attrs.get("httponly"), true);
	assert.equal(c.attrs.has("domain"), false);
}

describe("signup", () => {
	test("201 with the user, a full session cookie in sudo mode", async () => {
		const c = server.client();
		const email = uniqueEmail("shape");
		const password = strongPassword();
		const res = recordCookie(await c.post("/signup", { email, password }));
		assert.equal(res.status, 201, res.text);
		assert.deepEqual(Object.keys(res.json).sort(), ["user"]);
		assert.deepEqual(Object.keys(res.json.user).sort(), ["email", "emailVerified", "id"]);
		assert.equal(res.json.user.email, email);
		assert.equal(res.json.user.emailVerified, false);
		assert.match(res.json.user.id, /^[A-Za-z0-9_-]+$/);
		assertSessionCookie(res, SESSION_TTL_S);
		const me = await c.get("/me");
		assert.equal(me.status, 200, me.text);
		assert.equal(me.json.id, res.json.user.id);
		assert.deepEqual(me.json.session.amr, ["pwd"]);
		assert.equal(me.json.session.aal, 1);
		assert.ok(Date.parse(me.json.session.sudoUntil) > Date.now() + 60000, "in sudo mode");
		// signup records no event
		const ev = await c.get("/me/events");
		assert.deepEqual(ev.json.events, []);
	});

	test("an https origin adds Secure", async () => {
		const s = await startServer({ origin: "https://localhost:8443", args: ["--rp-id", "localhost"] });
		try {
			const res = await signup(s.client());
			const c = parseSetCookie(res.res.setCookie);
			assert.equal(c.attrs.get("secure"), true);
			assert.equal(c.attrs.get("httponly"), true);
			const out = await s.client().post("/logout");
			assert.equal(parseSetCookie(out.setCookie).attrs.get("secure"), true);
		} finally {
			await s.stop();
		}
	});

	test("emails are trimmed and ASCII letters lower-cased; other letters kept", async () => {
		const tag = Math.random().toString(36).slice(2, 8);
		const raw = ` \t Alice.${tag}+News@Example.COM\r\n `;
		const norm = `alice.${tag}+news@example.com`;
		const password = strongPassword();
		const res = recordCookie(await server.client().post("/signup", { email: raw, password }));
		assert.equal(res.status, 201, res.text);
		assert.equal(res.json.user.email, norm);
		const again = await server.client().post("/signup", { email: norm.toUpperCase(), password: strongPassword() });
		assertError(again, 409, "email_taken");
		const li = await login(server.client(), `  ${norm.toUpperCase()} `, password);
		assert.equal(li.status, 200, li.text);
		const vtff = await login(server.client(), `\u000b\u000c${norm}\u000c\u000b\n`, password);
		assert.equal(vtff.status, 200, `VT and FF are trimmed too: ${vtff.text}`);
		assert.equal(li.json.user.email, norm);
		const accented = recordCookie(await server.client().post("/signup", { email: `ÉLISE.${tag}@Example.com`, password: strongPassword() }));
		assert.equal(accented.status, 201, accented.text);
		assert.equal(accented.json.user.email, `Élise.${tag}@example.com`);
		const quoted = recordCookie(await server.client().post("/signup", { email: `o'brien+x.${tag}@sub.example.co.uk`, password: strongPassword() }));
		assert.equal(quoted.status, 201, quoted.text);
	});

	test("invalid emails are 400 invalid_field (email)", async () => {
		const bad = [
			"",
			"   ",
			"plainaddress",
			"@example.com",
			"a@",
			"a@@example.com",
			"a@b@example.com",
			"a@localhost",
			"a@example",
			"a@example.",
			"a@.example.com",
			"a@example..com",
			"a b@example.com",
			"a@exa mple.com",
			"a\u0000@example.com",
			"a\u0001b@example.com",
			"a\tb@example.com",
			"a\u007f@example.com",
			"a\u0085@example.com",
			"a\u00a0b@example.com",
			"a\u1680@example.com",
			"a\u2003@example.com",
			"a\u2028@example.com",
			"a\u2029@example.com",
			"a\u202f@example.com",
			"a\u205f@example.com",
			"a\u3000@example.com",
			"a\ufeff@example.com",
			`${"l".repeat(65)}@example.com`,
			`${"l".repeat(64)}@${"d".repeat(180)}.${"e".repeat(5)}`, // 64 + 1 + 186 = 251: fine length, but see below
		];
		// the last one is valid (251 bytes); replace it by a 255-byte address
		bad[bad.length - 1] = `${"l".repeat(64)}@${"d".repeat(185)}.${"e".repeat(4)}`;
		assert.equal(Buffer.byteLength(bad[bad.length - 1]), 255);
		for (const email of bad) {
			const res = await server.client().post("/signup", { email, password: "a-perfectly-fine-password" });
			assertError(res, 400, "invalid_field", "email");
		}
		for (const email of [42, true, ["a@example.com"], { a: 1 }]) {
			const res = await server.client().post("/signup", { email, password: "a-perfectly-fine-password" });
			assertError(res, 400, "invalid_field", "email");
		}
	});

	test("limits: a 64-byte local part and a 254-byte address are accepted", async () => {
		const tag = Math.random().toString(36).slice(2, 8);
		const local64 = `${tag}${"l".repeat(64 - tag.length)}@example.com`;
		const res1 = recordCookie(await server.client().post("/signup", { email: local64, password: strongPassword() }));
		assert.equal(res1.status, 201, res1.text);
		const long = `${tag}@${"d".repeat(254 - tag.length - 1 - 4)}.com`;
		assert.equal(Buffer.byteLength(long), 254);
		const res2 = recordCookie(await server.client().post("/signup", { email: long, password: strongPassword() }));
		assert.equal(res2.status, 201, res2.text);
		// 254 bytes counted in UTF-8, not in characters
		const multi = `é${tag}@${"d".repeat(254 - tag.length - 1 - 1 - 4)}.com`;
		assert.equal(Buffer.byteLength(multi), 255);
		assertError(await server.client().post("/signup", { email: multi, password: strongPassword() }), 400, "invalid_field", "email");
	});

	test("weak passwords are 400 weak_password", async () => {
		const weak = ["", "short7c", "1234567", "password", "Password123", "PASSWORD123", "pAsSwOrD123", "qwertyuiop", "😀😀😀😀😀😀😀", "é".repeat(257), "a".repeat(300)];
		for (const password of weak) {
			const res = await server.client().post("/signup", { email: uniqueEmail("weak"), password });
			assertError(res, 400, "weak_password");
		}
	});

	test("length counts code points: 8 and 256 multi-byte code points are accepted", async () => {
		const eight = recordSecret("ü😀é漢ßø€ñ", "8 code points");
		assert.equal([...eight].length, 8);
		const r8 = recordCookie(await server.client().post("/signup", { email: uniqueEmail("cp8"), password: eight }));
		assert.equal(r8.status, 201, r8.text);
		const many = recordSecret("é".repeat(255) + "x", "256 code points");
		const r256 = recordCookie(await server.client().post("/signup", { email: uniqueEmail("cp256"), password: many }));
		assert.equal(r256.status, 201, r256.text);
	});

	test("parallel signups for one address: exactly one account", async () => {
		const email = uniqueEmail("race");
		const answers = await Promise.all(Array.from({ length: 6 }, () => server.client().post("/signup", { email, password: strongPassword() })));
		answers.forEach((r) => recordCookie(r));
		const statuses = answers.map((r) => r.status).sort();
		assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409], statuses.join(" "));
		for (const r of answers.filter((x) => x.status === 409)) assert.equal(r.json.error, "email_taken");
	});

	test("missing and wrongly typed fields; the order email → password present → weak → taken", async () => {
		assertError(await server.client().post("/signup", {}), 400, "missing_field", "email");
		assertError(await server.client().post("/signup", { email: uniqueEmail() }), 400, "missing_field", "password");
		assertError(await server.client().post("/signup", { email: uniqueEmail(), password: null }), 400, "missing_field", "password");
		assertError(await server.client().post("/signup", { email: uniqueEmail(), password: 12345678 }), 400, "invalid_field", "password");
		assertError(await server.client().post("/signup", { email: "not-an-email" }), 400, "invalid_field", "email");
		assertError(await server.client().post("/signup", { email: "not-an-email", password: "x" }), 400, "invalid_field", "email");
		const { email } = await signup(server.client());
		assertError(await server.client().post("/signup", { email, password: strongPassword() }), 409, "email_taken");
		assertError(await server.client().post("/signup", { email, password: "password123" }), 400, "weak_password");
		assertError(await server.client().post("/signup", { email, password: "short" }), 400, "weak_password");
	});

	test("the verification email: the link alone on its line, CRLF, 0600, <unix-ms>-<id>.eml", async () => {
		const before = Date.now();
		const { email } = await signup(server.client(), { headers: { Host: "evil.example", "X-Forwarded-Host": "evil.example" } });
		const m = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
		recordSecret(m.token, "verification token");
		assert.match(m.file, /^\d{13}-\d{8}\.eml$/);
		const ms = Number(m.file.split("-")[0]);
		assert.ok(ms >= before - 1000 && ms <= Date.now() + 1000, `file time ${ms}`);
		const st = fs.statSync(m.path);
		assert.equal(st.mode & 0o777, 0o600);
		const raw = fs.readFileSync(m.path);
		assert.equal(raw.includes(Buffer.from("\r\n")), true);
		assert.equal(/(^|[^\r])\n/.test(raw.toString("latin1")), false, "every line ends with CRLF");
		const lines = m.body.split("\r\n");
		const link = `${server.origin}/auth/verify-email?token=${m.token}`;
		assert.ok(lines.includes(link), `a line holding exactly ${link}`);
		assert.match(m.token, /^[A-Za-z0-9_-]{43,}$/);
		assert.doesNotMatch(m.raw, /evil\.example/);
		assert.match(m.headers["content-type"], /^text\/plain; charset=utf-8$/i);
		assert.equal(m.headers["content-transfer-encoding"].toLowerCase(), "8bit");
		assert.equal(m.headers.from, "latchkey <latchkey@localhost>");
		for (const h of ["date", "to", "subject", "message-id", "mime-version"]) assert.ok(m.headers[h], h);
		assert.equal(fs.readdirSync(server.mailDir).filter((n) => n.startsWith(".")).length, 0, "no temporary files left");
	});
});

describe("verify-email", () => {
	test("with the account's own session: verified, nothing else changes; single use", async () => {
		const c = server.client();
		const { email, password } = await signup(c);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
		recordSecret(m.token, "verification token");
		const other = server.client();
		assert.equal((await login(other, email, password)).status, 200);
		const res = await c.post("/auth/verify-email", { token: m.token });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { status: "verified" });
		const me = await c.get("/me");
		assert.equal(me.json.emailVerified, true);
		assert.equal(me.json.hasPassword, true);
		assert.equal((await other.get("/me")).status, 200, "other sessions stay");
		assert.equal((await c.get("/me/auth-methods")).json.magicLink, true);
		assertError(await c.post("/auth/verify-email", { token: m.token }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/verify-email", { token: m.token }), 400, "invalid_or_expired_token");
		assert.equal((await login(server.client(), email, password)).status, 200, "the password still works");
		const ev = await c.get("/me/events");
		const verified = ev.json.events.filter((e) => e.type === "email.verified");
		assert.equal(verified.length, 1);
		assert.equal(verified[0].detail.via, "link");
		assert.equal(verified[0].detail.removed, undefined);
	});

	test("pre-hijack defence: verifying without a session removes the password and revokes sessions", async () => {
		const attacker = server.client();
		const { email, password } = await signup(attacker);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
		recordSecret(m.token, "verification token");
		const owner = server.client();
		const res = await owner.post("/auth/verify-email", { token: m.token });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { status: "verified" });
		assert.equal(res.cookie, null, "verifying creates no session");
		assertError(await attacker.get("/me"), 401, "unauthenticated");
		assertError(await login(server.client(), email, password), 401, "invalid_credentials");
	});

	test("the GET confirm page never consumes the token", async () => {
		const c = server.client();
		const { email } = await signup(c);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
		recordSecret(m.token, "verification token");
		for (let i = 0; i < 2; i++) {
			const page = await server.client().get(`/auth/verify-email?token=${m.token}`);
			assert.equal(page.status, 200);
			assert.match(page.headers["content-type"], /^text\/html/);
			assert.ok(/Verify email/.test(page.text), "a Verify email button");
		}
		assert.equal((await c.get("/me")).json.emailVerified, false);
		assert.equal((await c.post("/auth/verify-email", { token: m.token })).status, 200);
	});

	test("verifying with a session of another account is the pre-hijack case", async () => {
		const attacker = server.client();
		const { email, password } = await signup(attacker);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
		recordSecret(m.token, "verification token");
		const someoneElse = server.client();
		await signup(someoneElse);
		const res = await someoneElse.post("/auth/verify-email", { token: m.token });
		assert.equal(res.status, 200, res.text);
		assert.equal((await someoneElse.get("/me")).status, 200, "the caller's own session is untouched");
		assertError(await attacker.get("/me"), 401, "unauthenticated");
		assertError(await login(server.client(), email, password), 401, "invalid_credentials");
	});

	test("parallel uses of one token: exactly one succeeds", async () => {
		const c = server.client();
		const { email } = await signup(c);
		const m = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
		recordSecret(m.token, "verification token");
		const answers = await Promise.all(Array.from({ length: 6 }, () => c.post("/auth/verify-email", { token: m.token })));
		assert.deepEqual(answers.map((r) => r.status).sort(), [200, 400, 400, 400, 400, 400]);
		const ev = (await c.get("/me/events")).json.events.filter((e) => e.type === "email.verified");
		assert.equal(ev.length, 1);
	});

	test("bad tokens are 400 invalid_or_expired_token; a missing one missing_field", async () => {
		for (const token of ["", "x", "A".repeat(43), "A".repeat(2000), "../../etc/passwd"]) {
			assertError(await server.client().post("/auth/verify-email", { token }), 400, "invalid_or_expired_token");
		}
		assertError(await server.client().post("/auth/verify-email", {}), 400, "missing_field", "token");
		assertError(await server.client().post("/auth/verify-email", { token: 7 }), 400, "invalid_field", "token");
	});
});

describe("login", () => {
	let acct;
	before(async () => {
		acct = await signup(server.client());
	});

	test("success: status, user and a full session cookie (amr pwd, aal 1)", async () => {
		const c = server.client();
		const res = await login(c, acct.email, acct.password);
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(Object.keys(res.json).sort(), ["status", "user"]);
		assert.equal(res.json.status, "authenticated");
		assert.deepEqual(res.json.user, { id: acct.user.id, email: acct.email, emailVerified: false });
		assertSessionCookie(res, SESSION_TTL_S);
		const me = await c.get("/me");
		assert.deepEqual(me.json.session.amr, ["pwd"]);
		assert.equal(me.json.session.aal, 1);
	});

	test("unknown email, wrong password and an invalid email get identical 401 bodies", async () => {
		const answers = [
			await login(server.client(), uniqueEmail("nobody"), acct.password),
			await login(server.client(), acct.email, `${acct.password}x`),
			await login(server.client(), acct.email, ""),
			await login(server.client(), "not an email", acct.password),
			await login(server.client(), "a@localhost", acct.password),
			await login(server.client(), "", acct.password),
		];
		for (const res of answers) {
			assert.equal(res.status, 401, res.text);
			assert.equal(res.text, answers[0].text);
			assert.equal(res.json.error, "invalid_credentials");
			assert.equal(res.setCookie, null);
		}
	});

	test("missing or non-string fields are 400", async () => {
		assertError(await server.client().post("/login", {}), 400, "missing_field");
		assertError(await server.client().post("/login", { email: acct.email }), 400, "missing_field", "password");
		assertError(await server.client().post("/login", { password: acct.password }), 400, "missing_field", "email");
		assertError(await server.client().post("/login", { email: acct.email, password: 1 }), 400, "invalid_field", "password");
		assertError(await server.client().post("/login", { email: { a: 1 }, password: acct.password }), 400, "invalid_field", "email");
	});

	test("signing in again keeps the session the client already holds", async () => {
		const c = server.client();
		const first = await login(c, acct.email, acct.password);
		const old = first.cookie;
		const second = await login(c, acct.email, acct.password);
		assert.notEqual(second.cookie, old);
		assert.equal((await c.get("/me", { cookie: old })).status, 200);
		assert.equal((await c.get("/me")).status, 200);
	});
});

describe("a disabled account (latchkey user disable)", () => {
	test("sessions revoked, sign-in refused like a wrong password, events; enable brings no session back", async () => {
		const c = server.client({ headers: { "User-Agent": "disabled-test" } });
		const acct = await signup(c);
		const other = server.client();
		await login(other, acct.email, acct.password);
		const dis = await runLatchkey(["user", "disable", acct.email, "--data-dir", server.dataDir]);
		assert.equal(dis.code, 0, dis.stderr);
		assertError(await c.get("/me"), 401, "unauthenticated");
		assertError(await other.get("/me"), 401, "unauthenticated");
		const right = await login(server.client(), acct.email, acct.password);
		const wrong = await login(server.client(), acct.email, "not-the-password-1");
		assert.equal(right.status, 401);
		assert.equal(right.text, wrong.text, "the same body as a wrong password");
		assert.equal(right.setCookie, null);
		const en = await runLatchkey(["user", "enable", acct.email, "--data-dir", server.dataDir]);
		assert.equal(en.code, 0, en.stderr);
		assertError(await c.get("/me"), 401, "unauthenticated");
		const d = server.client();
		assert.equal((await login(d, acct.email, acct.password)).status, 200);
		const ev = (await d.get("/me/events")).json.events;
		assert.deepEqual(
			ev.map((e) => e.type),
			["login.success", "admin.enabled", "login.failure", "login.failure", "admin.disabled", "login.success"],
		);
		assert.equal(ev[3].detail.reason, "disabled");
		assert.equal(ev[2].detail.reason, undefined);
		assert.equal(ev[1].ip, null);
		assert.equal(ev[1].userAgent, null);
		assert.equal(ev[4].ip, null);
	});
});

describe("logout", () => {
	test("204, the session is deleted and the cookie cleared", async () => {
		const acct = await signup(server.client());
		const c = server.client();
		const li = await login(c, acct.email, acct.password);
		const token = li.cookie;
		const res = await c.post("/logout");
		assert.equal(res.status, 204);
		assert.equal(res.body.length, 0);
		assertClearingCookie(res);
		assertError(await c.get("/me", { cookie: token }), 401, "unauthenticated");
		// the token stays dead: a second logout with it is still 204, and it signs nobody in
		assert.equal((await c.post("/logout", undefined, { cookie: token })).status, 204);
		assertError(await c.get("/me", { cookie: token }), 401, "unauthenticated");
		assert.equal((await login(server.client(), acct.email, acct.password)).status, 200);
	});

	test("without a session: 204 and a clearing cookie", async () => {
		const res = await server.client().post("/logout");
		assert.equal(res.status, 204);
		assertClearingCookie(res);
		const bogus = await server.client().post("/logout", undefined, { cookie: "not-a-session" });
		assert.equal(bogus.status, 204);
		assertClearingCookie(bogus);
	});

	test("records session.revoked (reason logout)", async () => {
		const a = server.client();
		const acct = await signup(a);
		const b = server.client();
		await login(b, acct.email, acct.password);
		assert.equal((await b.post("/logout")).status, 204);
		const ev = await a.get("/me/events");
		const revoked = ev.json.events.find((e) => e.type === "session.revoked");
		assert.ok(revoked, JSON.stringify(ev.json));
		assert.equal(revoked.detail.reason, "logout");
	});
});

describe("the server keeps no secrets in files it should not", () => {
	test("no verification mail is left as a temporary file and every mail is 0600", () => {
		for (const m of listMail(server.mailDir)) {
			assert.equal(fs.statSync(path.join(server.mailDir, m.file)).mode & 0o777, 0o600, m.file);
		}
	});
});
