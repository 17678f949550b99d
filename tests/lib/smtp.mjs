// A real SMTP peer for tests: aiosmtpd (Debian's python3-aiosmtpd, run with /usr/bin/python3)
// storing every message it accepts in a Maildir.
//
//   import { startSmtp } from "../lib/smtp.mjs";
//   const smtp = await startSmtp();
//   const server = await startServer({ smtp });        // adds --smtp-url smtp.url
//   const m = await smtp.waitForMessage({ to, purpose: "magic-link" });
//   m.headers["x-rcptto"]  (aiosmtpd adds X-Peer, X-MailFrom, X-RcptTo)
//   await smtp.stop();
//
// startSmtp({ utf8 }) resolves once the server answers "220" on its port.

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { listMail, waitForMail } from "./mail.mjs";
import { freePort } from "./server.mjs";

const PYTHON = "/usr/bin/python3";
const READY_TIMEOUT_MS = 15000;

function greets(port) {
	return new Promise((resolve) => {
		const s = net.connect(port, "127.0.0.1");
		let data = "";
		const done = (ok) => {
			s.destroy();
			resolve(ok);
		};
		s.setTimeout(1000, () => done(false));
		s.on("data", (d) => {
			data += d;
			if (data.includes("\n")) done(data.startsWith("220"));
		});
		s.on("error", () => done(false));
	});
}

export async function startSmtp({ utf8 = false } = {}) {
	const port = await freePort();
	const root = fs.mkdtempSync(path.join(os.tmpdir(), "latchkey-smtp-"));
	const maildir = path.join(root, "Maildir");
	const args = ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`];
	if (utf8) args.push("-u");
	args.push("-c", "aiosmtpd.handlers.Mailbox", maildir);
	const proc = spawn(PYTHON, args, { stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	proc.stdout.on("data", (d) => (output += d));
	proc.stderr.on("data", (d) => (output += d));
	const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
	process.on("exit", () => proc.kill("SIGKILL"));

	const deadline = Date.now() + READY_TIMEOUT_MS;
	for (;;) {
		if (proc.exitCode !== null) throw new Error(`aiosmtpd exited (code ${proc.exitCode}):\n${output}`);
		if (await greets(port)) break;
		if (Date.now() > deadline) {
			proc.kill("SIGKILL");
			throw new Error(`aiosmtpd did not greet on port ${port} within ${READY_TIMEOUT_MS} ms:\n${output}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}

	return {
		url: `smtp://127.0.0.1:${port}`,
		port,
		maildir,
		/** Every message received that matches filter (see mail.mjs), oldest first. */
		messages: (filter) => listMail(maildir, filter),
		/** Waits for a message matching filter (see mail.mjs). */
		waitForMessage: (filter, timeoutMs = 15000) => waitForMail(maildir, filter, timeoutMs),
		output: () => output,
		async stop() {
			if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
			await exited;
			if (process.env.LATCHKEY_TEST_KEEP !== "1") fs.rmSync(root, { recursive: true, force: true });
		},
	};
}
