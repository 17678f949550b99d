// Operations: /healthz, /metrics (API-NOTES 124-126), `serve` option checking (exit 2 with one
// line naming the option, API-NOTES 140-144), SIGTERM, and a last look at the server log: no
// password or token the tests used may appear in it.
import assert from "node:assert/strict";
import net from "node:net";
import { describe, test } from "node:test";
import { waitForMail } from "../lib/mail.mjs";
import { assertNoSecrets, recordSecret, recordedSecrets } from "../lib/secrets.mjs";
import { createPgDatabase, dropPgDatabases, startServer } from "../lib/server.mjs";
import { login, runLatchkey, signup, sleep } from "../lib/api-util.mjs";

describe("health and metrics", () => {
	test("/healthz and /metrics", async () => {
		const s = await startServer();
		try {
			const h = await s.jar.get("/healthz");
			assert.equal(h.status, 200);
			assert.deepEqual(h.json, { status: "ok" });
			assert.match(h.headers["content-type"], /^application\/json/);

			const c = s.client();
			const acct = await signup(c);
			assert.equal((await login(s.client(), acct.email, acct.password)).status, 200);
			assert.equal((await login(s.client(), acct.email, "not-the-password")).status, 401);
			await s.jar.get("/nope");

			// request metrics are counted once an answer is sent: wait until the last is in
			let m;
			for (let i = 0; i < 40; i++) {
				m = await s.jar.get("/metrics");
				if (/route="unmatched"|route="\/nope"/.test(m.text) && /route="\/login",[^}]*\} 2$|route="\/login"\} 2$/m.test(m.text)) break;
				await new Promise((r) => setTimeout(r, 50));
			}
			assert.equal(m.status, 200);
			assert.match(m.headers["content-type"], /^text\/plain/);
			assert.equal(m.headers["cache-control"], "no-store");
			const t = m.text;
			assert.match(t, /^# TYPE latchkey_http_requests_total counter$/m);
			assert.match(t, /^latchkey_http_requests_total\{(?=[^}]*method="POST")(?=[^}]*route="\/signup")(?=[^}]*status="(201|2xx)")[^}]*\} 1$/m);
			assert.match(t, /^latchkey_http_requests_total\{(?=[^}]*method="GET")(?=[^}]*route="\/healthz")(?=[^}]*status="(200|2xx)")[^}]*\} 1$/m);
			assert.match(t, /^# TYPE latchkey_logins_total counter$/m);
			assert.match(t, /^latchkey_logins_total\{(?=[^}]*method="password")(?=[^}]*outcome="success")[^}]*\} 1$/m);
			assert.match(t, /^latchkey_logins_total\{(?=[^}]*method="password")(?=[^}]*outcome="failure")[^}]*\} 1$/m);
			assert.match(t, /^# TYPE latchkey_http_request_duration_seconds histogram$/m);
			assert.match(t, /^latchkey_http_request_duration_seconds_bucket\{(?=[^}]*route="\/login")(?=[^}]*le="\+Inf")[^}]*\} 2$/m);
			assert.match(t, /^latchkey_http_request_duration_seconds_sum\{[^}]*route="\/login"[^}]*\} [0-9.e+-]+$/m);
			assert.match(t, /^latchkey_http_request_duration_seconds_count\{[^}]*route="\/login"[^}]*\} 2$/m);
			assert.match(t, /^latchkey_up 1$/m);
			// the methods and outcomes of API-NOTES 126 only
			for (const [, method, outcome] of t.matchAll(/^latchkey_logins_total\{(?=[^}]*method="([^"]*)")(?=[^}]*outcome="([^"]*)")/gm)) {
				assert.ok(["password", "magic_link", "passkey", "totp", "recovery_code", "passkey_2fa", "recovery"].includes(method), method);
				assert.ok(["success", "failure", "2fa_required", "rate_limited"].includes(outcome), outcome);
			}
			// unknown paths do not make a label per path
			assert.doesNotMatch(t, /route="\/nope"/);
			// no user data in the metrics
			assert.ok(!t.includes(acct.email));
		} finally {
			const { code } = await s.stop();
			assert.equal(code, 0);
		}
	});
});

