// Several instances, one truth (issue 8, DESIGN "several instances on PostgreSQL"): two
// `latchkey serve` processes, A and B, on different ports share one PostgreSQL database
// (created here in the scripts/pg-test cluster, whatever LATCHKEY_TEST_DB says) and one data
// dir (so one secret.key and one mail dir), and one public --origin, as behind a load balancer
// (so a passkey made through A is valid at B). Whatever one instance writes, the other must
// honour: sessions and logouts, login rate limits, and every single-use secret — parallel uses
// split over both instances must let exactly one through.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createPgDatabase, dropPgDatabases, startServer } from "../lib/server.mjs";
import { listMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { SoftAuthn } from "../lib/softauthn.mjs";
import { totp } from "../lib/totp.mjs";
import { ISO_RE, login, recordCookie, signup, sleep, strongPassword } from "../lib/api-util.mjs";

const PARALLEL = 20;
const LOGIN_LIMIT = 5; // --rate-login-account
const COMMON = [
	"--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", String(LOGIN_LIMIT),
	"--rate-2fa-account", "0", "--rate-2fa-session", "1000", "--rate-mail-ip", "0", "--rate-mail-email", "0",
	"--rate-passkey-ip", "0", "--recovery-delay", "2s",
];

let db;
let A;
let B;
before(async () => {
	db = await createPgDatabase("lk_multi");
	A = await startServer({ args: ["--db", db.url, ...COMMON] });
	B = await startServer({ args: ["--db", db.url, ...COMMON], dataDir: A.dataDir, origin: A.origin });
});
after(async () => {
	// B first: A owns the shared data dir and deletes it when it stops
	if (B) assert.equal((await B.stop()).code, 0);
	if (A) assert.equal((await A.stop()).code, 0);
	if (db) dropPgDatabases([db]);
});

/** A client of srv holding the same session cookie as c (the same browser, another instance). */
function sameBrowser(c, srv) {
	const other = srv.client();
	other.cookie = c.cookie;
	return other;
}

/** PARALLEL clients alternating between A and B. */
function clientsOnBoth(make = (srv) => srv.client()) {
	return Array.from({ length: PARALLEL }, (_, i) => make(i % 2 ? B : A));
}

function statuses(results) {
	return results.map((r) => r.status).sort((x, y) => x - y);
}

describe("two instances on one PostgreSQL database", () => {
	test("both use the same database and key: different ports, both healthy", async () => {
		assert.notEqual(A.port, B.port);
		assert.equal(A.dbUrl, B.dbUrl);
		assert.equal((await A.request("GET", "/healthz")).status, 200);
		assert.equal((await B.request("GET", "/healthz")).status, 200);
	});

	test("a session made on A works on B; a logout on B ends it on A", async () => {
		const ca = A.client();
		const acct = await signup(ca);
		const cb = sameBrowser(ca, B);
		const me = await cb.get("/me");
		assert.equal(me.status, 200, me.text);
		assert.equal(me.json.email, acct.email);
		assert.equal((await B.client().post("/auth/check", undefined, { cookie: ca.cookie })).status, 204);
		assert.equal((await cb.post("/logout")).status, 204);
		assert.equal((await ca.get("/me")).status, 401);
		assert.equal((await A.client().post("/auth/check", undefined, { cookie: ca.cookie })).status, 401);
	});

	test("login failures count across both instances", async () => {
		const acct = await signup(A.client());
		for (let i = 0; i < LOGIN_LIMIT; i++) {
			const r = await login((i % 2 ? B : A).client(), acct.email, `wrong-${i}-${acct.password}`);
			assert.equal(r.status, 401, r.text);
		}
		for (const srv of [A, B]) {
			const r = await login(srv.client(), acct.email, acct.password);
			assert.equal(r.status, 429, `the right password after ${LOGIN_LIMIT} failures split over A and B: ${r.text}`);
			assert.ok(Number(r.headers["retry-after"]) > 0);
		}
	});

	test(`${PARALLEL} parallel wrong passwords on A and B: at most ${LOGIN_LIMIT} are tried, the rest 429`, async () => {
		const acct = await signup(A.client());
		const res = await Promise.all(clientsOnBoth().map((c, i) => login(c, acct.email, `wrong-${i}-${acct.password}`)));
		const tried = res.filter((r) => r.status === 401).length;
		assert.equal(tried, LOGIN_LIMIT, `answers: ${statuses(res).join(" ")}`);
		assert.equal(res.filter((r) => r.status === 429).length, PARALLEL - LOGIN_LIMIT);
		// the limit holds for the right password too, on both
		for (const srv of [A, B]) assert.equal((await login(srv.client(), acct.email, acct.password)).status, 429);
	});

	test(`${PARALLEL} parallel uses of one magic-link token on A and B: exactly one signs in`, async () => {
		const acct = await signup(A.client());
		const req = await A.client().post("/auth/magic-link", { email: acct.email });
		assert.equal(req.status, 202, req.text);
		const m = await waitForMail(A.mailDir, { to: acct.email, purpose: "magic-link" });
		recordSecret(m.token, "magic-link token");
		for (const c of m.codes) recordSecret(c, "magic-link code");
		const res = await Promise.all(
			clientsOnBoth().map(async (c) => recordCookie(await c.post("/auth/magic-link/verify", { token: m.token }), "magic-link session")),
		);
		assert.deepEqual(statuses(res), [200, ...Array(PARALLEL - 1).fill(400)], res.map((r) => r.text).join("\n"));
		for (const r of res.filter((x) => x.status === 400)) assert.equal(r.json.error, "invalid_or_expired_token");
	});

	test(`${PARALLEL} parallel uses of one recovery code on A and B: exactly one signs in`, async () => {
		const ca = A.client();
		const acct = await signup(ca);
		const setup = await ca.post("/2fa/totp/setup", {});
		assert.equal(setup.status, 200, setup.text);
		recordSecret(setup.json.secret, "totp secret");
		recordSecret(setup.json.otpauthUri, "otpauth uri");
		// a code well inside its 30 s step
		while (Date.now() / 1000 % 30 > 25) await sleep(500);
		const en = await sameBrowser(ca, B).post("/2fa/totp/enable", { code: totp(setup.json.secret) });
		assert.equal(en.status, 200, en.text);
		for (const c of en.json.recoveryCodes) recordSecret(c, "recovery code");
		const code = en.json.recoveryCodes[0];
		const pendings = [];
		for (const c of clientsOnBoth()) {
			const r = await login(c, acct.email, acct.password);
			assert.equal(r.json?.status, "2fa_required", r.text);
			pendings.push(c);
		}
		const res = await Promise.all(pendings.map(async (c) => recordCookie(await c.post("/login/2fa", { recoveryCode: code }), "2fa session")));
		assert.deepEqual(statuses(res), [200, ...Array(PARALLEL - 1).fill(401)], res.map((r) => r.text).join("\n"));
		const me = await sameBrowser(ca, B).get("/me");
		assert.equal(me.status, 200, me.text);
	});

	test(`${PARALLEL} parallel uses of one passkey challenge on A and B: exactly one signs in`, async () => {
		const ca = A.client();
		await signup(ca);
		const auth = new SoftAuthn({ origin: A.origin });
		const ro = await ca.post("/auth/passkey/register/options", {});
		assert.equal(ro.status, 200, ro.text);
		const reg = await sameBrowser(ca, B).post("/auth/passkey/register/verify", { response: auth.create(ro.json) });
		assert.equal(reg.status, 201, reg.text);
		const lo = await B.client().post("/auth/passkey/options", {});
		assert.equal(lo.status, 200, lo.text);
		const response = auth.get(lo.json); // one signed assertion over B's challenge
		const res = await Promise.all(
			clientsOnBoth().map(async (c) => recordCookie(await c.post("/auth/passkey/verify", { response }), "passkey session")),
		);
		assert.deepEqual(statuses(res), [200, ...Array(PARALLEL - 1).fill(401)], res.map((r) => r.text).join("\n"));
		for (const r of res.filter((x) => x.status === 401)) {
			assert.equal(r.json.error, "verification_failed", r.text);
			assert.equal(r.json.check, "challenge", r.text);
		}
	});

	test("two mail workers on one outbox send each message once", async () => {
		const accts = [];
		for (let i = 0; i < 6; i++) accts.push(await signup((i % 2 ? B : A).client()));
		const res = await Promise.all(accts.map((a, i) => (i % 2 ? A : B).client().post("/auth/magic-link", { email: a.email })));
		for (const r of res) assert.equal(r.status, 202, r.text);
		for (const a of accts) {
			const m = await waitForMail(A.mailDir, { to: a.email, purpose: "magic-link" });
			recordSecret(m.token, "magic-link token");
			for (const c of m.codes) recordSecret(c, "magic-link code");
		}
		await sleep(1500); // time for a second copy, were one claimed twice
		for (const a of accts) assert.equal(listMail(A.mailDir, { to: a.email, purpose: "magic-link" }).length, 1, a.email);
	});

	test("a recovery started on A completes on B after the delay", async () => {
		const acct = await signup(A.client());
		const req = await A.client().post("/auth/recovery", { email: acct.email });
		assert.equal(req.status, 202, req.text);
		const m = await waitForMail(A.mailDir, { to: acct.email, purpose: "recovery" });
		const link = m.links.find((l) => new URL(l).pathname === "/recovery");
		assert.ok(link, m.body);
		const token = recordSecret(new URL(link).searchParams.get("token"), "recovery token");
		const start = await A.client().post("/auth/recovery/start", { token });
		assert.equal(start.status, 200, start.text);
		assert.match(start.json.completesAt, ISO_RE);
		const newPassword = strongPassword();
		const early = await B.client().post("/auth/recovery/complete", { token, newPassword });
		assert.equal(early.status, 409, early.text);
		assert.equal(early.json.error, "recovery_pending");
		await sleep(Math.max(0, Date.parse(start.json.completesAt) - Date.now() + 100));
		const done = recordCookie(await B.client().post("/auth/recovery/complete", { token, newPassword }), "recovery session");
		assert.equal(done.status, 200, done.text);
		const again = await A.client().post("/auth/recovery/complete", { token, newPassword });
		assert.equal(again.status, 400, again.text);
		assert.equal((await login(A.client(), acct.email, newPassword)).status, 200);
		assert.equal((await login(B.client(), acct.email, acct.password)).status, 401);
	});
});
