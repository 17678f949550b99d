// API.md "Conventions" and API-NOTES 1-21: media types, body parsing, limits, unknown paths
// and methods, the order of the checks, the cross-site check and the headers of every answer.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startServer } from "../lib/server.mjs";
import { chunkedRequest, rawHttp, signup } from "../lib/api-util.mjs";

const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";
const PAGE_CSP =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

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

function assertError(res, status, code, field) {
	assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
	assert.match(res.headers["content-type"] || "", /^application\/json; charset=utf-8$/i);
	assert.equal(res.json?.error, code, res.text);
	assert.equal(typeof res.json.message, "string");
	if (field !== undefined) assert.equal(res.json.field, field, res.text);
}

/** POST raw bytes to path with a Content-Type. */
function postRaw(p, body, contentType = "application/json", headers = {}) {
	return server.request("POST", p, { body, headers: { "Content-Type": contentType, ...headers } });
}

describe("media types (API-NOTES 1-2)", () => {
	for (const ct of ["text/plain", "application/merge-patch+json", "application/problem+json", "text/json", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data; boundary=x"]) {
		test(`${ct} with a body is 415`, async () => {
			assertError(await postRaw("/login", '{"email":"a@example.com","password":"x"}', ct), 415, "unsupported_media_type");
		});
	}
	test("a non-empty body without Content-Type is 415", async () => {
		const res = await rawHttp(server, "POST", "/logout", { body: "{}" });
		assertError(res, 415, "unsupported_media_type");
	});
	test("the media type is matched case-insensitively, parameters ignored", async () => {
		for (const ct of ["Application/JSON; charset=utf-8", "APPLICATION/JSON", "application/json;charset=UTF-8", "application/json ; foo=bar"]) {
			const res = await postRaw("/login", '{"email":"nobody@example.com","password":"whatever-it-is"}', ct);
			assertError(res, 401, "invalid_credentials");
		}
	});
	test("an empty body counts as {} whatever its Content-Type", async () => {
		assertError(await postRaw("/signup", "", "text/plain"), 400, "missing_field", "email");
		assertError(await server.request("POST", "/signup"), 400, "missing_field", "email");
		const res = await postRaw("/logout", "", "image/png");
		assert.equal(res.status, 204);
	});
	test("an accepted JSON body reaches the handler", async () => {
		assertError(await postRaw("/signup", '{"email":"x@example.com"}'), 400, "missing_field", "password");
	});
});

describe("JSON bodies (API-NOTES 3-6, 10)", () => {
	for (const body of ["[]", '"x"', "null", "3", "true", "[{}]", "{", '{"a":1', "{'a':1}", '{"a":1}x', "{} {}", '{"a":01}', '{"a":NaN}']) {
		test(`${JSON.stringify(body)} is 400 invalid_json`, async () => {
			assertError(await postRaw("/login", body), 400, "invalid_json");
		});
	}
	const invalidUtf8 = {
		"a lone continuation byte": Buffer.from([0x80]),
		"0xff": Buffer.from([0xff]),
		"an overlong slash (C0 AF)": Buffer.from([0xc0, 0xaf]),
		"an overlong three-byte form (E0 80 AF)": Buffer.from([0xe0, 0x80, 0xaf]),
		"an encoded surrogate (ED A0 80)": Buffer.from([0xed, 0xa0, 0x80]),
		"a code point above U+10FFFF (F4 90 80 80)": Buffer.from([0xf4, 0x90, 0x80, 0x80]),
		"a truncated sequence (E2 82)": Buffer.from([0xe2, 0x82]),
	};
	for (const [name, bytes] of Object.entries(invalidUtf8)) {
		test(`invalid UTF-8 in a string (${name}) is 400 invalid_json`, async () => {
			const body = Buffer.concat([Buffer.from('{"email":"a'), bytes, Buffer.from('@example.com","password":"whatever-it-is"}')]);
			assertError(await postRaw("/login", body), 400, "invalid_json");
		});
	}
	test("invalid UTF-8 outside strings is 400 invalid_json", async () => {
		assertError(await postRaw("/logout", Buffer.from([0x7b, 0xc3, 0x7d])), 400, "invalid_json");
	});
	test("a leading byte-order mark is 400 invalid_json", async () => {
		assertError(await postRaw("/logout", Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), 400, "invalid_json");
	});
	test("valid multi-byte UTF-8 is accepted", async () => {
		const res = await postRaw("/login", Buffer.from('{"email":"zoë😀@example.com","password":"whatever-it-is"}', "utf8"));
		assertError(res, 401, "invalid_credentials");
	});
	test("a lone surrogate escape is 400 invalid_field naming the top-level field", async () => {
		assertError(await postRaw("/login", '{"email":"\\ud800@example.com","password":"whatever-it-is"}'), 400, "invalid_field", "email");
		assertError(await postRaw("/login", '{"email":"a@example.com","password":"ab\\udfffcdefgh"}'), 400, "invalid_field", "password");
		assertError(await postRaw("/login", '{"email":"a@example.com","password":"x","extra":{"deep":["ok","\\udc00"]}}'), 400, "invalid_field", "extra");
		assertError(await postRaw("/login", '{"extra":{"\\ud800key":1},"email":"a@example.com","password":"x"}'), 400, "invalid_field", "extra");
		// a high surrogate followed by something that is not a low one
		assertError(await postRaw("/login", '{"password":"x","email":"\\uD83D\\u0041@example.com"}'), 400, "invalid_field", "email");
		// a low surrogate before a high one
		assertError(await postRaw("/login", '{"password":"x","email":"\\ude00\\ud83d@example.com"}'), 400, "invalid_field", "email");
	});
	test("a surrogate pair escape and an escaped backslash before 'ud800' are fine", async () => {
		assertError(await postRaw("/login", '{"email":"\\ud83d\\ude00@example.com","password":"whatever-it-is"}'), 401, "invalid_credentials");
		assertError(await postRaw("/login", '{"email":"\\\\ud800@example.com","password":"whatever-it-is"}'), 401, "invalid_credentials");
	});
	test("nesting deeper than 32 levels is 400 invalid_json; 32 levels are fine", async () => {
		const nest = (n) => `{"a":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`;
		assertError(await postRaw("/signup", nest(33)), 400, "invalid_json");
		assertError(await postRaw("/signup", `{"a":${"{\"b\":".repeat(32)}1${"}".repeat(32)}}`), 400, "invalid_json");
		assertError(await postRaw("/signup", nest(32)), 400, "missing_field", "email");
		// brackets inside strings do not nest
		assertError(await postRaw("/signup", `{"a":"${"[{".repeat(100)}"}`), 400, "missing_field", "email");
	});
	test("null counts as missing, a wrong type is invalid_field, unknown fields are ignored", async () => {
		assertError(await postRaw("/login", '{"email":null,"password":"x"}'), 400, "missing_field", "email");
		assertError(await postRaw("/login", '{"email":"a@example.com","password":12345678}'), 400, "invalid_field", "password");
		assertError(await postRaw("/login", '{"email":["a@example.com"],"password":"x"}'), 400, "invalid_field", "email");
		assertError(await postRaw("/login", '{"email":"nobody@example.com","password":"whatever-it-is","remember":true}'), 401, "invalid_credentials");
	});
	test("duplicate keys are refused", async () => {
		const res = await postRaw("/login", '{"email":"a@example.com","email":"b@example.com","password":"x"}');
		assert.equal(res.status, 400, res.text);
	});
});

describe("body size (API-NOTES 9)", () => {
	test("a Content-Length over 65536 is 413 and the connection is closed", async () => {
		const body = `{"a":"${"x".repeat(65537 - 8)}"}`;
		assert.equal(Buffer.byteLength(body), 65537);
		const res = await rawHttp(server, "POST", "/logout", { headers: { "Content-Type": "application/json", Connection: "keep-alive" }, body });
		assertError(res, 413, "payload_too_large");
		assert.equal(res.closed, true);
		assert.match(res.headers.connection || "", /close/i);
	});
	test("a declared Content-Length over the cap is refused before the body is sent", async () => {
		const res = await rawHttp(server, "POST", "/logout", { headers: { "Content-Type": "application/json", "Content-Length": "10000000" } });
		assertError(res, 413, "payload_too_large");
	});
	test("exactly 65536 bytes are accepted", async () => {
		const body = `{"a":"${"x".repeat(65536 - 8)}"}`;
		assert.equal(Buffer.byteLength(body), 65536);
		const res = await postRaw("/logout", body);
		assert.equal(res.status, 204, res.text);
	});
	test("a chunked body over 65536 bytes is 413", async () => {
		const chunks = [`{"a":"`];
		for (let i = 0; i < 9; i++) chunks.push("y".repeat(8192));
		chunks.push('"}');
		const res = await chunkedRequest(server, "POST", "/logout", chunks, { headers: { "Content-Type": "application/json", Connection: "keep-alive" }, timeoutMs: 5000 });
		assertError(res, 413, "payload_too_large");
		assert.equal(res.closed, true, "the connection is closed after a 413");
	});
	test("an endless chunked body is cut off and the server keeps serving", async () => {
		const chunks = Array.from({ length: 200 }, () => "z".repeat(16384)); // 3.2 MB
		const res = await chunkedRequest(server, "POST", "/logout", chunks, { headers: { "Content-Type": "application/json" }, timeoutMs: 5000 });
		assert.equal(res.closed, true);
		assert.ok(res.status === 0 || res.status === 413, String(res.status));
		assert.equal((await api.get("/healthz")).status, 200);
	});
	test("a small chunked body is read and parsed", async () => {
		const res = await chunkedRequest(server, "POST", "/signup", ['{"em', 'ail":"c@exam', 'ple.com"}'], { headers: { "Content-Type": "application/json" } });
		assertError(res, 400, "missing_field", "password");
		const bad = await chunkedRequest(server, "POST", "/signup", ['{"email":', '"c@example.com"'], { headers: { "Content-Type": "application/json" } });
		assertError(bad, 400, "invalid_json");
	});
	test("a chunked body with a wrong media type is 415", async () => {
		const res = await chunkedRequest(server, "POST", "/logout", ["{}"], { headers: { "Content-Type": "text/plain" } });
		assertError(res, 415, "unsupported_media_type");
	});
});

describe("paths and methods (API-NOTES 12-13)", () => {
	for (const p of ["/nope", "/favicon.ico", "/me/", "/login/", "/LOGIN", "/me/sessions", "/me/sessions/a/b", "/assets/other.js", "/robots.txt"]) {
		test(`GET ${p}`, async () => {
			const res = await api.get(p);
			if (p === "/me/sessions") {
				assertError(res, 401, "unauthenticated");
				return;
			}
			assertError(res, 404, "not_found");
		});
	}
	test("an unknown path is 404 for every method", async () => {
		for (const m of ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]) {
			const res = await server.request(m, "/no/such/thing");
			assert.equal(res.status, 404, m);
		}
	});
	test("an unsupported method on a known path is 405 with Allow", async () => {
		const cases = [
			["PUT", "/login", ["GET", "HEAD", "POST"]],
			["DELETE", "/me", ["GET", "HEAD"]],
			["PATCH", "/signup", ["GET", "HEAD", "POST"]],
			["POST", "/healthz", ["GET", "HEAD"]],
			["GET", "/logout", ["POST"]],
			["OPTIONS", "/me/password", ["POST"]],
			["GET", "/me/sessions/abc", ["DELETE"]],
			["TRACE", "/metrics", ["GET", "HEAD"]],
		];
		for (const [m, p, allow] of cases) {
			const res = await server.request(m, p);
			assertError(res, 405, "method_not_allowed");
			const got = (res.headers.allow || "").split(",").map((s) => s.trim()).filter(Boolean).sort();
			assert.deepEqual(got, [...allow].sort(), `${m} ${p}: Allow ${res.headers.allow}`);
		}
	});
	test("HEAD is answered wherever GET is, without a body", async () => {
		for (const [p, status] of [["/healthz", 200], ["/login", 200], ["/metrics", 200], ["/me", 401], ["/assets/latchkey.js", 200]]) {
			const get = await api.get(p);
			const head = await server.request("HEAD", p);
			assert.equal(head.status, status, p);
			assert.equal(get.status, status, p);
			assert.equal(head.body.length, 0, p);
			assert.equal(head.headers["content-type"], get.headers["content-type"], p);
		}
	});
	test("GET / redirects to the login page", async () => {
		const res = await api.get("/");
		assert.equal(res.status, 302);
		assert.equal(res.headers.location, "/login");
	});
});