describe("health when the database is gone", () => {
	test("/healthz answers 503 {status: unavailable} once the database does not answer (API-NOTES 124)", async () => {
		const db = await createPgDatabase("lk_health");
		const s = await startServer({ args: ["--db", db.url] });
		try {
			assert.equal((await s.jar.get("/healthz")).status, 200);
			dropPgDatabases([db]); // ends the server's connections; reconnecting fails
			const h = await s.jar.get("/healthz");
			assert.equal(h.status, 503, h.text);
			assert.deepEqual(h.json, { status: "unavailable" });
			assert.equal(h.headers["cache-control"], "no-store");
		} finally {
			await s.stop();
		}
	});
});

describe("serve options", { concurrency: true }, () => {
	const bad = [
		[["--origin", "http://x/path"], "origin"],
		[["--origin", "http://localhost:8080/?q=1"], "origin"],
		[["--origin", "http://user:pw@localhost:8080"], "origin"],
		[["--origin", "ftp://localhost"], "origin"],
		[["--origin", "localhost:8080"], "origin"],
		[["--rp-id", "other.com"], "rp-id"],
		[["--origin", "https://login.example.com", "--rp-id", "ample.com"], "rp-id"],
		[["--top-origin", "https://a.example/path"], "top-origin"],
		[["--totp-skew", "11"], "totp-skew"],
		[["--totp-skew", "-1"], "totp-skew"],
		[["--totp-digits", "7"], "totp-digits"],
		[["--totp-algorithm", "MD5"], "totp-algorithm"],
		[["--totp-period", "0"], "totp-period"],
		[["--totp-period", "2h"], "totp-period"],
		[["--session-ttl", "0s"], "session-ttl"],
		[["--session-idle-ttl", "0"], "session-idle-ttl"],
		[["--magic-link-ttl", "0s"], "magic-link-ttl"],
		[["--sudo-ttl", "soon"], "sudo-ttl"],
		[["--session-ttl", "-5s"], "session-ttl"],
		[["--issuer", "a:b"], "issuer"],
		[["--trusted-proxy", "300.1.1.1/8"], "trusted-proxy"],
		[["--trusted-proxy", "10.0.0.0/33"], "trusted-proxy"],
		[["--listen", "nonsense"], "listen"],
		[["--listen", "127.0.0.1:99999"], "listen"],
		[["--rate-login-account", "-1"], "rate-login-account"],
		[["--rate-login-ip", "many"], "rate-login-ip"],
		[["--rate-2fa-session", "0"], "rate-2fa-session"],
		[["--no-such-option", "1"], "no-such-option"],
		[["--data-dir", "/proc/latchkey-cannot-be-here/data"], "data-dir"],
		[["--origin"], "origin"],
	];
	for (const [args, name] of bad) {
		test(`serve ${args.join(" ")} exits 2 naming --${name}`, async () => {
			const r = await runLatchkey(["serve", ...args]);
			assert.equal(r.timedOut, false, `it ran: ${r.stdout}`);
			assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
			const lines = r.stderr.trim().split("\n");
			assert.equal(lines.length, 1, `one line: ${r.stderr}`);
			assert.ok(lines[0].includes(name), `names ${name}: ${lines[0]}`);
			assert.doesNotMatch(r.stdout, /listening/);
		});
	}
	test("a bad LATCHKEY_ variable exits 2 naming the option", async () => {
		const r = await runLatchkey(["serve"], { env: { LATCHKEY_TOTP_SKEW: "11" } });
		assert.equal(r.code, 2, r.stderr);
		assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
		assert.match(r.stderr, /totp-skew|TOTP_SKEW/);
	});
	test("the command line wins even over a malformed LATCHKEY_ variable", async () => {
		const s = await startServer({ args: ["--totp-skew", "2"], env: { LATCHKEY_TOTP_SKEW: "99" } });
		const { code } = await s.stop();
		assert.equal(code, 0);
	});
	test("accepted edge values start the server", async () => {
		const s = await startServer({
			args: ["--sudo-ttl", "0s", "--recovery-delay", "0s", "--session-ttl", "1h30m", "--session-idle-ttl", "90", "--totp-skew", "10", "--totp-algorithm", "sha256", "--totp-digits", "8", "--totp-period", "1h", "--issuer", "Acme Corp", "--rate-login-ip", "0"],
			env: { LATCHKEY_MAGIC_LINK_SIGNUP: "yes" },
		});
		const { code } = await s.stop();
		assert.equal(code, 0);
	});
	test("LATCHKEY_ variables apply; the command line wins over them", async () => {
		const s = await startServer({ args: ["--session-ttl", "2h"], env: { LATCHKEY_SESSION_TTL: "5m" } });
		const t = await startServer({ env: { LATCHKEY_SESSION_TTL: "5m" } });
		try {
			assert.match((await signup(s.client())).res.setCookie, /Max-Age=7200(;|$)/);
			assert.match((await signup(t.client())).res.setCookie, /Max-Age=300(;|$)/);
		} finally {
			await s.stop();
			await t.stop();
		}
	});
});

