// Reads the email latchkey writes to its mail dir (one RFC 5322 file per message,
// "<unix-ms>-<id>.eml", CRLF lines, written under a dot-prefixed name and then renamed), and
// the Maildir that smtp.mjs's aiosmtpd fills. See API.md "Email" and API-NOTES 135-137.
//
//   import { waitForMail } from "../lib/mail.mjs";
//   const m = await waitForMail(server.mailDir, { to: "a@example.com", purpose: "magic-link" });
//   m.headers["x-latchkey-purpose"], m.body, m.links[0], m.token, m.codes[0], m.file
//
// A filter holds any of: to (compared case-insensitively with the To header's address),
// purpose (X-Latchkey-Purpose), subject (a substring), after (a message or file name: only
// messages whose file name sorts after it, i.e. queued later), exclude (a Set of file names).

import fs from "node:fs";
import path from "node:path";

/** Parses one message: { headers (lower-case names, unfolded), body, links, token, codes, raw }. */
export function parseMail(raw) {
	const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : raw;
	const m = /\r?\n\r?\n/.exec(text);
	const head = m ? text.slice(0, m.index) : text;
	let body = m ? text.slice(m.index + m[0].length) : "";
	const headers = {};
	for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
		const i = line.indexOf(":");
		if (i <= 0) continue;
		const name = line.slice(0, i).trim().toLowerCase();
		const value = line.slice(i + 1).trim();
		headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
	}
	const cte = (headers["content-transfer-encoding"] || "").toLowerCase();
	if (cte === "base64") body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
	else if (cte === "quoted-printable") {
		body = Buffer.from(
			body.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))),
			"latin1",
		).toString("utf8");
	}
	const lines = body.split(/\r?\n/).map((l) => l.trim());
	const links = lines.filter((l) => /^https?:\/\/\S+$/.test(l));
	let token = null;
	for (const l of links) {
		token = new URL(l).searchParams.get("token");
		if (token) break;
	}
	const codes = body.match(/(?<![\w-])\d{8}(?![\w-])/g) || [];
	return { headers, body, links, token, codes, raw: text };
}

function addressOf(header) {
	const m = /<([^>]*)>/.exec(header || "");
	return (m ? m[1] : header || "").trim().toLowerCase();
}

function matches(msg, file, filter) {
	if (filter.exclude && filter.exclude.has(file)) return false;
	if (filter.after) {
		const after = typeof filter.after === "string" ? filter.after : filter.after.file;
		if (file <= after) return false;
	}
	if (filter.to && addressOf(msg.headers.to) !== filter.to.trim().toLowerCase()) return false;
	if (filter.purpose && msg.headers["x-latchkey-purpose"] !== filter.purpose) return false;
	if (filter.subject && !(msg.headers.subject || "").includes(filter.subject)) return false;
	return true;
}

/** Message files of a latchkey mail dir, or of a Maildir's new/ and cur/, oldest first. */
function messageFiles(dir) {
	const out = [];
	for (const sub of [dir, path.join(dir, "new"), path.join(dir, "cur")]) {
		let names;
		try {
			names = fs.readdirSync(sub);
		} catch {
			continue;
		}
		for (const n of names) {
			if (n.startsWith(".")) continue; // not yet renamed into place
			const full = path.join(sub, n);
			if ((sub === dir && !n.endsWith(".eml")) || !fs.statSync(full).isFile()) continue;
			out.push({ name: n, full });
		}
	}
	return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every message in dir that matches filter, oldest first; each has .file (its name) and .path. */
export function listMail(dir, filter = {}) {
	const out = [];
	for (const { name, full } of messageFiles(dir)) {
		const msg = parseMail(fs.readFileSync(full));
		if (matches(msg, name, filter)) out.push(Object.assign(msg, { file: name, path: full }));
	}
	return out;
}

/** Polls dir until a message matches filter; resolves to the oldest such message. */
export async function waitForMail(dir, filter = {}, timeoutMs = 10000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = listMail(dir, filter);
		if (found.length) return found[0];
		if (Date.now() > deadline) {
			const seen = listMail(dir).map((m) => `${m.file}: to=${m.headers.to} purpose=${m.headers["x-latchkey-purpose"]}`);
			throw new Error(`no mail matching ${JSON.stringify({ ...filter, exclude: undefined, after: filter.after && (filter.after.file || filter.after) })} in ${dir} within ${timeoutMs} ms; present:\n${seen.join("\n") || "(none)"}`);
		}
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** Waits timeoutMs and asserts that no message matches filter (for "sends nothing" rules). */
export async function assertNoMail(dir, filter = {}, timeoutMs = 1000) {
	await new Promise((r) => setTimeout(r, timeoutMs));
	const found = listMail(dir, filter);
	if (found.length) throw new Error(`unexpected mail: ${found.map((m) => m.file + " " + m.headers.subject).join("; ")}`);
}
