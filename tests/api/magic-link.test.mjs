// API.md "Magic links" (API-NOTES 29, 46, 59, 67-68, 71, 83-94, 119, 126, 133, 135-137, 139):
// requesting a link, the email, using it by token or by code, single use under concurrency,
// the 5 code tries, expiry, redirects, the pre-hijack defence, --magic-link-signup, the rate
// limits, the confirm page and delivery to a real SMTP server.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, before, describe, test } from "node:test";
import { assertNoMail, listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";
import { startSmtp } from "../lib/smtp.mjs";
import { totp } from "../lib/totp.mjs";
import { assertError, login, recordCookie, runLatchkey, signup, sleep, uniqueEmail } from "../lib/api-util.mjs";

const NO_LIMITS = ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0", "--rate-mail-ip", "0", "--rate-mail-email", "0"];
const SAFE = /^\/(?![/\\])/;

let server;
before(async () => {
	server = await startServer({ args: NO_LIMITS });
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

const seen = new Map(); // mail dir -> Set of message files already taken

/** The next magic-link message to email (in queue order) not taken before. */
async function nextMail(srv, email, dir = srv.mailDir) {
	if (!seen.has(dir)) seen.set(dir, new Set());
	const m = await waitForMail(dir, { to: email, purpose: "magic-link", exclude: seen.get(dir) });
	seen.get(dir).add(m.file);
	recordSecret(m.token, `magic-link token for ${email}`);
	for (const c of m.codes) recordSecret(c, `magic-link code for ${email}`);
	return m;
}

/** Requests a link for email (202 required) and returns its message. */
async function requestLink(srv, email, extra = {}, headers = {}) {
	const res = await srv.client().post("/auth/magic-link", { email, ...extra }, { headers });
	assert.equal(res.status, 202, res.text);
	assert.deepEqual(res.json, { status: "sent" });
	return nextMail(srv, email);
}

async function useToken(client, token, extra = {}) {
	return recordCookie(await client.post("/auth/magic-link/verify", { token, ...extra }), "magic-link session");
}

async function useCode(client, email, code) {
	return recordCookie(await client.post("/auth/magic-link/verify", { email, code }), "magic-link session");
}

function eventsOf(res) {
	return res.json.events.map((e) => e.type);
}

function db(srv, sql) {
	return srv.sql(sql); // SQLite or PostgreSQL (server.mjs)
}

async function cli(srv, ...args) {
	const r = await runLatchkey([...args, "--data-dir", srv.dataDir]);
	assert.equal(r.code, 0, `latchkey ${args.join(" ")}: ${r.stderr}`);
	return r;
}

/** `latchkey user disable`: the flag, and no sessions left. */
const disable = (srv, email) => cli(srv, "user", "disable", email);

async function accountExists(srv, email) {
	const r = await runLatchkey(["user", "show", email, "--data-dir", srv.dataDir]);
	assert.ok(r.code === 0 || r.code === 1, r.stderr);
	return r.code === 0;
}

describe("requesting a link", () => {
	test("202 {status: sent} alike for a known, an unknown and a disabled address; mail only to the known one", async () => {
		const known = await signup(server.client());
		const disabled = await signup(server.client());
		await disable(server, disabled.email);
		const unknown = uniqueEmail("nobody");
		const answers = [];
		for (const email of [known.email, unknown, disabled.email]) {
			const res = await server.client().post("/auth/magic-link", { email });
			answers.push(res);
		}
		const shape = (r) => {
			const h = { ...r.headers };
			delete h.date;
			return { status: r.status, text: r.text, headers: h };
		};
		assert.deepEqual(shape(answers[1]), shape(answers[0]), "unknown address: same status, body and headers");
		assert.deepEqual(shape(answers[2]), shape(answers[0]), "disabled account: same status, body and headers");
		assert.equal(answers[0].status, 202);
		assert.deepEqual(answers[0].json, { status: "sent" });
		for (const r of answers) assert.equal(r.setCookie, null, "no cookie");
		await nextMail(server, known.email);
		await assertNoMail(server.mailDir, { to: unknown, purpose: "magic-link" });
		assert.equal(listMail(server.mailDir, { to: disabled.email, purpose: "magic-link" }).length, 0, "API-NOTES 71: nothing for a disabled account");
		// magic_link.requested on the account that got a link only
		const c = server.client();
		assert.equal((await login(c, known.email, known.password)).status, 200);
		assert.ok(eventsOf(await c.get("/me/events")).includes("magic_link.requested"));
	});

	test("known and unknown addresses take comparable time", async () => {
		const known = await signup(server.client());
		const time = async (email) => {
			const t = process.hrtime.bigint();
			const r = await server.client().post("/auth/magic-link", { email });
			assert.equal(r.status, 202);
			return Number(process.hrtime.bigint() - t) / 1e6;
		};
		const median = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
		const k = [];
		const u = [];
		for (let i = 0; i < 15; i++) {
			k.push(await time(known.email));
			u.push(await time(uniqueEmail("ghost")));
		}
		const mk = median(k);
		const mu = median(u);
		assert.ok(Math.abs(mk - mu) < 25, `median known ${mk.toFixed(2)} ms, unknown ${mu.toFixed(2)} ms`);
	});

	test("fields: email required and well-formed (400 invalid_field), redirect a string if present", async () => {
		const c = server.client();
		assertError(await c.post("/auth/magic-link", {}), 400, "missing_field", "email");
		assertError(await c.post("/auth/magic-link", { email: null }), 400, "missing_field", "email");
		assertError(await c.post("/auth/magic-link", { email: 7 }), 400, "invalid_field", "email");
		for (const email of ["not-an-email", "a@localhost", "a b@example.com", "@example.com", `${"a".repeat(65)}@example.com`, "a@@example.com"]) {
			assertError(await c.post("/auth/magic-link", { email }), 400, "invalid_field", "email");
		}
		const { email } = await signup(server.client());
		for (const redirect of [5, true, {}, ["/x"]]) {
			assertError(await c.post("/auth/magic-link", { email, redirect }), 400, "invalid_field", "redirect");
		}
		assert.equal((await c.post("/auth/magic-link", { email, redirect: null })).status, 202, "a null redirect is absent");
		await nextMail(server, email);
	});

	test("the email: link alone on its line, an 8-digit code, origin, time and address; links from --origin only", async () => {
		const { email } = await signup(server.client());
		const t0 = Date.now();
		const m = await requestLink(server, `  ${email.toUpperCase()} `, {}, { Host: "evil.example", "X-Forwarded-Host": "evil.example" });
		assert.equal(m.headers.to.toLowerCase().includes(email), true, m.headers.to);
		assert.equal(m.headers["x-latchkey-purpose"], "magic-link");
		assert.match(m.headers["content-type"], /^text\/plain; charset=utf-8$/i, "one text/plain part (API-NOTES 136)");
		assert.equal(m.headers["content-transfer-encoding"].toLowerCase(), "8bit");
		assert.match(m.file, /^\d{13}-\d{8}\.eml$/);
		assert.match(m.token, /^[A-Za-z0-9_-]{43}$/, "256 bits of base64url");
		const lines = m.body.split("\r\n");
		const link = `${server.origin}/auth/magic-link/verify?token=${m.token}`;
		assert.ok(lines.includes(link), `a line holding exactly ${link}`);
		assert.equal(/(^|[^\r])\n/.test(m.raw), false, "CRLF line endings");
		assert.equal(m.codes.length, 1, "one 8-digit code");
		assert.ok(lines.some((l) => l.trim() === m.codes[0]), "the code on a line of its own");
		assert.ok(m.body.includes(server.origin), "names the origin");
		assert.ok(m.body.includes("127.0.0.1"), "names the client address");
		const stamp = new Date(t0).toISOString().slice(0, 10);
		assert.ok(m.body.includes(stamp), `names the request time (${stamp})`);
		assert.ok(m.body.includes("15 minutes"), "says how long it works");
		assert.doesNotMatch(m.raw, /evil\.example/);
	});

	test("token and code are stored only as hashes; the row expires after --magic-link-ttl (15 min)", async () => {
		const { email } = await signup(server.client());
		const m = await requestLink(server, email);
		const rows = db(server, `SELECT hex(token_hash) AS th, hex(code_hash) AS ch, email, created_at, expires_at, used_at FROM magic_links WHERE email = '${email}'`);
		assert.equal(rows.length, 1);
		const sha = (s) => crypto.createHash("sha256").update(s).digest("hex").toUpperCase();
		assert.equal(rows[0].th, sha(m.token));
		assert.equal(rows[0].ch.length, 64);
		assert.notEqual(rows[0].ch, sha(m.codes[0]), "the code is not a plain hash");
		assert.notEqual(rows[0].ch, sha(email + m.codes[0]));
		assert.equal(rows[0].expires_at - rows[0].created_at, 15 * 60 * 1000);
		assert.equal(rows[0].used_at, null);
		const dump = JSON.stringify(server.sql("SELECT * FROM magic_links"));
		assert.ok(!dump.includes(m.token) && !dump.includes(m.codes[0]), "no secret in the table");
	});
});

describe("using a link", () => {
	test("by token: a full session (amr email_link, aal 1), events and metrics; then spent for token and code", async () => {
		const acct = await signup(server.client());
		// verify the address first so that no pre-hijack defence applies
		const vm = await waitForMail(server.mailDir, { to: acct.email, purpose: "verify-email" });
		recordSecret(vm.token, "verification token");
		const owner = server.client();
		assert.equal((await login(owner, acct.email, acct.password)).status, 200);
		assert.equal((await owner.post("/auth/verify-email", { token: vm.token })).status, 200);

		const m = await requestLink(server, acct.email);
		const c = server.client();
		const res = await useToken(c, m.token);
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { status: "authenticated", user: { id: acct.user.id, email: acct.email, emailVerified: true } });
		assert.ok(res.cookie, "a session cookie");
		const me = await c.get("/me");
		assert.equal(me.status, 200);
		assert.deepEqual(me.json.session.amr, ["email_link"]);
		assert.equal(me.json.session.aal, 1);
		assert.equal(me.json.hasPassword, true, "a verified account keeps its password");
		assert.equal((await owner.get("/me")).status, 200, "and its other sessions");
		const ev = (await c.get("/me/events")).json.events;
		assert.deepEqual(ev.slice(0, 3).map((e) => e.type), ["login.success", "magic_link.used", "magic_link.requested"]);
		assert.deepEqual(ev[0].detail, { method: "magic_link" });
		assert.ok(!ev.some((e) => e.type === "email.verified" && e.detail.via === "magic_link"), "nothing else changes");
		// single use: the token again, and the code of the same email
		assertError(await useToken(server.client(), m.token), 400, "invalid_or_expired_token");
		assertError(await useCode(server.client(), acct.email, m.codes[0]), 400, "invalid_or_expired_token");
		const metrics = await server.jar.get("/metrics");
		assert.match(metrics.text, /^latchkey_logins_total\{(?=[^}]*method="magic_link")(?=[^}]*outcome="success")[^}]*\} [1-9]\d*$/m);
		assert.match(metrics.text, /^latchkey_logins_total\{(?=[^}]*method="magic_link")(?=[^}]*outcome="failure")[^}]*\} [1-9]\d*$/m);
	});

	test("by email and code (spaces, dashes and case ignored); the token is spent with it", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email);
		const code = m.codes[0];
		const c = server.client();
		const res = await useCode(c, ` ${acct.email.toUpperCase()}`, `${code.slice(0, 4)} - ${code.slice(4)}`);
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "authenticated");
		assert.equal(res.json.user.email, acct.email);
		assert.deepEqual((await c.get("/me")).json.session.amr, ["email_link"]);
		assertError(await useToken(server.client(), m.token), 400, "invalid_or_expired_token");
		assertError(await useCode(server.client(), acct.email, code), 400, "invalid_or_expired_token");
		const ev = (await c.get("/me/events")).json.events;
		assert.deepEqual(ev.find((e) => e.type === "magic_link.used").detail, { via: "code" });
	});

	test("a code as a JSON number is zero-padded; other types are 400 invalid_field", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email);
		const res = await server.client().post("/auth/magic-link/verify", { email: acct.email, code: Number(m.codes[0]) });
		recordCookie(res);
		assert.equal(res.status, 200, `${m.codes[0]} as a number: ${res.text}`);
		for (const code of [true, {}, [], -1, 1.5]) {
			assertError(await server.client().post("/auth/magic-link/verify", { email: acct.email, code }), 400, "invalid_field", "code");
		}
	});

	test("fields: token, or email and code", async () => {
		const c = server.client();
		assertError(await c.post("/auth/magic-link/verify", {}), 400, "missing_field", "token");
		assertError(await c.post("/auth/magic-link/verify", { token: 7 }), 400, "invalid_field", "token");
		assertError(await c.post("/auth/magic-link/verify", { email: "a@example.com" }), 400, "missing_field", "code");
		assertError(await c.post("/auth/magic-link/verify", { code: "12345678" }), 400, "missing_field", "email");
		assertError(await c.post("/auth/magic-link/verify", { email: 1, code: "12345678" }), 400, "invalid_field", "email");
		for (const token of ["", "x", "A".repeat(43), "A".repeat(44), "A".repeat(5000), "../../etc/passwd"]) {
			assertError(await c.post("/auth/magic-link/verify", { token }), 400, "invalid_or_expired_token");
		}
		for (const [email, code] of [["nobody@example.com", "12345678"], ["not-an-email", "12345678"], ["a@example.com", "1234567"], ["a@example.com", "123456789"], ["a@example.com", "abcdefgh"], ["a@example.com", ""]]) {
			assertError(await c.post("/auth/magic-link/verify", { email, code }), 400, "invalid_or_expired_token");
		}
		assert.equal(c.cookie, null, "no session from failures");
	});

	test("the identity comes from the token, never from an email sent beside it (P-077)", async () => {
		const alice = await signup(server.client());
		const bob = await signup(server.client());
		const m = await requestLink(server, bob.email);
		const res = await useToken(server.client(), m.token, { email: alice.email });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.user.email, bob.email);
		// and a code works only with the address it was sent to
		const m2 = await requestLink(server, bob.email);
		assertError(await useCode(server.client(), alice.email, m2.codes[0]), 400, "invalid_or_expired_token");
	});

	test("tokens are bound to their purpose (P-082)", async () => {
		const acct = await signup(server.client());
		const vm = await waitForMail(server.mailDir, { to: acct.email, purpose: "verify-email" });
		recordSecret(vm.token, "verification token");
		const m = await requestLink(server, acct.email);
		assertError(await server.client().post("/auth/verify-email", { token: m.token }), 400, "invalid_or_expired_token");
		assertError(await useToken(server.client(), vm.token), 400, "invalid_or_expired_token");
		assert.equal((await useToken(server.client(), m.token)).status, 200, "both still work where they belong");
	});

	test("20 parallel uses of one token: exactly one session", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email);
		const results = await Promise.all(Array.from({ length: 20 }, () => useToken(server.client(), m.token)));
		const ok = results.filter((r) => r.status === 200);
		assert.equal(ok.length, 1, results.map((r) => r.status).join(","));
		for (const r of results.filter((x) => x.status !== 200)) assertError(r, 400, "invalid_or_expired_token");
		const sessions = db(server, `SELECT COUNT(*) AS n FROM sessions WHERE user_id = '${acct.user.id}'`);
		assert.equal(sessions[0].n, 1, "one session (the pre-hijack defence revoked the signup one)");
	});

	test("20 parallel uses of one code, and token and code raced: exactly one session", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email);
		const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? useCode(server.client(), acct.email, m.codes[0]) : useToken(server.client(), m.token))));
		assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(","));
	});

	test("5 tries per code: the 5th may succeed; after 5 wrong ones the code is dead but the token works", async () => {
		const wrong = (code) => String((Number(code) + 1) % 1e8).padStart(8, "0");
		const a = await signup(server.client());
		const m = await requestLink(server, a.email);
		for (let i = 0; i < 4; i++) assertError(await useCode(server.client(), a.email, wrong(m.codes[0])), 400, "invalid_or_expired_token");
		assert.equal((await useCode(server.client(), a.email, m.codes[0])).status, 200, "the 5th try");

		const b = await signup(server.client());
		const n = await requestLink(server, b.email);
		for (let i = 0; i < 5; i++) assertError(await useCode(server.client(), b.email, wrong(n.codes[0])), 400, "invalid_or_expired_token");
		assertError(await useCode(server.client(), b.email, n.codes[0]), 400, "invalid_or_expired_token");
		assert.equal((await useToken(server.client(), n.token)).status, 200, "the link itself still works");

		// parallel wrong guesses cannot stretch the budget
		const d = await signup(server.client());
		const o = await requestLink(server, d.email);
		const guesses = await Promise.all(Array.from({ length: 12 }, (_, i) => useCode(server.client(), d.email, String((Number(o.codes[0]) + 1 + i) % 1e8).padStart(8, "0"))));
		assert.ok(guesses.every((r) => r.status === 400));
		assertError(await useCode(server.client(), d.email, o.codes[0]), 400, "invalid_or_expired_token");
		const tries = db(server, `SELECT code_tries FROM magic_links WHERE email = '${d.email}'`);
		assert.equal(tries[0].code_tries, 5);
	});

	test("the GET confirm page: 200 whatever the token, never consumes, no-store, no-referrer, strict CSP", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email);
		for (const q of [`?token=${m.token}`, `?token=${m.token}`, "?token=garbage", "?token=", ""]) {
			const page = await server.client().get(`/auth/magic-link/verify${q}`);
			assert.equal(page.status, 200);
			assert.match(page.headers["content-type"], /^text\/html/);
			assert.equal(page.headers["cache-control"], "no-store");
			assert.equal(page.headers["referrer-policy"], "no-referrer");
			assert.equal(page.headers["x-content-type-options"], "nosniff");
			assert.equal(page.headers["x-frame-options"], "DENY");
			const csp = page.headers["content-security-policy"] || "";
			assert.match(csp, /default-src 'none'/);
			assert.match(csp, /script-src 'self'/);
			assert.match(csp, /frame-ancestors 'none'/);
			assert.doesNotMatch(csp, /unsafe-inline/);
			assert.match(page.text, /<button[^>]*>Sign in<\/button>/);
			assert.ok(!page.text.includes(m.token), "the page does not embed the token");
			assert.equal(page.setCookie, null);
		}
		assert.equal((await useToken(server.client(), m.token)).status, 200, "the token survived the GETs");
		const head = await server.client().request("HEAD", `/auth/magic-link/verify?token=${m.token}`);
		assert.equal(head.status, 200);
		assertError(await server.client().request("PUT", "/auth/magic-link/verify", { json: {} }), 405, "method_not_allowed");
	});

	test("a disabled account: 401 invalid_credentials and the link is spent", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email);
		await disable(server, acct.email);
		assertError(await useToken(server.client(), m.token), 401, "invalid_credentials");
		await cli(server, "user", "enable", acct.email);
		assertError(await useToken(server.client(), m.token), 400, "invalid_or_expired_token");
	});

	test("signing in again keeps the session the client already held (API-NOTES 43)", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email);
		const c = server.client();
		const res = await useToken(c, m.token);
		assert.equal(res.status, 200);
		const again = await requestLink(server, acct.email);
		const held = c.cookie;
		const res2 = await useToken(c, again.token);
		assert.equal(res2.status, 200);
		assert.notEqual(res2.cookie, held, "a new cookie");
		assert.equal((await c.get("/me", { cookie: held })).status, 200, "a full session already held is kept (API-NOTES 43)");
	});
});

