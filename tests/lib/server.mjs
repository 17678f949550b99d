// Black-box test harness: starts a real latchkey server and talks HTTP to it.
// Node 20 built-ins only. Used by tests/api/*.test.mjs and tests/browser/*.test.mjs.
//
//   import { startServer, Client } from "../lib/server.mjs";
//   const server = await startServer();                 // fresh data dir, free port
//   const r = await server.request("POST", "/signup", { json: { email, password } });
//   r.status, r.json, r.text, r.headers["set-cookie"], r.headers.get("cache-control"), r.cookie
//   const other = server.client();                      // a second browser: its own cookie jar
//   await server.stop();                                // SIGTERM, exit code 0 required, log checked
//
// startServer(options):
//   args    extra `serve` arguments, e.g. ["--sudo-ttl", "0s", "--recovery-delay", "2s"]
//   env     extra environment (inherited LATCHKEY_* variables are dropped so runs are reproducible)
//   smtp    a server from smtp.mjs (or an smtp:// URL): adds --smtp-url
//   origin  the --origin to pass (default http://localhost:PORT)
//   port    the port to listen on (default: a free one); dataDir: reuse a data dir (not deleted)
// The server listens on 127.0.0.1:PORT and its origin is http://localhost:PORT: requests go to
// `url`, an `Origin` header that should pass the cross-site check must be `origin`.
// stdout and stderr go to `logFile`. stop() fails when the exit code is not 0 (an ASan or UBSan
// report makes it non-zero) or when the log holds a secret recorded with secrets.mjs; it deletes
// the temporary directory unless LATCHKEY_TEST_KEEP=1 or the check failed.
// A server still running when the test process exits is killed.
//
// PostgreSQL mode (LATCHKEY_TEST_DB=postgres, added for issue 8): every server gets a fresh
// database in the scripts/pg-test cluster (created with `pg-test createdb lk_t_<random>`,
// passed as --db, dropped when stop() deletes the data dir) unless args carry their own --db.
// A server started on a reused dataDir gets that dir's database again. server.dbUrl is the
// database a server uses (either engine); server.sql(query) runs one statement on it and
// returns the rows as objects (test-only: SQLite's hex() of a blob or of text also works on
// PostgreSQL there). dbUrlFor(dataDir) is what runLatchkey uses to send `latchkey user` to it.

import { execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assertNoSecrets } from "./secrets.mjs";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SESSION_COOKIE = "latchkey_session";

const READY_PREFIX = "latchkey listening on";
const READY_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 15000;
const running = new Set();
process.on("exit", () => {
	for (const p of running) p.kill("SIGKILL");
	dropPgDatabases([...pgDatabases.values()]);
});

// --- PostgreSQL mode (see the top comment) ---
export const PG_MODE = process.env.LATCHKEY_TEST_DB === "postgres";
const pgDatabases = new Map(); // data dir -> { name, url } created by this process

/** The --db URL servers on dataDir use in this process: a PostgreSQL one, else the data dir's SQLite file. */
export function dbUrlFor(dataDir) {
	const pg = pgDatabases.get(dataDir);
	return pg ? pg.url : `sqlite:${path.join(dataDir, "latchkey.db")}`;
}

/** A new empty database of the pg-test cluster (started if needed): { name, url }. */
export async function createPgDatabase(prefix = "lk_t") {
	const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
	const url = await new Promise((resolve, reject) => {
		execFile("sh", [path.join(repoRoot, "scripts/pg-test"), "createdb", name], (err, stdout, stderr) => {
			if (err) reject(new Error(`pg-test createdb ${name} failed: ${stderr}`));
			else resolve(stdout.trim());
		});
	});
	// Test-only helpers in a schema of their own (only server.sql puts it on the search path,
	// so the server's own SQL never sees them): SQLite's hex() of a blob and of text.
	execFileSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
		"CREATE SCHEMA lktest; " +
		"CREATE FUNCTION lktest.hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode($1, 'hex')) $$; " +
		"CREATE FUNCTION lktest.hex(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode(convert_to($1, 'UTF8'), 'hex')) $$;"]);
	return { name, url };
}

/** Drops databases made by createPgDatabase (errors ignored: the cluster may be gone). */
export function dropPgDatabases(dbs) {
	if (dbs.length === 0) return;
	const admin = dbs[0].url.replace(/\/[^/?]*(\?.*)?$/, "/postgres");
	const cmds = dbs.flatMap((d) => ["-c", `DROP DATABASE IF EXISTS ${d.name} WITH (FORCE)`]);
	try {
		execFileSync("psql", ["-X", "-q", admin, ...cmds], { stdio: "ignore" });
	} catch {
		// best effort
	}
}