describe("the order of the checks (API-NOTES 7-8)", () => {
	const foreign = { Origin: "https://evil.example" };
	test("a cross-site PUT to a known path is 403 csrf", async () => {
		assertError(await server.request("PUT", "/login", { headers: foreign }), 403, "csrf");
	});
	test("a same-origin PUT to a known path is 405", async () => {
		assertError(await server.request("PUT", "/login", { headers: { Origin: server.origin } }), 405, "method_not_allowed");
	});
	test("a cross-site POST to an unknown path is 404", async () => {
		assertError(await server.request("POST", "/no-such-path", { headers: foreign }), 404, "not_found");
	});
	test("an unauthenticated request with malformed JSON is 400, not 401", async () => {
		assertError(await postRaw("/me/password", "{nope"), 400, "invalid_json");
		assertError(await postRaw("/me/reauth", "[1]"), 400, "invalid_json");
	});
	test("405 comes before 415 and 413", async () => {
		const res = await rawHttp(server, "PUT", "/signup", { headers: { "Content-Type": "text/plain", "Content-Length": "999999" } });
		assertError(res, 405, "method_not_allowed");
	});
	test("a cross-site request with a bad media type is 403, not 415", async () => {
		assertError(await postRaw("/login", "x=1", "application/x-www-form-urlencoded", foreign), 403, "csrf");
	});
	test("415 comes before 413", async () => {
		const res = await rawHttp(server, "POST", "/login", { headers: { "Content-Type": "text/plain", "Content-Length": "999999" } });
		assertError(res, 415, "unsupported_media_type");
	});
	test("413 comes before the JSON check", async () => {
		const res = await rawHttp(server, "POST", "/login", { headers: { "Content-Type": "application/json" }, body: `{${"x".repeat(70000)}` });
		assertError(res, 413, "payload_too_large");
	});
	test("401 comes before the field checks", async () => {
		assertError(await api.post("/me/password", {}), 401, "unauthenticated");
		assertError(await api.post("/me/reauth", {}), 401, "unauthenticated");
	});
});