describe("redirect", () => {
	test("a safe path is echoed exactly as sent", async () => {
		for (const redirect of ["/", "/dashboard", "/a/b?c=d&e=%2F#frag", "/caf%C3%A9", "/ünïcode", `/${"x".repeat(2047)}`]) {
			const acct = await signup(server.client());
			const m = await requestLink(server, acct.email, { redirect });
			const res = await useToken(server.client(), m.token);
			assert.equal(res.status, 200, res.text);
			assert.equal(res.json.redirect, redirect);
		}
	});

	test("unsafe values are ignored (202, never echoed)", async () => {
		const attacks = [
			"//evil.example",
			"/\\evil.example",
			"\\\\evil.example",
			"https://evil.example",
			"http:///evil.example",
			"https:evil.example",
			"/%2F%2Fevil.example",
			"/%2fevil.example",
			"/%5Cevil.example",
			"%2F%2Fevil.example",
			"%2Fx",
			"/%09/evil.example",
			"/\t/evil.example",
			"/x\r\nSet-Cookie: a=b",
			"/x%0d%0aSet-Cookie:%20a=b",
			"/x\u007f",
			"javascript:alert(1)",
			"data:text/html,x",
			"evil.example",
			"",
			" /x",
			"/%",
			"/%zz",
			"/%C3",
			"/%FF",
			`/${"x".repeat(2048)}`,
		];
		for (const redirect of attacks) {
			const acct = await signup(server.client());
			const m = await requestLink(server, acct.email, { redirect });
			const res = await useToken(server.client(), m.token);
			assert.equal(res.status, 200, res.text);
			assert.equal("redirect" in res.json, false, `${JSON.stringify(redirect)} echoed as ${JSON.stringify(res.json.redirect)}`);
		}
	});

	test("a code sign-in echoes the link's redirect too", async () => {
		const acct = await signup(server.client());
		const m = await requestLink(server, acct.email, { redirect: "/after/code" });
		const res = await useCode(server.client(), acct.email, m.codes[0]);
		assert.equal(res.status, 200);
		assert.equal(res.json.redirect, "/after/code");
		assert.ok(SAFE.test(res.json.redirect));
	});
});

