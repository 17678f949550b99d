// Black-box probes from SECURITY-PROBES.md that bear on the foundation endpoints: password
// comparison (P-003, P-005, P-128), session tokens (P-014, P-016, P-025, P-026), CORS (P-027),
// robustness of bodies, framing and headers (P-125, P-129 - P-131, P-135, P-136).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { recordSecret } from "../lib/secrets.mjs";
import { SESSION_COOKIE, startServer } from "../lib/server.mjs";
import { login, rawHttp, rawRequest, recordCookie, signup, uniqueEmail } from "../lib/api-util.mjs";

let server;
let api;
before(async () => {
	server = await startServer({ args: ["--rate-signup-ip", "0", "--rate-login-ip", "0", "--rate-login-account", "0"] });
	api = server.jar;
});
after(async () => {
	const { code } = await server.stop();
	assert.equal(code, 0);
});

async function stillServing() {
	const res = await server.client().get("/healthz");
	assert.equal(res.status, 200, "the server still answers");
}

describe("passwords are compared exactly", () => {
	test("no truncation, no case folding, no trimming (P-003, P-005)", async () => {
		const base = `Tr0ub4dor&3-${Math.random().toString(36).slice(2, 10)}`;
		const password = recordSecret(base + "x".repeat(80 - base.length), "80-byte password");
		assert.equal(password.length, 80);
		const { email } = await signup(server.client(), { password });
		for (const attempt of [password.slice(0, 72), password.slice(0, 64), password.slice(0, 8), password.toLowerCase(), password.toUpperCase(), ` ${password}`, `${password} `, `${password}\n`]) {
			const res = await login(server.client(), email, attempt);
			assert.equal(res.status, 401, `attempt of length ${attempt.length}`);
		}
		assert.equal((await login(server.client(), email, password)).status, 200);
	});

	test("a password with surrounding spaces is kept as sent", async () => {
		const password = recordSecret(`  spaced-${Math.random().toString(36).slice(2, 10)}  `, "spaced password");
		const { email } = await signup(server.client(), { password });
		assert.equal((await login(server.client(), email, password.trim())).status, 401);
		assert.equal((await login(server.client(), email, password)).status, 200);
	});

	test("a NUL never truncates a password or an email (P-128)", async () => {
		const acct = await signup(server.client());
		const withNul = await server.client().post("/login", { email: acct.email, password: `${acct.password}\u0000x` });
		assert.ok(withNul.status === 400 || withNul.status === 401, withNul.text);
		assert.equal(withNul.setCookie, null);
		const mail = await server.client().post("/login", { email: `${acct.email}\u0000@evil.example`, password: acct.password });
		assert.ok(mail.status === 400 || mail.status === 401, mail.text);
		assert.equal(mail.setCookie, null);
		const su = await server.client().post("/signup", { email: uniqueEmail("nul"), password: "abcdefgh\u0000" });
		assert.equal(su.status, 400, su.text);
		const su2 = await server.client().post("/signup", { email: `victim-${Date.now()}@example.com\u0000.evil.example`, password: "a-good-password-123" });
		assert.equal(su2.status, 400, su2.text);
	});

	test("unknown email, invalid email and wrong password take comparable time (P-001)", async () => {
		const acct = await signup(server.client());
		const times = { wrong: [], unknown: [], invalid: [] };
		// the fastest of several tries: least disturbed by other tests running in parallel
		const median = (a) => Math.min(...a);
		for (let i = 0; i < 7; i++) {
			for (const [kind, email] of [["wrong", acct.email], ["unknown", uniqueEmail("ghost")], ["invalid", "no-at-sign"]]) {
				const t0 = process.hrtime.bigint();
				const res = await login(server.client(), email, "not-the-password-1");
				times[kind].push(Number(process.hrtime.bigint() - t0) / 1e6);
				assert.equal(res.status, 401);
			}
		}
		const w = median(times.wrong);
		for (const kind of ["unknown", "invalid"]) {
			const m = median(times[kind]);
			// a missing password hash would make these several times faster
			assert.ok(m > w * 0.4 && m < w * 2.5 + 20, `${kind} ${m.toFixed(1)} ms vs wrong password ${w.toFixed(1)} ms`);
		}
	});

	test("a very long password is refused at signup and fails fast at login (P-004)", async () => {
		const acct = await signup(server.client());
		const huge = "p".repeat(60000);
		const su = await server.client().post("/signup", { email: uniqueEmail("long"), password: huge });
		assert.equal(su.status, 400);
		assert.equal(su.json.error, "weak_password");
		const t0 = Date.now();
		const li = await login(server.client(), acct.email, huge);
		assert.equal(li.status, 401);
		assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
	});
});

