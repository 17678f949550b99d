// Black-box probes from SECURITY-PROBES.md not covered by the other tests/api files (see
// /work/notes/probes-audit.md for the full map): login fast paths and storage (P-002, P-011,
// P-012), the 2FA skip over every route of routes.def (P-109, P-110, P-052), client-chosen
// policy (P-112), second factors bound to their user and spent everywhere (P-033, P-038,
// P-044, P-046, P-047, P-056, P-128), races (P-036, P-111, P-120, P-139), recovery
// and magic-link mail steering (P-059, P-060, P-062, P-063, P-066, P-124), mass assignment
// (P-057, P-115), distributed guessing (P-118) and durability after kill -9 (P-145 - P-147).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { repoRoot, startServer } from "../lib/server.mjs";
import { assertNoMail, listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { totp } from "../lib/totp.mjs";
import { login, rawHttp, runLatchkey, signup, sleep, strongPassword, uniqueEmail } from "../lib/api-util.mjs";

const OPEN = ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0", "--rate-mail-ip", "0"];
const servers = [];
async function serve(args = [], opts = {}) {
	const s = await startServer({ args, ...opts });
	servers.push(s);
	return s;
}
after(async () => {
	for (const s of servers) {
		if (s.process.exitCode === null && s.process.signalCode === null) {
			const { code } = await s.stop();
			assert.equal(code, 0);
		}
	}
});

let server; // default limits for 2FA, open ones for logins; 24 h recovery delay
before(async () => {
	server = await serve(OPEN);
});

function assertError(res, status, code) {
	assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
	assert.equal(res.json?.error, code, res.text);
}


// ---- TOTP helpers (codes from tests/lib/totp.mjs, RFC 6238 SHA-1 / 6 digits / 30 s) ----

const nowS = () => Date.now() / 1000;
const stepNow = () => Math.floor(nowS() / 30);
const codeAt = (secret, step) => totp(secret, { at: step * 30 + 1 });

/** Waits until at least 4 s remain in the current 30-s step. */
async function safeWindow() {
	for (;;) {
		const into = nowS() % 30;
		if (into >= 0.3 && 30 - into >= 4) return;
		await sleep((30 - into + 0.4) * 1000);
	}
}

/** A new account (full session in sudo mode) with TOTP enabled at the current step t. The
 * code of step t+1 is still unused and accepted (skew 1): a.next. */
async function totpAccount(srv = server) {
	const c = srv.client();
	const acct = await signup(c);
	const s = await c.post("/2fa/totp/setup", {});
	assert.equal(s.status, 200, s.text);
	recordSecret(s.json.secret, "totp secret");
	recordSecret(s.json.otpauthUri, "otpauth uri");
	await safeWindow();
	const step = stepNow();
	const e = await c.post("/2fa/totp/enable", { code: codeAt(s.json.secret, step) });
	assert.equal(e.status, 200, e.text);
	for (const r of e.json.recoveryCodes) recordSecret(r, "recovery code");
	return { ...acct, c, srv, secret: s.json.secret, step, next: codeAt(s.json.secret, step + 1), codes: e.json.recoveryCodes };
}

/** A new client holding a pending session of a. */
async function pending(a) {
	const c = a.srv.client();
	const r = await login(c, a.email, a.password);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, "2fa_required", r.text);
	return c;
}

async function remaining(a) {
	const r = await a.c.get("/2fa/recovery-codes");
	assert.equal(r.status, 200, r.text);
	return r.json.remaining;
}

// ---- B1 ----