describe("cross-site protection (API-NOTES 19-21)", () => {
	const refused = [
		["a foreign Origin", { Origin: "https://evil.example" }],
		["Origin: null", { Origin: "null" }],
		["Sec-Fetch-Site: cross-site without Origin", { "Sec-Fetch-Site": "cross-site" }],
		["the same origin with Sec-Fetch-Site: cross-site", { Origin: "ORIGIN", "Sec-Fetch-Site": "cross-site" }],
		["http://127.0.0.1:PORT (the listening address, not the origin)", { Origin: "IPORIGIN" }],
		["another port", { Origin: "OTHERPORT" }],
		["https instead of http", { Origin: "HTTPSORIGIN" }],
		["a suffix of the origin", { Origin: "ORIGIN.evil.example" }],
	];
	const fill = (h) => {
		const out = {};
		for (const [k, v] of Object.entries(h)) {
			out[k] = v
				.replace("IPORIGIN", `http://127.0.0.1:${server.port}`)
				.replace("OTHERPORT", `http://localhost:${server.port + 1}`)
				.replace("HTTPSORIGIN", `https://localhost:${server.port}`)
				.replace("ORIGIN", server.origin);
		}
		return out;
	};
	for (const [name, headers] of refused) {
		test(`${name} is refused with 403 csrf on POST, PUT, PATCH, DELETE`, async () => {
			const h = fill(headers);
			assertError(await api.post("/login", { email: "a@example.com", password: "whatever-it-is" }, { headers: h }), 403, "csrf");
			assertError(await api.post("/signup", {}, { headers: h }), 403, "csrf");
			assertError(await api.post("/logout", undefined, { headers: h }), 403, "csrf");
			assertError(await server.request("DELETE", "/me/sessions/abc", { headers: h }), 403, "csrf");
			assertError(await server.request("PATCH", "/me", { headers: h }), 403, "csrf");
		});
	}
	test("no Origin, the configured origin and same-origin/same-site/none fetch sites are accepted", async () => {
		const accepted = [{}, { Origin: server.origin }, { "Sec-Fetch-Site": "same-origin" }, { "Sec-Fetch-Site": "same-site" }, { "Sec-Fetch-Site": "none" }, { Origin: server.origin, "Sec-Fetch-Site": "same-origin" }];
		for (const h of accepted) {
			const res = await api.post("/login", { email: "nobody@example.com", password: "whatever-it-is" }, { headers: h });
			assertError(res, 401, "invalid_credentials");
			assert.equal((await server.request("POST", "/logout", { headers: h })).status, 204, JSON.stringify(h));
		}
	});
	test("a cross-site refusal does not reach the handler (no account is made)", async () => {
		const email = "csrf-victim@example.com";
		const res = await api.post("/signup", { email, password: "a-good-password-1" }, { headers: { Origin: "https://evil.example" } });
		assertError(res, 403, "csrf");
		assert.equal(res.cookie, null);
		const again = await server.client().post("/signup", { email, password: "Another-good-password-2" });
		assert.equal(again.status, 201, again.text);
	});
	test("--origin is normalised: a trailing slash is dropped for the check and the links", async () => {
		const { freePort } = await import("../lib/server.mjs");
		const { waitForMail } = await import("../lib/mail.mjs");
		const port = await freePort();
		const s = await startServer({ port, origin: `http://localhost:${port}/` });
		try {
			const bare = `http://localhost:${port}`;
			const c = s.client({ headers: { Origin: bare } });
			const { email } = await signup(c);
			assert.equal((await c.post("/logout")).status, 204);
			assertError(await s.jar.request("POST", "/logout", { headers: { Origin: `${bare}/` } }), 403, "csrf");
			const m = await waitForMail(s.mailDir, { to: email, purpose: "verify-email" });
			assert.ok(m.links.some((l) => l.startsWith(`${bare}/auth/verify-email?token=`)), m.links.join(" "));
		} finally {
			await s.stop();
		}
	});
	test("GET is not subject to the check", async () => {
		const res = await api.get("/healthz", { headers: { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" } });
		assert.equal(res.status, 200);
	});
	test("a cross-site request with a valid session is still refused", async () => {
		const c = server.client();
		await signup(c);
		const res = await c.post("/me/reauth", { password: "x" }, { headers: { Origin: "https://evil.example" } });
		assertError(res, 403, "csrf");
		const del = await c.delete("/me/sessions/whatever", { headers: { "Sec-Fetch-Site": "cross-site" } });
		assertError(del, 403, "csrf");
		assert.equal((await c.get("/me")).status, 200);
	});
});

describe("headers on every answer (API-NOTES 14-16)", () => {
	const common = (res, what) => {
		assert.equal(res.headers["x-content-type-options"], "nosniff", what);
		assert.equal(res.headers["referrer-policy"], "no-referrer", what);
		assert.equal(res.headers["x-frame-options"], "DENY", what);
	};
	test("JSON answers, errors, 204s, redirects, /healthz and /metrics: no-store and the JSON CSP", async () => {
		const c = server.client();
		const answers = {
			"200 healthz": await c.get("/healthz"),
			"200 metrics": await c.get("/metrics"),
			"201 signup": (await signup(c)).res,
			"200 me": await c.get("/me"),
			"204 auth/check": await c.get("/auth/check"),
			"204 logout": await c.post("/logout"),
			"302 /": await c.get("/"),
			"400": await postRaw("/login", "[]"),
			"401": await c.get("/me"),
			"403 csrf": await c.post("/login", {}, { headers: { Origin: "null" } }),
			"404": await c.get("/favicon.ico"),
			"405": await c.request("PUT", "/me"),
			"413": await rawHttp(server, "POST", "/login", { headers: { "Content-Type": "application/json", "Content-Length": "70000" } }),
			"415": await postRaw("/login", "x", "text/plain"),
			"HEAD 200": await c.request("HEAD", "/healthz"),
		};
		for (const [what, res] of Object.entries(answers)) {
			common(res, what);
			assert.equal(res.headers["cache-control"], "no-store", what);
			if (res.json !== undefined) assert.equal(res.headers["content-security-policy"], JSON_CSP, what);
		}
	});
	test("pages: no-store, the strict page CSP, code only from /assets", async () => {
		for (const p of ["/login", "/signup", "/login/2fa", "/settings", "/recovery", "/recovery/cancel", "/auth/verify-email?token=x", "/auth/magic-link/verify?token=x", "/auth/lockdown?token=x"]) {
			const res = await api.get(p);
			assert.equal(res.status, 200, p);
			common(res, p);
			assert.match(res.headers["content-type"], /^text\/html; charset=utf-8$/i, p);
			assert.equal(res.headers["cache-control"], "no-store", p);
			assert.equal(res.headers["content-security-policy"], PAGE_CSP, p);
			assert.match(res.text, /<script[^>]*\ssrc="\/assets\/latchkey\.js"/, p);
			assert.match(res.text, /<link[^>]*href="\/assets\/latchkey\.css"/, p);
			assert.doesNotMatch(res.text, /<script(?![^>]*\ssrc=)[^>]*>/i, `${p}: inline script`);
			assert.doesNotMatch(res.text, /<style|\sstyle=|\son[a-z]+=/i, `${p}: inline style or handler`);
		}
	});
	test("assets: the security headers, their own types, cacheable", async () => {
		for (const [p, type] of [["/assets/latchkey.js", /^text\/javascript/], ["/assets/latchkey.css", /^text\/css/]]) {
			const res = await api.get(p);
			assert.equal(res.status, 200, p);
			common(res, p);
			assert.match(res.headers["content-type"], type, p);
			assert.ok(res.body.length > 0, p);
			assert.doesNotMatch(res.headers["cache-control"] || "", /no-store/, p);
		}
	});
});