describe("pre-hijack defence and verification", () => {
	test("a magic link to an unverified account: password removed, every session revoked, email verified, then signed in", async () => {
		const attacker = server.client();
		const acct = await signup(attacker); // someone registered the victim's address with a password
		const attacker2 = server.client();
		assert.equal((await login(attacker2, acct.email, acct.password)).status, 200);
		const m = await requestLink(server, acct.email);
		const victim = server.client();
		const res = await useToken(victim, m.token);
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "authenticated");
		assert.equal(res.json.user.emailVerified, true);
		assertError(await attacker.get("/me"), 401, "unauthenticated");
		assertError(await attacker2.get("/me"), 401, "unauthenticated");
		assertError(await login(server.client(), acct.email, acct.password), 401, "invalid_credentials");
		const me = await victim.get("/me");
		assert.equal(me.json.emailVerified, true);
		assert.equal(me.json.hasPassword, false);
		assert.equal(me.json.totpEnabled, false);
		assert.equal(me.json.passkeys, 0);
		assert.equal((await victim.get("/me/auth-methods")).json.magicLink, true);
		const ev = (await victim.get("/me/events")).json.events;
		assert.deepEqual(ev.slice(0, 4).map((e) => e.type), ["login.failure", "login.success", "magic_link.used", "email.verified"]);
		const verified = ev[3];
		assert.equal(verified.detail.via, "magic_link");
		assert.deepEqual([...verified.detail.removed].sort(), ["passkeys", "password", "recovery_codes", "totp"]);
		assert.equal(verified.detail.sessionsRevoked, 2);
		// the verification link of the attacker's signup is now worth nothing more
		const vm = await waitForMail(server.mailDir, { to: acct.email, purpose: "verify-email" });
		recordSecret(vm.token, "verification token");
		const v = await server.client().post("/auth/verify-email", { token: vm.token });
		assert.equal(v.status, 200, "the address is verified already; the token was still unused");
		assert.equal((await victim.get("/me")).status, 200, "and verifying again revokes nothing");
	});

	test("a verified account: nothing changes but the new session", async () => {
		const c = server.client();
		const acct = await signup(c);
		const vm = await waitForMail(server.mailDir, { to: acct.email, purpose: "verify-email" });
		recordSecret(vm.token, "verification token");
		assert.equal((await c.post("/auth/verify-email", { token: vm.token })).status, 200);
		const m = await requestLink(server, acct.email);
		assert.equal((await useToken(server.client(), m.token)).status, 200);
		assert.equal((await c.get("/me")).status, 200, "the signup session lives on");
		assert.equal((await login(server.client(), acct.email, acct.password)).status, 200, "the password still works");
		const ev = eventsOf(await c.get("/me/events"));
		assert.equal(ev.filter((t) => t === "email.verified").length, 1, "only the link's verification");
	});
});