describe("password login fast paths and storage", () => {
	test("empty, one-character, over-long and null passwords answer alike for known and unknown emails (P-002)", async () => {
		const acct = await signup(server.client());
		const unknown = uniqueEmail("ghost");
		for (const password of ["", "a", "p".repeat(300), null, 12345678]) {
			const known = await server.client().post("/login", { email: acct.email, password });
			const ghost = await server.client().post("/login", { email: unknown, password });
			assert.equal(known.status, ghost.status, `password ${JSON.stringify(password)?.slice(0, 10)}`);
			assert.equal(known.text, ghost.text, `password ${JSON.stringify(password)?.slice(0, 10)}`);
			assert.equal(known.setCookie, ghost.setCookie);
			assert.ok([400, 401].includes(known.status), known.text);
		}
	});

	test("password hashes: Argon2id, salted (two equal passwords differ), no password bytes in the database (P-011)", async () => {
		const password = strongPassword("shared password");
		const a = await signup(server.client(), { password });
		const b = await signup(server.client(), { password });
		const rows = server.sql(`SELECT email, password_hash FROM users WHERE email IN ('${a.email}', '${b.email}')`);
		assert.equal(rows.length, 2);
		for (const r of rows) {
			assert.match(r.password_hash, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}$/, r.password_hash);
			assert.ok(!r.password_hash.includes(password));
		}
		assert.notEqual(rows[0].password_hash, rows[1].password_hash);
		const m = /m=(\d+),t=(\d+)/.exec(rows[0].password_hash);
		assert.ok(Number(m[1]) >= 19456 || (Number(m[1]) >= 7168 && Number(m[2]) >= 5), `OWASP minimum Argon2id cost: ${m[0]}`);
		for (const f of ["latchkey.db", "latchkey.db-wal"]) {
			if (!fs.existsSync(path.join(server.dataDir, f))) continue; // PostgreSQL runs
			assert.ok(!fs.readFileSync(path.join(server.dataDir, f)).includes(Buffer.from(password)), `${f} holds a password`);
		}
	});

	test("a fresh install has no accounts: default credentials fail (P-012)", async () => {
		const fresh = await serve(OPEN);
		const list = await runLatchkey(["user", "list", "--data-dir", fresh.dataDir]);
		assert.equal(list.code, 0, list.stderr);
		assert.equal(list.stdout.trim(), "", "no account exists before the first signup");
		for (const [email, password] of [["admin", "admin"], ["root", "root"], ["admin@localhost", "latchkey"], ["admin@example.com", "admin"], ["latchkey@localhost", "latchkey"]]) {
			assertError(await fresh.client().post("/login", { email, password }), 401, "invalid_credentials");
		}
	});
});

// ---- B10: the pending session reaches nothing but the second step ----