describe("session tokens", () => {
	let acct;
	before(async () => {
		acct = await signup(server.client());
	});

	test("a cookie chosen by the client is never adopted (P-014)", async () => {
		const chosen = "A".repeat(43);
		const c = server.client();
		c.cookie = chosen;
		const res = await login(c, acct.email, acct.password);
		assert.equal(res.status, 200);
		assert.notEqual(res.cookie, chosen);
		assert.equal((await server.client().get("/me", { cookie: chosen })).status, 401);
	});

	test("tokens are distinct, 256-bit base64url (P-016)", async () => {
		const seen = new Set();
		for (let i = 0; i < 12; i++) {
			const res = await login(server.client(), acct.email, acct.password);
			assert.match(res.cookie, /^[A-Za-z0-9_-]{43}$/);
			assert.ok(!seen.has(res.cookie));
			seen.add(res.cookie);
		}
		const prefixes = new Set([...seen].map((t) => t.slice(0, 4)));
		assert.ok(prefixes.size >= 10, "no shared structure");
	});

	test("tampered, truncated, oversized and doubled cookies are refused, never a 500 (P-025)", async () => {
		const c = server.client();
		const good = (await login(c, acct.email, acct.password)).cookie;
		const flip = good.slice(0, 10) + (good[10] === "A" ? "B" : "A") + good.slice(11);
		for (const v of [flip, good.slice(0, 42), good + "A", good.toUpperCase(), "", "%00", `${good}%00`]) {
			const res = await server.client().get("/me", { cookie: v });
			assert.equal(res.status, 401, `cookie ${v.slice(0, 12)}…`);
		}
		const big = await rawHttp(server, "GET", "/me", { headers: { Cookie: `${SESSION_COOKIE}=${"x".repeat(5000)}` } });
		assert.ok([400, 401, 413, 431].includes(big.status), `5 KB cookie: ${big.status}`);
		for (const header of [`${SESSION_COOKIE}=junk; ${SESSION_COOKIE}=${good}`, `${SESSION_COOKIE}=${good}; ${SESSION_COOKIE}=junk`, `other=1; ${SESSION_COOKIE}=${good}`]) {
			const res = await server.client().get("/me", { headers: { Cookie: header } });
			assert.ok(res.status === 200 || res.status === 401, `${header.slice(0, 30)}: ${res.status}`);
			if (res.status === 200) assert.equal(res.json.email, acct.email);
		}
		await stillServing();
	});

	test("the token is accepted only from the cookie (P-026)", async () => {
		const token = (await login(server.client(), acct.email, acct.password)).cookie;
		assert.equal((await server.client().get("/me", { headers: { Authorization: `Bearer ${token}` } })).status, 401);
		assert.equal((await server.client().get(`/me?session=${token}`)).status, 401);
		assert.equal((await server.client().get(`/me?${SESSION_COOKIE}=${token}`)).status, 401);
		assert.equal((await server.client().get("/auth/check", { headers: { Authorization: `Bearer ${token}` } })).status, 401);
	});

	test("no answer echoes the token", async () => {
		const c = server.client();
		const res = await login(c, acct.email, acct.password);
		for (const p of ["/me", "/me/sessions", "/me/events", "/me/auth-methods"]) {
			const r = await c.get(p);
			assert.ok(!r.text.includes(res.cookie), p);
		}
	});
});

