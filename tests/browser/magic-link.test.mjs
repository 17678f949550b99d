// Browser: magic-link sign-in from the login page's "Send me a magic link", the .eml in the
// mail dir, the confirm page's "Sign in" (API.md "Magic links", "Web pages"; API-NOTES 87-88,
// 139), a link a mail scanner fetched first, the redirect, a spent link, and an account with TOTP.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, test } from "node:test";
import { launchBrowser, openPage } from "../lib/browser.mjs";
import { parseMail, waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { SESSION_COOKIE, startServer } from "../lib/server.mjs";
import { totp } from "../lib/totp.mjs";

let server;
let browser;
const email = "magic.user@example.com";
const password = recordSecret("magic user passphrase 7", "password");
const taken = new Set();

before(async () => {
	server = await startServer({ args: ["--rate-mail-email", "0"] });
	browser = await launchBrowser();
	const c = server.client();
	assert.equal((await c.post("/signup", { email, password })).status, 201);
	// verified with the account's own session, so magic links leave the password alone
	const vm = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
	recordSecret(vm.token, "verification token");
	assert.equal((await c.post("/auth/verify-email", { token: vm.token })).status, 200);
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

/** The next magic-link email (oldest not taken yet), read back from its .eml file. */
async function nextLinkMail() {
	const m = await waitForMail(server.mailDir, { to: email, purpose: "magic-link", exclude: taken });
	taken.add(m.file);
	assert.match(m.file, /\.eml$/);
	const again = parseMail(fs.readFileSync(m.path));
	assert.equal(again.token, m.token);
	recordSecret(m.token, "magic-link token");
	for (const c of m.codes) recordSecret(c, "magic-link code");
	return m;
}

/** The path and query of the email's sign-in link, checked to come from --origin. */
function linkPath(m) {
	const link = m.links.find((l) => l.includes("/auth/magic-link/verify?token="));
	assert.ok(link, m.body);
	const u = new URL(link);
	assert.equal(u.origin, server.origin, "links are built from --origin");
	return u.pathname + u.search;
}

async function requestByApi(extra = {}) {
	const res = await server.client().post("/auth/magic-link", { email, ...extra });
	assert.equal(res.status, 202, res.text);
	return nextLinkMail();
}

async function sessionCookie(page) {
	return (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE);
}

test("request a link on /login, open it from the .eml, press Sign in: signed in", async () => {
	const page = await openPage(browser, server);
	await page.goto("/login");
	await page.getByLabel("Email").fill(email);
	await page.getByRole("button", { name: "Send me a magic link" }).click();
	await page.getByRole("heading", { name: "Check your email" }).waitFor();
	await page.getByLabel("Code").waitFor();
	const m = await nextLinkMail();
	assert.equal(await sessionCookie(page), undefined, "no session before the link is used");

	await page.goto(linkPath(m));
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/settings");
	await page.getByText(email, { exact: true }).waitFor();
	const cookie = await sessionCookie(page);
	assert.ok(cookie, "a session cookie");
	recordSecret(cookie.value, "browser session");
	const me = await server.client().get("/me", { cookie: cookie.value });
	assert.deepEqual(me.json.session.amr, ["email_link"]);
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("a link a mail scanner fetched first still signs in when the button is pressed", async () => {
	const m = await requestByApi();
	// the scanner: plain GETs, and a headless browser that loads the page without clicking
	for (let i = 0; i < 2; i++) {
		const r = await server.client().get(linkPath(m), { headers: { "User-Agent": "LinkScanner/1.0" } });
		assert.equal(r.status, 200);
		assert.equal(r.setCookie, null);
	}
	const scanner = await openPage(browser, server);
	await scanner.goto(linkPath(m));
	await scanner.getByRole("button", { name: "Sign in", exact: true }).waitFor();
	assert.equal(await sessionCookie(scanner), undefined);
	await scanner.context().close();

	const page = await openPage(browser, server);
	await page.goto(linkPath(m));
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/settings");
	await page.getByText(email, { exact: true }).waitFor();
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("the page follows a safe redirect and ignores an unsafe one", async () => {
	for (const [redirect, expected] of [
		["/settings?from=magic", "/settings?from=magic"],
		["//evil.example/x", "/settings"],
		["https://evil.example/", "/settings"],
	]) {
		const m = await requestByApi({ redirect });
		const page = await openPage(browser, server);
		await page.goto(linkPath(m));
		await page.getByRole("button", { name: "Sign in", exact: true }).click();
		await page.waitForURL((u) => u.pathname === "/settings");
		const u = new URL(page.url());
		assert.equal(u.origin, server.origin);
		assert.equal(u.pathname + u.search, expected);
		assert.deepEqual(page.problems, []);
		await page.context().close();
	}
});

test("a spent link says so in the alert region and signs nobody in", async () => {
	const m = await requestByApi();
	const first = await openPage(browser, server);
	await first.goto(linkPath(m));
	await first.getByRole("button", { name: "Sign in", exact: true }).click();
	await first.waitForURL("**/settings");
	await first.context().close();

	const page = await openPage(browser, server);
	await page.goto(linkPath(m));
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.getByRole("alert").filter({ hasText: /invalid|expired/i }).waitFor();
	assert.equal(new URL(page.url()).pathname, "/auth/magic-link/verify");
	assert.equal(await sessionCookie(page), undefined);
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("an account with TOTP: the link leads to the second step, then in", async () => {
	const who = "magic.totp@example.com";
	const c = server.client();
	assert.equal((await c.post("/signup", { email: who, password })).status, 201);
	const vm = await waitForMail(server.mailDir, { to: who, purpose: "verify-email" });
	recordSecret(vm.token, "verification token");
	assert.equal((await c.post("/auth/verify-email", { token: vm.token })).status, 200);
	const setup = await c.post("/2fa/totp/setup", {});
	const secret = recordSecret(setup.json.secret, "totp secret");
	const enabled = await c.post("/2fa/totp/enable", { code: totp(secret) });
	assert.equal(enabled.status, 200, enabled.text);
	for (const rc of enabled.json.recoveryCodes) recordSecret(rc, "recovery code");

	assert.equal((await server.client().post("/auth/magic-link", { email: who })).status, 202);
	const m = await waitForMail(server.mailDir, { to: who, purpose: "magic-link" });
	recordSecret(m.token, "magic-link token");
	const page = await openPage(browser, server);
	await page.goto(linkPath(m));
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/login/2fa");
	// the enabling code's step is spent; the next one is inside the window
	await page.getByLabel("Authenticator code").fill(totp(secret, { at: Date.now() / 1000 + 30 }));
	await page.getByRole("button", { name: "Verify" }).click();
	await page.waitForURL("**/settings");
	await page.getByText(who, { exact: true }).waitFor();
	const cookie = await sessionCookie(page);
	recordSecret(cookie.value, "browser session");
	const me = await server.client().get("/me", { cookie: cookie.value });
	assert.deepEqual(me.json.session.amr, ["email_link", "otp"]);
	assert.equal(me.json.session.aal, 2);
	assert.deepEqual(page.problems, []);
	await page.context().close();
});
