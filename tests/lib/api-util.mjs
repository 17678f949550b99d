// Helpers for the black-box API tests (tests/api/*.test.mjs) on top of server.mjs:
// raw HTTP (bytes the normal client would not send, chunked bodies), sign-up and sign-in
// shorthands that record their secrets, Set-Cookie parsing and running the binary for its
// exit code. Node 20 built-ins only.
//
//   import { rawRequest, chunkedRequest, signup, login, strongPassword, parseSetCookie,
//            runLatchkey, sleep, uniqueEmail, ISO_RE } from "../lib/api-util.mjs";

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PG_MODE, dbUrlFor, latchkeyBin } from "./server.mjs";
import { recordSecret } from "./secrets.mjs";

/** ISO-8601 UTC time as latchkey writes it (milliseconds optional). */
export const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let emailCounter = 0;
/** A fresh address, unique within this test process: "<tag>-<n>-<random>@example.com". */
export function uniqueEmail(tag = "user") {
	emailCounter++;
	return `${tag}-${emailCounter}-${crypto.randomBytes(3).toString("hex")}@example.com`;
}

/** A random password that passes the policy, recorded as a secret (must never be logged). */
export function strongPassword(label = "password") {
	return recordSecret(`pw-${crypto.randomBytes(9).toString("base64url")}-Zq`, label);
}

/** Records the session cookie (and any token) a response carried as a secret. */
export function recordCookie(res, label = "session cookie") {
	if (res && res.cookie) recordSecret(res.cookie, label);
	return res;
}

/**
 * Signs up a new account with client (a Client of server.mjs). Resolves to
 * { email, password, res, user } and records the password and the cookie as secrets.
 */
export async function signup(client, { email = uniqueEmail(), password = strongPassword(), headers } = {}) {
	recordSecret(password, `password of ${email}`);
	const res = await client.post("/signup", { email, password }, { headers });
	recordCookie(res, `signup cookie of ${email}`);
	if (res.status !== 201) throw new Error(`signup of ${email} answered ${res.status} ${res.text}`);
	return { email: email.trim().toLowerCase(), password, res, user: res.json.user };
}

/** POST /login with client; records the cookie it gets. */
export async function login(client, email, password, opts = {}) {
	const res = await client.post("/login", { email, password }, opts);
	recordCookie(res, `login cookie of ${email}`);
	return res;
}

/** Parses one Set-Cookie line: { name, value, attrs: Map(lower-case name -> value|true) }. */
export function parseSetCookie(line) {
	const parts = line.split(";").map((s) => s.trim());
	const [nv, ...rest] = parts;
	const eq = nv.indexOf("=");
	const attrs = new Map();
	for (const p of rest) {
		if (!p) continue;
		const i = p.indexOf("=");
		if (i < 0) attrs.set(p.toLowerCase(), true);
		else attrs.set(p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim());
	}
	return { name: nv.slice(0, eq), value: nv.slice(eq + 1), attrs, line };
}

function parseRawResponse(buf) {
	const sep = buf.indexOf("\r\n\r\n");
	if (sep < 0) return { status: 0, headers: {}, body: buf, text: buf.toString("utf8"), json: undefined, raw: buf };
	const head = buf.subarray(0, sep).toString("latin1").split("\r\n");
	const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0])?.[1] || 0);
	const headers = {};
	for (const l of head.slice(1)) {
		const i = l.indexOf(":");
		if (i <= 0) continue;
		const k = l.slice(0, i).trim().toLowerCase();
		const v = l.slice(i + 1).trim();
		headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
	}
	let body = buf.subarray(sep + 4);
	if (/chunked/i.test(headers["transfer-encoding"] || "")) {
		const out = [];
		let off = 0;
		for (;;) {
			const eol = body.indexOf("\r\n", off);
			if (eol < 0) break;
			const n = parseInt(body.subarray(off, eol).toString("latin1"), 16);
			if (!n) break;
			out.push(body.subarray(eol + 2, eol + 2 + n));
			off = eol + 2 + n + 2;
		}
		body = Buffer.concat(out);
	} else if (headers["content-length"] !== undefined) {
		body = body.subarray(0, Number(headers["content-length"]));
	}
	const text = body.toString("utf8");
	let json;
	try {
		json = text ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status, headers, body, text, json, raw: buf };
}

/**
 * Sends bytes exactly as given over a fresh TCP connection and reads until the server closes
 * the connection (send "Connection: close"). parts: Buffers/strings written one after another
 * (write errors after the server answered early are ignored). Resolves to
 * { status, headers (lower-case), body, text, json, raw, closed }.
 */