describe("CORS and credentials in URLs", () => {
	test("no Access-Control-Allow-Origin for foreign origins (P-027)", async () => {
		for (const origin of ["https://evil.example", "null", `${server.origin}.evil.example`]) {
			const pre = await api.request("OPTIONS", "/login", { headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" } });
			assert.equal(pre.headers["access-control-allow-origin"], undefined, origin);
			assert.equal(pre.headers["access-control-allow-credentials"], undefined, origin);
			const get = await api.get("/me", { headers: { Origin: origin } });
			assert.equal(get.headers["access-control-allow-origin"], undefined, origin);
		}
	});

	test("credentials in the query string are not used (P-136)", async () => {
		const acct = await signup(server.client());
		const q = new URLSearchParams({ email: acct.email, password: acct.password });
		const res = await server.client().request("POST", `/login?${q}`);
		assert.equal(res.status, 400);
		assert.equal(res.json.error, "missing_field");
		assert.equal(res.setCookie, null);
	});
});

describe("robustness", () => {
	const post = (p, body, ct = "application/json") => api.request("POST", p, { body, headers: { "Content-Type": ct } });

	test("hostile JSON is a 400 in bounded time (P-125, P-126)", async () => {
		const cases = [
			"[".repeat(60000),
			`{"a":${"[".repeat(60000)}`,
			`{"a":${"{\"a\":".repeat(10000)}`,
			'{"email":"a@example.com","password":"x"} // comment',
			'{"email":/* c */"a@example.com"}',
			'{"a":Infinity}',
			'{"a":1e999}',
			'{"email":{"$ne":null},"password":"x"}',
			'{"email":"a@example.com","password":true}',
		];
		for (const body of cases) {
			const t0 = Date.now();
			const res = await post("/login", body);
			assert.equal(res.status, 400, `${body.slice(0, 30)}: ${res.text}`);
			assert.ok(["invalid_json", "invalid_field"].includes(res.json.error), res.text);
			assert.ok(Date.now() - t0 < 2000);
			assert.doesNotMatch(res.text, /jansson|sqlite|line \d|column/i);
		}
		await stillServing();
	});

	test("injection strings are ordinary failures (P-135)", async () => {
		for (const email of ["' OR '1'='1", "alice@example.com'--", '"; DROP TABLE users;--', "%", "_", "%@%.%", "_@_._", "x".repeat(10000)]) {
			const res = await login(server.client(), email, "whatever-password");
			assert.equal(res.status, 401, `${email.slice(0, 20)}: ${res.text}`);
			assert.equal(res.json.error, "invalid_credentials");
		}
		const acct = await signup(server.client());
		const like = await login(server.client(), acct.email.replace(/^[^@]+/, "%"), acct.password);
		assert.equal(like.status, 401, "no LIKE matching");
		await stillServing();
	});

	test("odd Content-Length values never crash the server (P-129)", async () => {
		for (const cl of ["-1", "+5", "5,5", "0x10", "18446744073709551616", "99999999999999999999999"]) {
			const res = await rawHttp(server, "POST", "/login", { headers: { "Content-Type": "application/json", "Content-Length": cl }, body: "{}", timeoutMs: 3000 });
			assert.ok(res.status === 0 || (res.status >= 400 && res.status < 500), `Content-Length ${cl}: ${res.status}`);
		}
		await stillServing();
	});

	test("ambiguous framing is 400 and the connection closed (P-129, P-130)", async () => {
		const head = "POST /logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
		const cases = {
			"two different Content-Lengths": `${head}Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}`,
			"Content-Length beside chunked": `${head}Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
			"chunked not last": `${head}Transfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
			"an unknown coding": `${head}Transfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
		};
		for (const [name, raw] of Object.entries(cases)) {
			// keep-alive asked for, and a second request behind: it must not be answered
			const res = await rawRequest(server, raw + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", { timeoutMs: 3000 });
			assert.equal(res.status, 400, `${name}: ${res.status} ${res.text}`);
			assert.equal(res.closed, true, name);
			assert.equal(res.raw.toString("latin1").split("HTTP/1.1 ").length - 1, 1, `${name}: one answer only`);
		}
		const same = await rawRequest(server, `${head}Connection: close\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}`);
		assert.equal(same.status, 204, "repeated equal lengths are fine");
		await stillServing();
	});

	test("pipelined requests are answered in order without mixing sessions (P-130)", async () => {
		const a = server.client();
		const b = server.client();
		const accA = await signup(a);
		const accB = await signup(b);
		const req = (cookie, close) => `GET /me HTTP/1.1\r\nHost: x\r\nCookie: ${SESSION_COOKIE}=${cookie}\r\n${close ? "Connection: close\r\n" : ""}\r\n`;
		const res = await rawRequest(server, req(a.cookie, false) + req(b.cookie, true));
		const text = res.raw.toString("utf8");
		const ia = text.indexOf(accA.email);
		const ib = text.indexOf(accB.email);
		assert.ok(ia >= 0 && ib > ia, "A's answer, then B's");
		assert.equal(text.split("HTTP/1.1 200").length - 1, 2);
	});

	test("malformed headers and paths get a 4xx and the server keeps serving (P-131)", async () => {
		const raws = [
			"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n",
			`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70000)}\r\nConnection: close\r\n\r\n`,
			"GET /me%00/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			`GET /${"a".repeat(100000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
			"G ET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			"GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n",
			"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
			Buffer.concat([Buffer.from("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a"), Buffer.from([0]), Buffer.from("b\r\nConnection: close\r\n\r\n")]),
		];
		for (const r of raws) {
			const res = await rawRequest(server, r, { timeoutMs: 3000 });
			const label = r.toString().slice(0, 24);
			assert.ok(res.status === 0 || res.status === 200 || (res.status >= 400 && res.status < 600 && res.status !== 500), `${label}: ${res.status}`);
			if (res.status === 200) assert.match(label, /healthz|HTTP\/9/);
		}
		await stillServing();
	});

	test("X-Forwarded-For and friends are ignored without a trusted proxy (P-119)", async () => {
		const c = server.client({ headers: { "X-Forwarded-For": "1.1.1.1, 2.2.2.2", "X-Real-IP": "3.3.3.3", Forwarded: "for=4.4.4.4" } });
		await signup(c);
		const s = (await c.get("/me/sessions")).json.sessions;
		assert.equal(s[0].ip, "127.0.0.1");
		const junk = server.client({ headers: { "X-Forwarded-For": `garbage, ${"9".repeat(8000)}` } });
		recordCookie(await junk.post("/login", { email: "nobody@example.com", password: "whatever-password" }));
		await stillServing();
	});
});