describe("shutdown and the log", () => {
	test("SIGTERM lets a request in flight finish, then exits 0", async () => {
		const s = await startServer();
		const acct = await signup(s.client());
		// A request whose headers the server has read but whose body is still coming: it is
		// in flight when the signal arrives and must still be answered.
		const body = Buffer.from(JSON.stringify({ email: acct.email, password: acct.password }));
		const sock = net.connect(s.port, "127.0.0.1");
		const chunks = [];
		const answered = new Promise((resolve) => {
			sock.on("data", (d) => chunks.push(d));
			sock.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
			sock.on("error", () => {});
		});
		await new Promise((r) => sock.on("connect", r));
		sock.write(`POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
		sock.write(body.subarray(0, 5));
		await sleep(300);
		const stopped = s.stop();
		await sleep(300);
		sock.write(body.subarray(5));
		const text = await answered;
		assert.match(text, /^HTTP\/1\.1 200 /, text.slice(0, 200));
		assert.match(text, /"status":"authenticated"/);
		const { code } = await stopped;
		assert.equal(code, 0);
	});

	test("SIGTERM exits 0 and the log holds none of the secrets the tests used", async () => {
		const s = await startServer({ args: ["--rate-signup-ip", "0"] });
		const c = s.client();
		const acct = await signup(c);
		const m = await waitForMail(s.mailDir, { to: acct.email, purpose: "verify-email" });
		recordSecret(m.token, "verification token");
		await login(s.client(), acct.email, "a-wrong-password-for-the-log");
		recordSecret("a-wrong-password-for-the-log", "wrong password");
		const li = await login(s.client(), acct.email, acct.password);
		await s.client().post("/login", { email: acct.email, password: acct.password }, { headers: { Cookie: `latchkey_session=${li.cookie}` } });
		await c.post("/me/reauth", { password: acct.password });
		await c.post("/auth/verify-email", { token: m.token });
		await c.post("/auth/verify-email", { token: m.token });
		await c.get("/auth/check");
		recordSecret(c.cookie, "session cookie");
		assert.ok(recordedSecrets().length >= 5);
		const { code, log } = await s.stop();
		assert.equal(code, 0);
		assert.match(log, /latchkey listening on/);
		assertNoSecrets(log, "server log");
		assert.ok(!log.includes(m.token));
		assert.ok(!log.includes(acct.password));
	});
});

describe("connection limits", () => {
	const openIdle = (port) =>
		new Promise((resolve, reject) => {
			const s = net.connect(port, "127.0.0.1", () => resolve(s));
			s.on("error", reject);
		});
	// Resolves with true when the server answered, false when it closed the connection unanswered.
	const answered = (port) =>
		new Promise((resolve) => {
			const s = net.connect(port, "127.0.0.1", () => s.write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
			let data = "";
			s.on("data", (d) => (data += d));
			s.on("close", () => resolve(data.startsWith("HTTP/1.1 200")));
			s.on("error", () => resolve(false));
		});

	test("one peer cannot hold every connection slot (slowloris)", async () => {
		const s = await startServer();
		const idle = [];
		try {
			for (let i = 0; i < 256; i++) idle.push(await openIdle(s.port));
			await sleep(200);
			assert.equal(await answered(s.port), false, "the 257th connection from one peer is refused");
			for (const c of idle.splice(0)) c.destroy();
			await sleep(300);
			assert.equal(await answered(s.port), true, "slots come back when the peer lets go");
		} finally {
			for (const c of idle) c.destroy();
			await s.stop();
		}
	});
});