export function rawRequest(server, parts, { timeoutMs = 10000, gapMs = 0 } = {}) {
	if (!Array.isArray(parts)) parts = [parts];
	return new Promise((resolve, reject) => {
		const sock = net.connect(server.port, "127.0.0.1");
		const chunks = [];
		let done = false;
		const finish = (closed) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			sock.destroy();
			const buf = Buffer.concat(chunks);
			if (!buf.length && !closed) return reject(new Error("no answer"));
			resolve({ ...parseRawResponse(buf), closed });
		};
		const timer = setTimeout(() => finish(false), timeoutMs);
		sock.on("data", (d) => chunks.push(d));
		sock.on("end", () => finish(true));
		sock.on("close", () => finish(true));
		sock.on("error", () => {
			/* EPIPE / ECONNRESET after an early answer: keep what was read */
		});
		sock.on("connect", async () => {
			for (const p of parts) {
				if (sock.destroyed) break;
				sock.write(p);
				if (gapMs) await sleep(gapMs);
			}
		});
	});
}

/** A request built from method, path, headers and a body (Buffer/string), sent by rawRequest. */
export function rawHttp(server, method, reqPath, { headers = {}, body, contentLength = true, ...opts } = {}) {
	const h = { Host: `127.0.0.1:${server.port}`, Connection: "close", ...headers };
	if (body !== undefined && contentLength && !Object.keys(h).some((k) => k.toLowerCase() === "content-length")) {
		h["Content-Length"] = Buffer.byteLength(body);
	}
	const head = `${method} ${reqPath} HTTP/1.1\r\n${Object.entries(h)
		.map(([k, v]) => `${k}: ${v}\r\n`)
		.join("")}\r\n`;
	const parts = [Buffer.from(head, "latin1")];
	if (body !== undefined) parts.push(Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8"));
	return rawRequest(server, parts, opts);
}

/** A chunked request: each element of chunks becomes one HTTP chunk. */
export function chunkedRequest(server, method, reqPath, chunks, { headers = {}, ...opts } = {}) {
	const h = { Host: `127.0.0.1:${server.port}`, Connection: "close", "Transfer-Encoding": "chunked", ...headers };
	const head = `${method} ${reqPath} HTTP/1.1\r\n${Object.entries(h)
		.map(([k, v]) => `${k}: ${v}\r\n`)
		.join("")}\r\n`;
	const parts = [Buffer.from(head, "latin1")];
	for (const c of chunks) {
		const b = Buffer.isBuffer(c) ? c : Buffer.from(c, "utf8");
		parts.push(Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]));
	}
	parts.push(Buffer.from("0\r\n\r\n"));
	return rawRequest(server, parts, opts);
}

/**
 * Runs `latchkey ...args` (a fresh temporary data dir is added to `serve` unless args name
 * one) and resolves to { code, signal, stdout, stderr, timedOut } once it exits; a process
 * still running after timeoutMs is killed (timedOut: true).
 */
export function runLatchkey(args, { env = {}, timeoutMs = 5000 } = {}) {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-run-"));
	const full = [...args];
	if (full[0] === "serve") {
		// defaults go right after "serve" so that args may end with an option lacking its value
		const extra = [];
		if (!full.includes("--data-dir")) extra.push("--data-dir", path.join(root, "data"));
		if (!full.includes("--listen")) extra.push("--listen", "127.0.0.1:0");
		full.splice(1, 0, ...extra);
	}
	const childEnv = {};
	for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("LATCHKEY_")) childEnv[k] = v;
	Object.assign(childEnv, env);
	// PostgreSQL mode (server.mjs): a command naming a test server's data dir but no database
	// gets that server's database through LATCHKEY_DB (the command line still wins).
	const dd = full.indexOf("--data-dir");
	const ddEq = full.find((a) => a.startsWith("--data-dir="));
	const dataDir = dd >= 0 ? full[dd + 1] : ddEq ? ddEq.slice(11) : childEnv.LATCHKEY_DATA_DIR;
	if (PG_MODE && dataDir && !childEnv.LATCHKEY_DB && dbUrlFor(dataDir).startsWith("postgres")) childEnv.LATCHKEY_DB = dbUrlFor(dataDir);
	return new Promise((resolve) => {
		const p = spawn(latchkeyBin(), full, { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
		let stdout = "";
		let stderr = "";
		let timedOut = false;
		p.stdout.on("data", (d) => (stdout += d));
		p.stderr.on("data", (d) => (stderr += d));
		const timer = setTimeout(() => {
			timedOut = true;
			p.kill("SIGKILL");
		}, timeoutMs);
		p.on("close", (code, signal) => {
			clearTimeout(timer);
			fs.rmSync(root, { recursive: true, force: true });
			resolve({ code, signal, stdout, stderr, timedOut });
		});
	});
}

/** An error answer: status, the code, a message, and the field when given. */
export function assertError(res, status, code, field) {
	assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
	assert.equal(res.json?.error, code, res.text);
	assert.equal(typeof res.json.message, "string");
	if (field !== undefined) assert.equal(res.json.field, field, res.text);
}