function routeTable() {
	const text = fs.readFileSync(path.join(repoRoot, "src/http/routes.def"), "utf8");
	const out = [];
	for (const m of text.matchAll(/^ROUTE\("([A-Z]+)",\s*"([^"]+)",\s*(\w+),\s*([^)]*)\)/gm)) {
		out.push({ method: m[1], path: m[2].replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA"), handler: m[3], flags: m[4] });
	}
	return out;
}

describe("the 2FA skip (P-109, P-110, P-052)", () => {
	test("a pending session gets 401 at every route that needs a session, and changes nothing", async () => {
		const a = await totpAccount();
		const c = a.srv.client();
		const li = await login(c, a.email, a.password);
		assert.equal(li.json.status, "2fa_required");
		// P-013: the pending cookie has the full cookie's attributes and a 10-minute life
		assert.match(li.setCookie, /;\s*HttpOnly/i);
		assert.match(li.setCookie, /;\s*SameSite=(Lax|Strict)/i);
		assert.match(li.setCookie, /;\s*Path=\/(;|$)/);
		assert.doesNotMatch(li.setCookie, /Domain=/i);
		assert.match(li.setCookie, /Max-Age=600(;|$)/);
		assert.ok(!li.text.includes(c.cookie), "the token is not in the body");
		const routes = routeTable().filter((r) => /A_FULL|A_SUDO/.test(r.flags));
		assert.ok(routes.length >= 15, "routes.def parsed");
		const bodies = { "/me/password": { newPassword: "a-brand-new-password-1" }, "/me/reauth": { password: a.password }, "/2fa/totp/disable": { code: a.next }, "/2fa/totp/enable": { code: a.next } };
		for (const r of routes) {
			const res = await c.request(r.method, r.path, r.method === "GET" ? {} : { json: bodies[r.path] || {} });
			assert.equal(res.status, 401, `${r.method} ${r.path}: ${res.status} ${res.text}`);
			assert.equal(res.json?.error, "unauthenticated", `${r.method} ${r.path}`);
		}
		const check = await c.get("/auth/check");
		assert.equal(check.status, 401, "forward auth refuses a pending session");
		assert.equal(check.headers["x-latchkey-user-id"], undefined);
		// nothing changed: the pending session still finishes with a code, the password still works
		const done = await c.post("/login/2fa", { code: a.next });
		assert.equal(done.status, 200, done.text);
		const types = (await c.get("/me/events")).json.events.map((e) => e.type);
		for (const t of ["password.changed", "totp.disabled", "recovery_codes.regenerated", "reauth.success", "session.revoked"]) assert.ok(!types.includes(t), `${t} recorded`);
		assert.equal((await login(server.client(), a.email, a.password)).json.status, "2fa_required");
	});

	test("HTTP Basic credentials are not a way in, for a 2FA account or any other", async () => {
		const a = await totpAccount();
		const plain = await signup(server.client());
		for (const acct of [a, plain]) {
			const basic = `Basic ${Buffer.from(`${acct.email}:${acct.password}`).toString("base64")}`;
			for (const p of ["/me", "/auth/check", "/me/sessions"]) {
				const res = await server.client().get(p, { headers: { Authorization: basic } });
				assert.equal(res.status, 401, `${p} with Basic`);
			}
		}
	});

	test("the login body cannot choose the policy (P-112)", async () => {
		const a = await totpAccount();
		const c = server.client();
		const res = await c.post("/login", { email: a.email, password: a.password, aal: 2, mfa: false, skip_mfa: true, method: "none", remember_device: true, state: "authenticated", status: "authenticated", amr: ["pwd", "otp"] }, { headers: { "X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1" } });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.status, "2fa_required");
		assertError(await c.get("/me"), 401, "unauthenticated");
	});
});

// ---- B3 / B4 / B5: second factors ----

describe("second factors are bound to their user and spent everywhere", () => {
	test("another user's code and recovery code are refused and stay unspent (P-038, P-044)", async () => {
		const alice = await totpAccount();
		const bob = await totpAccount();
		const bc = await pending(bob);
		assertError(await bc.post("/login/2fa", { code: alice.next }), 401, "invalid_code");
		assertError(await bc.post("/login/2fa", { recoveryCode: alice.codes[0] }), 401, "invalid_code");
		assert.equal(await remaining(alice), 10);
		const ac = await pending(alice);
		assert.equal((await ac.post("/login/2fa", { code: alice.next })).status, 200, "alice's code was not spent by bob's attempt");
		const ac2 = await pending(alice);
		assert.equal((await ac2.post("/login/2fa", { recoveryCode: alice.codes[0] })).status, 200);
	});

	test("TOTP format variants of a spent code are refused (P-033); a NUL never truncates a code (P-128)", async () => {
		const a = await totpAccount();
		const C = a.next;
		const first = await pending(a);
		for (const v of [`${C}\u0000`, `${C}\u00001`]) {
			const res = await first.post("/login/2fa", { code: v });
			assert.ok(res.status === 400 || res.status === 401, res.text);
			assert.equal(res.cookie, null);
		}
		assert.equal((await first.post("/login/2fa", { code: C })).status, 200, "the NUL variants did not spend the code");
		const fullWidth = [...C].map((d) => String.fromCharCode(0xff10 + Number(d))).join("");
		const variants = [` ${C}`, `${C} `, `${C.slice(0, 3)} ${C.slice(3)}`, `${C.slice(0, 3)}-${C.slice(3)}`, fullWidth, `${C}\n`, `\t${C}`, Number(C)];
		let c = await pending(a);
		let tries = 0;
		for (const v of variants) {
			if (tries === 4) {
				c = await pending(a);
				tries = 0;
			}
			const res = await c.post("/login/2fa", { code: v });
			tries++;
			assertError(res, 401, "invalid_code");
		}
	});

	test("a recovery code with a NUL is refused and the code stays usable (P-128)", async () => {
		const a = await totpAccount();
		const R = a.codes[1];
		const c = await pending(a);
		for (const v of [`${R}\u0000`, `${R}\u0000junk`, `${R.slice(0, 5)}\u0000${R.slice(5)}`]) {
			const res = await c.post("/login/2fa", { recoveryCode: v });
			assert.ok(res.status === 400 || res.status === 401, res.text);
			assert.equal(res.cookie, null);
		}
		assert.equal(await remaining(a), 10);
		assert.equal((await c.post("/login/2fa", { recoveryCode: R })).status, 200);
	});

	test("a recovery code replaces only the second factor (P-046)", async () => {
		const a = await totpAccount();
		const R = a.codes[2];
		assertError(await server.client().post("/login", { email: a.email, password: R }), 401, "invalid_credentials");
		assertError(await server.client().post("/login/2fa", { recoveryCode: R }), 401, "no_pending_session");
		assertError(await server.client().post("/login/2fa", { email: a.email, recoveryCode: R }), 401, "no_pending_session");
		assertError(await a.c.post("/me/reauth", { password: R }), 401, "invalid_credentials");
		assertError(await server.client().post("/auth/recovery/start", { token: R }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/complete", { token: R, newPassword: "a-brand-new-password-2" }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/magic-link/verify", { email: a.email, code: R }), 400, "invalid_or_expired_token");
		assert.equal(await remaining(a), 10, "none of these spent it");
		assert.equal((await login(server.client(), a.email, a.password)).json.status, "2fa_required", "the password is unchanged");
	});

	test("a code accepted by /me/reauth is spent for sign-in too (P-056)", async () => {
		const a = await totpAccount();
		const re = await a.c.post("/me/reauth", { code: a.next });
		assert.equal(re.status, 200, re.text);
		const c = await pending(a);
		assertError(await c.post("/login/2fa", { code: a.next }), 401, "invalid_code");
	});

	test("a code used by /2fa/totp/disable is spent: re-enabling needs a new secret (P-055, P-056)", async () => {
		const a = await totpAccount();
		const d = await a.c.post("/2fa/totp/disable", { code: a.next });
		assert.equal(d.status, 200, d.text);
		assert.equal((await login(server.client(), a.email, a.password)).json.status, "authenticated");
		assertError(await a.c.post("/2fa/totp/enable", { code: a.next }), 400, "no_pending_setup");
		const s = await a.c.post("/2fa/totp/setup", {});
		assert.equal(s.status, 200, s.text);
		recordSecret(s.json.secret, "totp secret");
		recordSecret(s.json.otpauthUri, "otpauth uri");
		assert.notEqual(s.json.secret, a.secret, "a fresh secret");
		assert.equal(await remaining(a), 0, "old recovery codes are gone");
	});
});

describe("one 2FA budget for codes and recovery codes (--rate-2fa-account 4) (P-047)", () => {
	test("wrong TOTP codes and wrong recovery codes count together; past the budget even a right one is 429", async () => {
		const srv = await serve([...OPEN, "--rate-2fa-account", "4"]);
		const a = await totpAccount(srv);
		const wrongCode = a.next === "000000" ? "111111" : "000000";
		const attempts = [{ code: wrongCode }, { recoveryCode: "aaaaa-aaaaa" }, { code: wrongCode }, { recoveryCode: "bbbbb-bbbbb" }];
		for (const body of attempts) {
			const c = await pending(a); // a new pending session each time: the budget is the account's
			assertError(await c.post("/login/2fa", body), 401, "invalid_code");
		}
		const c = await pending(a);
		assertError(await c.post("/login/2fa", { recoveryCode: a.codes[0] }), 429, "rate_limited");
		assertError(await c.post("/login/2fa", { code: a.next }), 429, "rate_limited");
		assert.equal(await remaining(a), 10, "the refused recovery code was not spent");
	});
});

// ---- races ----

/** Sends the requests together on separate connections; resolves to the answers. */
const together = (fns) => Promise.all(fns.map((f) => f()));

describe("races (--threads 8)", () => {
	let srv;
	before(async () => {
		srv = await serve(["--threads", "8", "--rate-login-account", "5", "--rate-login-ip", "0", "--rate-signup-ip", "0", "--rate-2fa-account", "5", "--rate-mail-ip", "0"]);
	});

	test("40 parallel wrong passwords against a budget of 5: at most 5 are checked (P-120)", async () => {
		const acct = await signup(srv.client());
		const res = await together(Array.from({ length: 40 }, (_, i) => () => srv.client().post("/login", { email: acct.email, password: `wrong-password-${i}` })));
		const checked = res.filter((r) => r.status === 401).length;
		const limited = res.filter((r) => r.status === 429).length;
		assert.equal(checked + limited, 40, res.map((r) => r.status).join(","));
		assert.ok(checked <= 5, `${checked} wrong passwords were checked past a budget of 5`);
		assertError(await srv.client().post("/login", { email: acct.email, password: acct.password }), 429, "rate_limited");
	});

	test("a locked-out account still gets its recovery and magic-link emails (P-124)", async () => {
		const acct = await signup(srv.client());
		for (let i = 0; i < 5; i++) await srv.client().post("/login", { email: acct.email, password: `wrong-${i}-password` });
		assertError(await srv.client().post("/login", { email: acct.email, password: acct.password }), 429, "rate_limited");
		assert.equal((await srv.client().post("/auth/recovery", { email: acct.email })).status, 202);
		assert.equal((await srv.client().post("/auth/magic-link", { email: acct.email })).status, 202);
		await waitForMail(srv.mailDir, { to: acct.email, purpose: "recovery" });
		await waitForMail(srv.mailDir, { to: acct.email, purpose: "magic-link" });
	});

	test("30 parallel wrong codes from 30 pending sessions against a budget of 5: at most 5 are checked (P-036)", async () => {
		const a = await totpAccount(srv);
		const clients = [];
		for (let i = 0; i < 30; i++) clients.push(await pending(a));
		const wrong = a.next === "000000" ? "111111" : "000000";
		const res = await together(clients.map((c, i) => () => c.post("/login/2fa", i % 2 ? { code: wrong } : { recoveryCode: "zzzzz-zzzzz" })));
		assert.ok(res.every((r) => r.status === 401 || r.status === 429), res.map((r) => r.status).join(","));
		const checked = res.filter((r) => r.status === 401).length;
		assert.ok(checked <= 5, `${checked} wrong codes were checked past a budget of 5`);
	});

	test("one pending session finished twice at once (code and recovery code): one full session (P-111)", async () => {
		const a = await totpAccount(srv);
		const c = await pending(a);
		const token = c.cookie;
		const send = (body) => () => srv.client().post("/login/2fa", body, { cookie: token });
		const res = await together([send({ code: a.next }), send({ recoveryCode: a.codes[0] }), send({ recoveryCode: a.codes[1] })]);
		const ok = res.filter((r) => r.status === 200);
		assert.equal(ok.length, 1, res.map((r) => `${r.status} ${r.text}`).join(" | "));
		for (const r of res.filter((x) => x.status !== 200)) assert.equal(r.cookie === null || r.cookie === "", true, "a loser gets no session cookie");
		assertError(await srv.client().get("/me", { cookie: token }), 401, "unauthenticated");
		const sessions = (await srv.client().get("/me/sessions", { cookie: ok[0].cookie })).json.sessions;
		assert.equal(sessions.length, 2, "the signup session and one from this sign-in");
	});

	test("five parallel regenerations leave exactly one live set of 10 codes (P-139)", async () => {
		const a = await totpAccount(srv);
		const res = await together(Array.from({ length: 5 }, () => () => a.c.post("/2fa/recovery-codes", {})));
		assert.ok(res.every((r) => r.status === 200), res.map((r) => `${r.status} ${r.text}`).join(" | "));
		for (const r of res) for (const code of r.json.recoveryCodes) recordSecret(code, "recovery code");
		assert.equal(await remaining(a), 10);
		let live = 0;
		for (const r of res) {
			const c = await pending(a);
			const u = await c.post("/login/2fa", { recoveryCode: r.json.recoveryCodes[0] });
			if (u.status === 200) live++;
			else assertError(u, 401, "invalid_code");
		}
		assert.equal(live, 1, "exactly one set works");
		assert.ok((await Promise.all(a.codes.slice(0, 1).map(async (code) => (await (await pending(a)).post("/login/2fa", { recoveryCode: code })).status))).every((s) => s === 401), "the enabling set is dead");
	});
});

// ---- B6 / B7: recovery and magic-link mail ----

describe("account recovery and magic-link mail", () => {
	async function recoveryToken(srv, email, afterMail) {
		const m = await waitForMail(srv.mailDir, { to: email, purpose: "recovery", after: afterMail });
		const link = m.links.find((l) => new URL(l).pathname === "/recovery");
		return { link, token: recordSecret(new URL(link).searchParams.get("token"), "recovery token"), mail: m };
	}

	test("the link is built from --origin whatever Host, X-Forwarded-Host, Forwarded or an absolute-form target say (P-059)", async () => {
		const acct = await signup(server.client());
		const variants = [{ Host: "evil.example" }, { "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https" }, { Forwarded: "host=evil.example;proto=https" }];
		for (const headers of variants) {
			const res = await server.client().post("/auth/recovery", { email: acct.email }, { headers });
			assert.equal(res.status, 202, res.text);
		}
		const body = JSON.stringify({ email: acct.email });
		const abs = await rawHttp(server, "POST", "http://evil.example/auth/recovery", { headers: { Host: "evil.example", "Content-Type": "application/json" }, body });
		assert.ok([202, 400, 404].includes(abs.status), `absolute form: ${abs.status}`);
		await sleep(300);
		const mails = listMail(server.mailDir, { to: acct.email, purpose: "recovery" });
		assert.ok(mails.length >= 3, `${mails.length} recovery mails`);
		for (const m of mails) {
			assert.ok(!m.raw.toString().includes("evil.example"), "no foreign host in the mail");
			for (const l of m.links) assert.ok(l.startsWith(`${server.origin}/`), l);
		}
	});

	test("the recipient cannot be steered: lists, separators, quoted local parts and header injection are 400 (P-060)", async () => {
		const acct = await signup(server.client());
		const eve = uniqueEmail("eve").replace("example.com", "evil.example");
		const bad = [[acct.email, eve], `${acct.email},${eve}`, `${acct.email};${eve}`, `${acct.email}\n${eve}`, `${acct.email}\r\nBcc: ${eve}`, `"${eve}"@example.com`, `${acct.email}%0aBcc:${eve}`, `${acct.email} ${eve}`, `${acct.email}\u0000${eve}`, `${acct.email}\u0000`, { email: acct.email }];
		for (const route of ["/auth/recovery", "/auth/magic-link"]) {
			for (const email of bad) {
				const res = await server.client().post(route, { email });
				assert.equal(res.status, 400, `${route} ${JSON.stringify(email)}: ${res.status}`);
				assert.equal(res.json.error, "invalid_field");
			}
		}
		await assertNoMail(server.mailDir, { to: eve }, 300);
		assert.equal(listMail(server.mailDir).filter((m) => m.raw.toString().includes(eve)).length, 0);
	});

	test("a recovery token works only for recovery (P-062, P-082), and nowhere else spends it", async () => {
		const acct = await signup(server.client());
		await server.client().post("/auth/recovery", { email: acct.email });
		const { token } = await recoveryToken(server, acct.email);
		assertError(await server.client().post("/auth/magic-link/verify", { token }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/verify-email", { token }), 400, "invalid_or_expired_token");
		const lock = await server.client().post("/auth/lockdown", { token });
		assert.equal(lock.status, 400, lock.text);
		assert.equal((await login(server.client(), acct.email, acct.password)).status, 200, "no lockdown happened");
		const start = await server.client().post("/auth/recovery/start", { token });
		assert.equal(start.status, 200, start.text);
	});

	test("no step skipping, no client clock: complete before start, empty or foreign tokens, early completion (P-063, P-066)", async () => {
		const acct = await signup(server.client());
		await server.client().post("/auth/recovery", { email: acct.email });
		const { token } = await recoveryToken(server, acct.email);
		const np = "a-brand-new-password-3";
		assertError(await server.client().post("/auth/recovery/complete", { token, newPassword: np }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/complete", { token: "", newPassword: np }), 400, "invalid_or_expired_token");
		assertError(await server.client().post("/auth/recovery/complete", { newPassword: np }), 400, "missing_field");
		const start = await server.client().post("/auth/recovery/start", { token, completesAt: "2000-01-01T00:00:00Z" });
		assert.equal(start.status, 200, start.text);
		assert.ok(Date.parse(start.json.completesAt) > Date.now() + 3600e3, "the server's 24 h delay, not the client's time");
		const early = await server.client().post("/auth/recovery/complete", { token, newPassword: np, completesAt: "2000-01-01T00:00:00Z", wait_until: 0, now: "2999-01-01T00:00:00Z" });
		assertError(early, 409, "recovery_pending");
		assert.equal((await login(server.client(), acct.email, acct.password)).status, 200, "the password is unchanged");
		assert.equal((await login(server.client(), acct.email, np)).status, 401);
	});
});

// ---- B10: mass assignment ----

describe("mass assignment (P-057, P-115)", () => {
	test("/me cannot be written: PATCH, PUT and POST are 405 and nothing changes", async () => {
		const c = server.client();
		const acct = await signup(c);
		const before = (await c.get("/me")).json;
		const body = { email: "x@evil.example", emailVerified: true, email_verified: true, role: "admin", mfa_enabled: false, totpEnabled: true, password_hash: "x", passkeys: 3, disabled: false };
		for (const m of ["PATCH", "PUT", "POST"]) {
			const res = await c.request(m, "/me", { json: body });
			assert.equal(res.status, 405, `${m} /me: ${res.status}`);
		}
		const now = (await c.get("/me")).json;
		assert.deepEqual({ ...now, session: undefined }, { ...before, session: undefined });
		assert.equal(now.email, acct.email);
	});

	test("signup ignores privileged fields", async () => {
		const c = server.client();
		const email = uniqueEmail("mass");
		const password = strongPassword();
		const res = await c.post("/signup", { email, password, emailVerified: true, email_verified: true, role: "admin", totpEnabled: true, id: "AAAAAAAAAAAAAAAAAAAAAA" });
		assert.equal(res.status, 201, res.text);
		assert.equal(res.json.user.emailVerified, false);
		assert.notEqual(res.json.user.id, "AAAAAAAAAAAAAAAAAAAAAA");
		const me = (await c.get("/me")).json;
		assert.equal(me.emailVerified, false);
		assert.equal(me.totpEnabled, false);
	});
});

// ---- B11: distributed guessing ----

function postFrom(srv, localAddress, p, json) {
	return new Promise((resolve, reject) => {
		const body = JSON.stringify(json);
		const req = http.request({ host: "127.0.0.1", port: srv.port, path: p, method: "POST", localAddress, agent: false, headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } }, (res) => {
			const chunks = [];
			res.on("data", (d) => chunks.push(d));
			res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
		});
		req.on("error", reject);
		req.end(body);
	});
}

describe("client addresses (P-118, P-119)", () => {
	test("failures from five source addresses trip the account limit (--rate-login-account 5)", async () => {
		const srv = await serve(["--rate-login-account", "5", "--rate-login-ip", "3", "--rate-signup-ip", "0"]);
		const acct = await signup(srv.client());
		for (let i = 2; i <= 6; i++) {
			const r = await postFrom(srv, `127.0.0.${i}`, "/login", { email: acct.email, password: `wrong-password-${i}` });
			assert.equal(r.status, 401, r.text);
		}
		const r = await postFrom(srv, "127.0.0.9", "/login", { email: acct.email, password: acct.password });
		assert.equal(r.status, 429, `the right password from a seventh address after 5 failures: ${r.status}`);
	});

	test("behind --trusted-proxy, an unparsable or oversized X-Forwarded-For falls back to the peer (P-119)", async () => {
		const srv = await serve(["--trusted-proxy", "127.0.0.1", "--rate-signup-ip", "0"]);
		for (const xff of ["a", "1.1.1.1, a", "999.1.1.1", "1.1.1.1:80", "1.1.1.1,,", " , ", "x".repeat(8000), `${"9".repeat(4000)}, 10.0.0.1 x`]) {
			const c = srv.client({ headers: { "X-Forwarded-For": xff } });
			await signup(c);
			const ip = (await c.get("/me/sessions")).json.sessions[0].ip;
			assert.equal(ip, "127.0.0.1", `X-Forwarded-For ${xff.slice(0, 20)}: ${ip}`);
		}
		const good = srv.client({ headers: { "X-Forwarded-For": "203.0.113.7, 127.0.0.1" } });
		await signup(good);
		assert.equal((await good.get("/me/sessions")).json.sessions[0].ip, "203.0.113.7", "a trusted hop is skipped");
	});
});

// ---- B13: registration races; B13 SQLite contention ----

describe("concurrent registration and a locked database", () => {
	test("20 parallel signups for one mailbox in different spellings make one account (P-138)", async () => {
		const local = `race-${Date.now()}`;
		const spellings = [`${local}@example.com`, `${local.toUpperCase()}@EXAMPLE.COM`, ` ${local}@Example.com`, `${local}@example.com\t`];
		const password = strongPassword();
		const res = await together(Array.from({ length: 20 }, (_, i) => () => server.client().post("/signup", { email: spellings[i % spellings.length], password })));
		const created = res.filter((r) => r.status === 201);
		assert.equal(created.length, 1, res.map((r) => r.status).join(","));
		for (const r of res) if (r.status !== 201) assertError(r, 409, "email_taken");
		assert.equal(server.sql(`SELECT id FROM users WHERE email = '${local}@example.com'`).length, 1);
	});

	test("a database held locked by another process: logout fails closed, then service resumes (P-142, P-149)", async (t) => {
		if (!server.dbUrl.startsWith("sqlite:")) return t.diagnostic("SQLite only");
		const c = server.client();
		await signup(c);
		const token = c.cookie;
		const holder = spawn("sqlite3", [server.dbUrl.slice(7)], { stdio: ["pipe", "pipe", "ignore"] });
		const locked = new Promise((resolve) => holder.stdout.on("data", (d) => d.toString().includes("held") && resolve()));
		holder.stdin.write("BEGIN EXCLUSIVE;\nSELECT 'held';\n");
		await locked;
		let res;
		try {
			res = await c.post("/logout", {});
		} finally {
			holder.stdin.end("ROLLBACK;\n.quit\n");
			await new Promise((r) => holder.on("exit", r));
		}
		const me = await server.client().get("/me", { cookie: token });
		if (res.status === 204) assert.equal(me.status, 401, "a 204 logout must have ended the session");
		else {
			assert.ok(res.status === 500 || res.status === 503, `logout while locked: ${res.status} ${res.text}`);
			assert.doesNotMatch(res.text, /sqlite|locked|database|busy/i);
		}
		const again = await server.client().post("/logout", {}, { cookie: token });
		assert.equal(again.status, 204);
		assert.equal((await server.client().get("/me", { cookie: token })).status, 401, "service resumed: the logout works");
	});
});

// ---- B14: durability after kill -9 ----

describe("durability after kill -9 (P-145, P-146, P-147)", () => {
	test("a spent recovery code, a logout and failure counters survive SIGKILL", async () => {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-probes2-"));
		const args = ["--rate-login-account", "3", "--rate-login-ip", "0", "--rate-signup-ip", "0"];
		const s1 = await startServer({ args, dataDir });
		const a = await totpAccount(s1);
		const p = await pending(a);
		const used = await p.post("/login/2fa", { recoveryCode: a.codes[0] });
		assert.equal(used.status, 200, used.text);
		const other = s1.client();
		assert.equal((await login(other, a.email, a.password)).status, 200);
		const cookie = (await other.post("/login/2fa", { recoveryCode: a.codes[1] })).cookie;
		assert.ok(cookie);
		assert.equal((await other.post("/logout", {})).status, 204);
		const b = await signup(s1.client());
		for (let i = 0; i < 3; i++) assertError(await s1.client().post("/login", { email: b.email, password: `wrong-password-${i}` }), 401, "invalid_credentials");
		// kill -9 right after the answers
		s1.process.kill("SIGKILL");
		await assert.rejects(s1.stop(), /SIGKILL/);
		const s2 = await serve(args, { dataDir });
		try {
			const again = await pending({ ...a, srv: s2 });
			assertError(await again.post("/login/2fa", { recoveryCode: a.codes[0] }), 401, "invalid_code");
			assertError(await s2.client().get("/me", { cookie }), 401, "unauthenticated");
			assertError(await s2.client().post("/login", { email: b.email, password: b.password }), 429, "rate_limited");
			if (s2.dbUrl.startsWith("sqlite:")) assert.deepEqual(s2.sql("PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
		} finally {
			await s2.stop();
			servers.splice(servers.indexOf(s2), 1);
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	});
});
