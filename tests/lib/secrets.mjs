// Registry of the secrets a test used (passwords, tokens, recovery codes, TOTP secrets, session
// cookies) so that the end of a test can prove the server never wrote them down.
//
//   import { recordSecret, assertNoSecrets, assertNoSecretsInFile } from "../lib/secrets.mjs";
//   recordSecret(password, "alice password");
//   ...
//   await server.stop();           // stop() already calls assertNoSecrets(server log)
//   assertNoSecretsInFile(path.join(server.dataDir, "latchkey.db"));   // tokens only hashed
//
// Each value is looked for as sent, JSON-escaped and percent-encoded. Values shorter than 8
// characters (6-digit TOTP codes, deliberately weak passwords) are not recorded: such short
// strings turn up by chance in timestamps, ports and durations, so a hit would prove nothing.
// The registry lives per test process (node --test runs each file in its own process).

import fs from "node:fs";

export const MIN_SECRET_LENGTH = 8;
const registry = new Map(); // value -> label

/** Remembers value (a string) under a label that names it in failure messages. Returns value. */
export function recordSecret(value, label = "secret") {
	if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH && !registry.has(value)) {
		registry.set(value, label);
	}
	return value;
}

/** Every recorded [value, label]. */
export function recordedSecrets() {
	return [...registry.entries()];
}

function forms(value) {
	return new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
}

/** The labels of the recorded secrets that occur in text (a string or a Buffer). */
export function findSecrets(text) {
	const hay = Buffer.isBuffer(text) ? text : Buffer.from(String(text), "utf8");
	const found = [];
	for (const [value, label] of registry) {
		for (const f of forms(value)) {
			if (hay.includes(Buffer.from(f, "utf8"))) {
				found.push(label);
				break;
			}
		}
	}
	return found;
}

/** Throws naming every recorded secret found in text; where says what text is. */
export function assertNoSecrets(text, where = "text") {
	const found = findSecrets(text);
	if (found.length) throw new Error(`${where} contains recorded secrets: ${found.join(", ")}`);
}

/** Like assertNoSecrets for the bytes of a file (and its SQLite -wal / -journal companions). */
export function assertNoSecretsInFile(file) {
	for (const f of [file, `${file}-wal`, `${file}-journal`]) {
		if (fs.existsSync(f)) assertNoSecrets(fs.readFileSync(f), f);
	}
}