/** Verifies the address of an account with its own session (no pre-hijack defence). */
async function verifyOwn(srv, client, email) {
	const vm = await waitForMail(srv.mailDir, { to: email, purpose: "verify-email" });
	recordSecret(vm.token, "verification token");
	assert.equal((await client.post("/auth/verify-email", { token: vm.token })).status, 200);
}

/** Enables TOTP for the account of client (in sudo mode) and returns the secret. */
async function enableTotp(client) {
	const setup = await client.post("/2fa/totp/setup", {});
	assert.equal(setup.status, 200, setup.text);
	const secret = recordSecret(setup.json.secret, "totp secret");
	const en = await client.post("/2fa/totp/enable", { code: totp(secret) });
	assert.equal(en.status, 200, en.text);
	for (const c of en.json.recoveryCodes) recordSecret(c, "recovery code");
	return secret;
}

describe("second factor, recoveries", () => {
	test("a TOTP user owes the second factor: 2fa_required, a pending session, the redirect echoed", async () => {
		const owner = server.client();
		const acct = await signup(owner);
		await verifyOwn(server, owner, acct.email);
		const secret = await enableTotp(owner);
		const m = await requestLink(server, acct.email, { redirect: "/after/2fa" });
		const c = server.client();
		const res = await useToken(c, m.token);
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, { status: "2fa_required", methods: ["totp", "recovery_code"], redirect: "/after/2fa" });
		assert.ok(res.cookie, "a pending session cookie");
		assertError(await c.get("/me"), 401, "unauthenticated");
		const done = recordCookie(await c.post("/login/2fa", { code: totp(secret, { at: Date.now() / 1000 + 30 }) }));
		assert.equal(done.status, 200, done.text);
		assert.equal(done.json.status, "authenticated");
		const me = await c.get("/me");
		assert.deepEqual(me.json.session.amr, ["email_link", "otp"]);
		assert.equal(me.json.session.aal, 2);
		assert.equal(me.json.totpEnabled, true, "a verified account keeps its TOTP");
		const ev = (await c.get("/me/events")).json.events;
		assert.deepEqual(ev[0], { ...ev[0], type: "login.success", detail: { method: "magic_link", secondFactor: "totp" } });
		assert.equal(ev.filter((e) => e.type === "login.success").length, 1, "nothing recorded before the second step");
		assert.ok(ev.some((e) => e.type === "magic_link.used"));
		// by code too
		const m2 = await requestLink(server, acct.email);
		const byCode = await useCode(server.client(), acct.email, m2.codes[0]);
		assert.equal(byCode.json.status, "2fa_required");
		assert.equal("redirect" in byCode.json, false);
		const metrics = await server.jar.get("/metrics");
		assert.match(metrics.text, /^latchkey_logins_total\{(?=[^}]*method="magic_link")(?=[^}]*outcome="2fa_required")[^}]*\} [1-9]\d*$/m);
	});

	test("pre-hijack: TOTP and recovery codes an unverified party set up are removed; the link signs in fully", async () => {
		const attacker = server.client();
		const acct = await signup(attacker);
		await enableTotp(attacker);
		const m = await requestLink(server, acct.email);
		const victim = server.client();
		const res = await useToken(victim, m.token);
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "authenticated", "no second factor is left to owe");
		const me = await victim.get("/me");
		assert.equal(me.json.totpEnabled, false);
		assert.equal(me.json.recoveryCodesRemaining, 0);
		assert.equal(me.json.hasPassword, false);
		assertError(await attacker.get("/me"), 401, "unauthenticated");
		const pw = await login(server.client(), acct.email, acct.password);
		assertError(pw, 401, "invalid_credentials");
	});

	test("a pending session the client held is ended when a link gives it a new one", async () => {
		const owner = server.client();
		const acct = await signup(owner);
		await verifyOwn(server, owner, acct.email);
		const secret = await enableTotp(owner);
		const c = server.client();
		assert.equal((await login(c, acct.email, acct.password)).json.status, "2fa_required");
		const held = c.cookie;
		const m = await requestLink(server, acct.email);
		const res = await useToken(c, m.token);
		assert.equal(res.json.status, "2fa_required");
		assert.ok(res.cookie && res.cookie !== held, "a new pending cookie");
		const code = totp(secret, { at: Date.now() / 1000 + 30 });
		assertError(await c.post("/login/2fa", { code }, { cookie: held }), 401, "no_pending_session");
		assert.equal(recordCookie(await c.post("/login/2fa", { code })).status, 200);
	});

	test("a locked-down account: no link without a second factor to go on to; with TOTP, 2fa_required", async () => {
		const c = server.client();
		const plain = await signup(c);
		await verifyOwn(server, c, plain.email);
		const early = await requestLink(server, plain.email);
		server.sql(`UPDATE users SET locked_down = 1 WHERE email = '${plain.email}'`);
		assert.equal((await server.client().post("/auth/magic-link", { email: plain.email })).status, 202);
		await assertNoMail(server.mailDir, { to: plain.email, purpose: "magic-link", exclude: seen.get(server.mailDir) });
		assertError(await useToken(server.client(), early.token), 401, "invalid_credentials");
		assertError(await useToken(server.client(), early.token), 400, "invalid_or_expired_token");

		const owner = server.client();
		const acct = await signup(owner);
		await verifyOwn(server, owner, acct.email);
		const secret = await enableTotp(owner);
		server.sql(`UPDATE users SET locked_down = 1 WHERE email = '${acct.email}'`);
		const m = await requestLink(server, acct.email);
		const d = server.client();
		const res = await useToken(d, m.token);
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "2fa_required");
		const done = recordCookie(await d.post("/login/2fa", { code: totp(secret, { at: Date.now() / 1000 + 30 }) }));
		assert.equal(done.status, 200, done.text);
		assert.equal(Number(server.sql(`SELECT locked_down FROM users WHERE email = '${acct.email}'`)[0].locked_down), 0, "the second factor lifts the lock");
	});

	test("a password change and a lockdown spend the account's unused links; a newer link leaves an older one valid (P-076)", async () => {
		const owner = server.client();
		const acct = await signup(owner);
		await verifyOwn(server, owner, acct.email);
		const secret = await enableTotp(owner);
		const older = await requestLink(server, acct.email);
		const newer = await requestLink(server, acct.email);
		assert.equal((await useToken(server.client(), older.token)).json.status, "2fa_required", "mail arrives out of order");

		const beforeChange = await requestLink(server, acct.email);
		assert.equal((await owner.post("/me/password", { newPassword: `${acct.password}-changed` })).status, 204);
		assertError(await useToken(server.client(), newer.token), 400, "invalid_or_expired_token");
		assertError(await useCode(server.client(), acct.email, beforeChange.codes[0]), 400, "invalid_or_expired_token");
		const afterChange = await requestLink(server, acct.email);

		const notice = await waitForMail(server.mailDir, { to: acct.email, purpose: "password-changed" });
		const lock = notice.links.find((l) => new URL(l).pathname === "/auth/lockdown");
		assert.ok(lock, notice.body);
		const token = recordSecret(new URL(lock).searchParams.get("token"), "lockdown token");
		assert.equal((await server.client().post("/auth/lockdown", { token })).status, 200);
		assertError(await useToken(server.client(), afterChange.token), 400, "invalid_or_expired_token");
		// a link asked for after the lockdown leads to the second step as before
		const fresh = await requestLink(server, acct.email);
		const d = server.client();
		assert.equal((await useToken(d, fresh.token)).json.status, "2fa_required");
		assert.equal(recordCookie(await d.post("/login/2fa", { code: totp(secret, { at: Date.now() / 1000 + 30 }) })).status, 200);
	});

	test("a full sign-in by magic link cancels a recovery in its waiting period", async () => {
		const owner = server.client();
		const acct = await signup(owner);
		await verifyOwn(server, owner, acct.email);
		assert.equal((await server.client().post("/auth/recovery", { email: acct.email })).status, 202);
		const rm = await waitForMail(server.mailDir, { to: acct.email, purpose: "recovery" });
		const link = rm.links.find((l) => new URL(l).pathname === "/recovery");
		const r = recordSecret(new URL(link).searchParams.get("token"), "recovery token");
		assert.equal((await server.client().post("/auth/recovery/start", { token: r })).status, 200);
		const m = await requestLink(server, acct.email);
		const c = server.client();
		assert.equal((await useToken(c, m.token)).status, 200);
		const ev = (await c.get("/me/events")).json.events;
		const cancelled = ev.find((e) => e.type === "recovery.cancelled");
		assert.ok(cancelled, ev.map((e) => e.type).join(","));
		assert.deepEqual(cancelled.detail, { reason: "sign-in" });
	});
});