/** Rows (objects) of one SQL statement on the database at url (sqlite: or postgres:). */
export function sqlRows(url, query) {
	if (url.startsWith("sqlite:")) {
		const out = execFileSync("sqlite3", ["-json", url.slice(7), ".timeout 5000", query], { encoding: "utf8" });
		return out.trim() ? JSON.parse(out) : [];
	}
	const rowsQuery = /^\s*(SELECT|WITH)\b/i.test(query);
	const q = rowsQuery ? `SELECT COALESCE(json_agg(t), '[]'::json) FROM (${query}) t` : query;
	const out = execFileSync("psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", q], {
		encoding: "utf8",
		env: { ...process.env, PGOPTIONS: "-c search_path=public,lktest" },
	});
	return rowsQuery ? JSON.parse(out) : [];
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on("error", reject);
		srv.listen(0, "127.0.0.1", () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/** Path of the binary under test: $LATCHKEY_BIN, else build/latchkey of this checkout. */
export function latchkeyBin() {
	return path.resolve(repoRoot, process.env.LATCHKEY_BIN || "build/latchkey");
}

function tail(text, lines = 60) {
	return text.split("\n").slice(-lines).join("\n");
}

export async function startServer({ args = [], env = {}, smtp, origin, port, dataDir } = {}) {
	port = port || (await freePort());
	origin = origin || `http://localhost:${port}`;
	const root = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-test-"));
	const ownDataDir = !dataDir;
	dataDir = dataDir || path.join(root, "data");
	fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	const logFile = path.join(root, "server.log");
	const fullArgs = ["serve", "--listen", `127.0.0.1:${port}`, "--origin", origin, "--data-dir", dataDir];
	if (smtp) fullArgs.push("--smtp-url", typeof smtp === "string" ? smtp : smtp.url);
	// PostgreSQL mode: a database of its own (or the one of the reused data dir)
	const dbArg = args.findIndex((a) => a === "--db" || a.startsWith("--db="));
	let dbUrl = dbArg < 0 ? null : args[dbArg] === "--db" ? args[dbArg + 1] : args[dbArg].slice(5);
	if (PG_MODE && dbArg < 0) {
		if (!pgDatabases.has(dataDir)) pgDatabases.set(dataDir, await createPgDatabase());
		dbUrl = pgDatabases.get(dataDir).url;
		fullArgs.push("--db", dbUrl);
	}
	dbUrl = dbUrl || dbUrlFor(dataDir);
	fullArgs.push(...args);

	const childEnv = {};
	for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("LATCHKEY_")) childEnv[k] = v;
	Object.assign(childEnv, env);

	const bin = latchkeyBin();
	const log = fs.openSync(logFile, "a", 0o600);
	fs.writeSync(log, `# ${bin} ${fullArgs.join(" ")}\n`);
	const proc = spawn(bin, fullArgs, { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
	running.add(proc);
	let output = "";
	const exited = new Promise((resolve) => {
		proc.on("exit", (code, signal) => {
			running.delete(proc);
			resolve({ code, signal });
		});
		proc.on("error", (err) => {
			running.delete(proc);
			output += `spawn failed: ${err.message}\n`;
			resolve({ code: -1, signal: null });
		});
	});
	let streamsOpen = 2;
	const streamsDone = new Promise((resolve) => {
		for (const s of [proc.stdout, proc.stderr]) {
			s.on("data", (d) => {
				fs.writeSync(log, d);
				output += d.toString("utf8");
			});
			s.on("close", () => {
				if (--streamsOpen === 0) resolve();
			});
		}
	});

	// Wait for the ready line on stdout (or for an exit / the timeout).
	await new Promise((resolve, reject) => {
		let stdoutText = "";
		const timer = setTimeout(() => {
			proc.kill("SIGKILL");
			reject(new Error(`latchkey did not print "${READY_PREFIX}" within ${READY_TIMEOUT_MS} ms:\n${tail(output)}`));
		}, READY_TIMEOUT_MS);
		const onData = (d) => {
			stdoutText += d.toString("utf8");
			if (stdoutText.split("\n").some((l) => l.startsWith(READY_PREFIX))) {
				clearTimeout(timer);
				proc.stdout.off("data", onData);
				resolve();
			}
		};
		proc.stdout.on("data", onData);
		exited.then(async ({ code, signal }) => {
			await streamsDone; // 'exit' can come before the last output: report all of it
			clearTimeout(timer);
			reject(new Error(`latchkey exited during start-up (code ${code}, signal ${signal}):\n${tail(output)}`));
		});
	});

	const url = `http://127.0.0.1:${port}`;
	const server = {
		url,
		origin,
		port,
		dataDir,
		dbUrl,
		/** Rows of one SQL statement on this server's database (see the top comment). */
		sql: (query) => sqlRows(dbUrl, query),
		mailDir: path.join(dataDir, "mail"),
		logFile,
		process: proc,
		/** Everything the server wrote so far. */
		log: () => fs.readFileSync(logFile, "utf8"),
		/** A new client with its own cookie jar. */
		client: (opts) => new Client(server, opts),
		/** Sends SIGTERM, waits for the exit; throws on a non-zero exit or a logged secret. */
		async stop({ signal = "SIGTERM" } = {}) {
			if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
			let timer;
			const res = await Promise.race([
				exited,
				new Promise((resolve) => {
					timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
				}),
			]);
			clearTimeout(timer);
			if (!res) {
				proc.kill("SIGKILL");
				await exited;
			}
			await streamsDone;
			fs.closeSync(log);
			const text = fs.readFileSync(logFile, "utf8");
			if (!res) throw new Error(`latchkey did not exit within ${STOP_TIMEOUT_MS} ms of ${signal} (log: ${logFile}):\n${tail(text)}`);
			if (res.code !== 0) {
				throw new Error(`latchkey exited with code ${res.code}, signal ${res.signal} (log: ${logFile}):\n${tail(text)}`);
			}
			assertNoSecrets(text, `server log ${logFile}`);
			if (process.env.LATCHKEY_TEST_KEEP !== "1") {
				if (ownDataDir) fs.rmSync(root, { recursive: true, force: true });
				else fs.rmSync(logFile, { force: true });
				// PostgreSQL mode: the database goes with the data dir
				const pg = ownDataDir && pgDatabases.get(dataDir);
				if (pg && pg.url === dbUrl) {
					pgDatabases.delete(dataDir);
					dropPgDatabases([pg]);
				}
			}
			return { code: res.code, log: text };
		},
	};
	const first = new Client(server);
	server.jar = first;
	server.request = (method, p, opts) => first.request(method, p, opts);
	return server;
}

/**
 * An HTTP client with its own cookie jar for the session cookie (like one browser).
 * new Client(server or base URL, { headers }) — headers are sent with every request.
 * request(method, path, { json, body, headers, cookie }):
 *   json     a value sent as JSON (Content-Type: application/json)
 *   body     raw bytes or string instead (set the Content-Type yourself in headers)
 *   cookie   send this latchkey_session value instead of the jar's (null: send none);
 *            the jar is still updated from the answer
 * resolves to { status, headers, json, text, body, cookie, setCookie }:
 *   headers    node's lower-cased header object, plus headers.get(name) (joined by ", ")
 *   json       the parsed body, or undefined when it is not JSON
 *   cookie     the latchkey_session value this answer set ("" when it cleared it), else null
 *   setCookie  the whole Set-Cookie line for latchkey_session, else null
 * get/post/patch/put/delete(path, json?, opts?) are shorthands.
 */
export class Client {
	constructor(server, { headers = {} } = {}) {
		this.url = typeof server === "string" ? server.replace(/\/$/, "") : server.url;
		this.headers = headers;
		this.cookie = null; // the latchkey_session value held, or null
	}

	request(method, reqPath, { json, body, headers = {}, cookie, timeoutMs = 30000 } = {}) {
		const target = new URL(reqPath, this.url);
		const h = { ...this.headers, ...headers };
		let payload = body;
		if (json !== undefined) {
			payload = JSON.stringify(json);
			if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["Content-Type"] = "application/json";
		}
		const sendCookie = cookie === undefined ? this.cookie : cookie;
		if (sendCookie !== null && sendCookie !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === "cookie")) {
			h.Cookie = `${SESSION_COOKIE}=${sendCookie}`;
		}
		if (payload !== undefined) h["Content-Length"] = Buffer.byteLength(payload);
		return new Promise((resolve, reject) => {
			const req = http.request(
				{ host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers: h, agent: false },
				(res) => {
					const chunks = [];
					res.on("data", (c) => chunks.push(c));
					res.on("error", reject);
					res.on("end", () => {
						const buf = Buffer.concat(chunks);
						const text = buf.toString("utf8");
						let parsed;
						try {
							parsed = text ? JSON.parse(text) : undefined;
						} catch {
							parsed = undefined;
						}
						const resHeaders = { ...res.headers };
						Object.defineProperty(resHeaders, "get", {
							enumerable: false,
							value: (name) => {
								const v = resHeaders[name.toLowerCase()];
								return v === undefined ? null : Array.isArray(v) ? v.join(", ") : String(v);
							},
						});
						let setCookie = null;
						let newCookie = null;
						for (const line of res.headers["set-cookie"] || []) {
							if (!line.startsWith(`${SESSION_COOKIE}=`)) continue;
							setCookie = line;
							const value = line.slice(SESSION_COOKIE.length + 1).split(";")[0].trim();
							const cleared = value === "" || /;\s*max-age=0\s*(;|$)/i.test(line);
							newCookie = cleared ? "" : value;
							this.cookie = cleared ? null : value;
						}
						resolve({ status: res.statusCode, headers: resHeaders, json: parsed, text, body: buf, cookie: newCookie, setCookie });
					});
				},
			);
			req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${reqPath}: no answer within ${timeoutMs} ms`)));
			req.on("error", reject);
			if (payload !== undefined) req.write(payload);
			req.end();
		});
	}

	get(p, opts) {
		return this.request("GET", p, opts);
	}
	post(p, json, opts = {}) {
		return this.request("POST", p, { ...opts, json });
	}
	put(p, json, opts = {}) {
		return this.request("PUT", p, { ...opts, json });
	}
	patch(p, json, opts = {}) {
		return this.request("PATCH", p, { ...opts, json });
	}
	delete(p, opts) {
		return this.request("DELETE", p, opts);
	}
}