describe("separate servers", { concurrency: true }, () => {
	test("expiry: a link and its code stop working after --magic-link-ttl", async () => {
		const s = await startServer({ args: [...NO_LIMITS, "--magic-link-ttl", "2s"] });
		try {
			const a = await signup(s.client());
			const m = await requestLink(s, a.email);
			assert.ok(m.body.includes("2 seconds"), "the email states the lifetime");
			const fresh = await requestLink(s, a.email);
			assert.equal((await useToken(s.client(), fresh.token)).status, 200, "usable at once");
			await sleep(2300);
			assertError(await useToken(s.client(), m.token), 400, "invalid_or_expired_token");
			assertError(await useCode(s.client(), a.email, m.codes[0]), 400, "invalid_or_expired_token");
		} finally {
			assert.equal((await s.stop()).code, 0);
		}
	});

	test("--magic-link-signup: an unknown address gets a link; the account is made when it is used", async () => {
		const s = await startServer({ args: [...NO_LIMITS, "--magic-link-signup"] });
		try {
			const email = uniqueEmail("newcomer");
			const m = await requestLink(s, email);
			assert.equal(await accountExists(s, email), false, "no account before the link is used");
			const c = s.client();
			const res = await useToken(c, m.token);
			assert.equal(res.status, 200, res.text);
			assert.equal(res.json.status, "authenticated");
			assert.equal(res.json.user.email, email);
			assert.equal(res.json.user.emailVerified, true);
			assert.match(res.json.user.id, /^[A-Za-z0-9_-]+$/);
			const me = await c.get("/me");
			assert.equal(me.json.hasPassword, false, "passwordless");
			assert.equal(me.json.emailVerified, true);
			assert.deepEqual(me.json.session.amr, ["email_link"]);
			assertError(await login(s.client(), email, "any password at all 1"), 401, "invalid_credentials");
			assert.ok(eventsOf(await c.get("/me/events")).includes("login.success"));
			// a second link for the address now names the account, and signs into the same one
			const m2 = await requestLink(s, email);
			const again = await useCode(s.client(), email, m2.codes[0]);
			assert.equal(again.json.user.id, res.json.user.id);
			// the code path works for a first sign-in too
			const other = uniqueEmail("newcomer");
			const m3 = await requestLink(s, other);
			const byCode = await useCode(s.client(), other, m3.codes[0]);
			assert.equal(byCode.status, 200, byCode.text);
			assert.equal(byCode.json.user.email, other);
		} finally {
			assert.equal((await s.stop()).code, 0);
		}
	});

	test("without --magic-link-signup, links issued earlier under it create nothing", async () => {
		const s = await startServer({ args: [...NO_LIMITS, "--magic-link-signup"] });
		const email = uniqueEmail("late");
		let m;
		try {
			m = await requestLink(s, email);
		} finally {
			assert.equal((await s.stop()).code, 0);
		}
		const t = await startServer({ args: NO_LIMITS, dataDir: s.dataDir });
		try {
			assertError(await useToken(t.client(), m.token), 400, "invalid_or_expired_token");
		} finally {
			assert.equal((await t.stop()).code, 0);
		}
	});

	test("rate limits: 5 per email per hour (still 202, nothing sent), counted for unknown addresses too", async () => {
		const s = await startServer({ args: ["--rate-signup-ip", "0"] });
		try {
			const acct = await signup(s.client());
			for (let i = 0; i < 5; i++) await requestLink(s, acct.email);
			for (let i = 0; i < 2; i++) {
				const res = await s.client().post("/auth/magic-link", { email: ` ${acct.email.toUpperCase()}` });
				assert.equal(res.status, 202);
				assert.deepEqual(res.json, { status: "sent" });
			}
			await assertNoMail(s.mailDir, { to: acct.email, purpose: "magic-link", exclude: seen.get(s.mailDir) });
			// an address without an account spends its budget just the same
			const later = uniqueEmail("later");
			for (let i = 0; i < 5; i++) assert.equal((await s.client().post("/auth/magic-link", { email: later })).status, 202);
			await signup(s.client(), { email: later });
			assert.equal((await s.client().post("/auth/magic-link", { email: later })).status, 202);
			await assertNoMail(s.mailDir, { to: later, purpose: "magic-link" });
			// parallel requests cannot slip past the budget
			const burst = await signup(s.client());
			const answers = await Promise.all(Array.from({ length: 12 }, () => s.client().post("/auth/magic-link", { email: burst.email })));
			assert.ok(answers.every((r) => r.status === 202));
			for (let i = 0; i < 5; i++) await nextMail(s, burst.email);
			await assertNoMail(s.mailDir, { to: burst.email, purpose: "magic-link", exclude: seen.get(s.mailDir) });
		} finally {
			assert.equal((await s.stop()).code, 0);
		}
	});

	test("rate limits: 30 per address per hour, then 429 with Retry-After (not counted); --rate-mail-ip", async () => {
		const s = await startServer({ args: ["--trusted-proxy", "127.0.0.1"] });
		try {
			const from = (ip) => ({ headers: { "X-Forwarded-For": ip } });
			for (let i = 0; i < 30; i++) {
				const res = await s.client().post("/auth/magic-link", { email: uniqueEmail("flood") }, from("198.51.100.7"));
				assert.equal(res.status, 202, `request ${i + 1}: ${res.text}`);
			}
			const t0 = Date.now();
			for (let i = 0; i < 3; i++) {
				const res = await s.client().post("/auth/magic-link", { email: uniqueEmail("flood") }, from("198.51.100.7"));
				assert.equal(res.status, 429, res.text);
				assert.equal(res.json.error, "rate_limited");
				const ra = Number(res.headers["retry-after"]);
				assert.match(res.headers["retry-after"], /^[1-9]\d*$/);
				assert.ok(Math.abs(ra - (3600 - Math.floor((Date.now() - t0) / 1000))) <= 5, `Retry-After ${ra}`);
			}
			assertError(await s.client().post("/auth/magic-link", { email: "bad" }, from("198.51.100.7")), 400, "invalid_field", "email");
			assert.equal((await s.client().post("/auth/magic-link", { email: uniqueEmail("flood") }, from("198.51.100.8"))).status, 202, "another address is not limited");
			// parallel requests from one address: exactly the limit gets through
			const answers = await Promise.all(Array.from({ length: 40 }, () => s.client().post("/auth/magic-link", { email: uniqueEmail("burst") }, from("198.51.100.9"))));
			assert.equal(answers.filter((r) => r.status === 202).length, 30, answers.map((r) => r.status).join(","));
			assert.equal(answers.filter((r) => r.status === 429).length, 10);
		} finally {
			assert.equal((await s.stop()).code, 0);
		}
		const t = await startServer({ args: ["--rate-mail-ip", "2", "--rate-mail-email", "0"] });
		try {
			assert.equal((await t.client().post("/auth/magic-link", { email: uniqueEmail("x") })).status, 202);
			assert.equal((await t.client().post("/auth/magic-link", { email: uniqueEmail("x") })).status, 202);
			assert.equal((await t.client().post("/auth/magic-link", { email: uniqueEmail("x") })).status, 429);
		} finally {
			assert.equal((await t.stop()).code, 0);
		}
	});

	test("SMTP: the link reaches a real SMTP server and works", async () => {
		const smtp = await startSmtp();
		const s = await startServer({ args: NO_LIMITS, smtp });
		try {
			const acct = await signup(s.client());
			const res = await s.client().post("/auth/magic-link", { email: acct.email, redirect: "/welcome" });
			assert.equal(res.status, 202);
			const m = await nextMail(s, acct.email, smtp.maildir);
			assert.equal(m.headers["x-rcptto"], acct.email);
			assert.equal(m.headers["x-latchkey-purpose"], "magic-link");
			assert.ok(m.body.split(/\r?\n/).includes(`${s.origin}/auth/magic-link/verify?token=${m.token}`));
			const used = await useToken(s.client(), m.token);
			assert.equal(used.status, 200, used.text);
			assert.equal(used.json.redirect, "/welcome");
			assert.equal(listMail(s.mailDir).length, 0, "nothing went to the mail dir");
		} finally {
			assert.equal((await s.stop()).code, 0);
			await smtp.stop();
		}
	});
});
