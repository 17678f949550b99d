// Browser and email: verify the address, magic link (link and code), account recovery with
// its waiting period, cancel and lockdown confirm pages.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage } from "../lib/browser.mjs";
import { waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";

let server;
let browser;
const email = "mail.user@example.com";
const password = recordSecret("mail user passphrase 1", "password");

before(async () => {
	server = await startServer({ args: ["--recovery-delay", "2s"] });
	browser = await launchBrowser();
	const r = await server.client().post("/signup", { email, password });
	assert.equal(r.status, 201);
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

/** The path and query of a link from an email, to open at server.origin. */
function pathOf(link) {
	const u = new URL(link);
	assert.equal(u.origin, server.origin, "links are built from --origin");
	return u.pathname + u.search;
}

test("the verification email's page verifies only when its button is pressed", async () => {
	const mail = await waitForMail(server.mailDir, { to: email, purpose: "verify-email" });
	recordSecret(mail.token, "verify-email token");
	const page = await openPage(browser, server);
	await page.goto(pathOf(mail.links[0]));
	await page.getByRole("button", { name: "Verify email" }).waitFor();
	const session = await server.client().post("/login", { email, password });
	const before = await server.request("GET", "/me", { cookie: session.cookie });
	assert.equal(before.json.emailVerified, false, "GET of the confirm page consumed nothing");
	// Verify from a browser that is signed in to this account (no pre-hijack reset).
	await page.context().addCookies([{ name: "latchkey_session", value: session.cookie, url: server.origin }]);
	await page.getByRole("button", { name: "Verify email" }).click();
	await page.getByRole("status").filter({ hasText: "verified" }).waitFor();
	const me = await server.request("GET", "/me", { cookie: session.cookie });
	assert.equal(me.json.emailVerified, true);
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("magic link: request on the login page, open the link, press Sign in", async () => {
	const page = await openPage(browser, server);
	await page.goto("/login");
	await page.getByLabel("Email").fill(email);
	await page.getByRole("button", { name: "Send me a magic link" }).click();
	await page.getByLabel("Code").waitFor();
	const mail = await waitForMail(server.mailDir, { to: email, purpose: "magic-link" });
	recordSecret(mail.token, "magic-link token");
	const other = await openPage(browser, server);
	await other.goto(pathOf(mail.links[0]));
	await other.getByRole("button", { name: "Sign in", exact: true }).click();
	await other.waitForURL("**/settings");
	await other.getByText(email, { exact: true }).waitFor();
	assert.deepEqual(page.problems, []);
	assert.deepEqual(other.problems, []);
	await page.context().close();
	await other.context().close();
});

test("magic link: type the code from the email on the login page", async () => {
	const first = await waitForMail(server.mailDir, { to: email, purpose: "magic-link" });
	const page = await openPage(browser, server);
	await page.goto("/login");
	await page.getByLabel("Email").fill(email);
	await page.getByRole("button", { name: "Send me a magic link" }).click();
	await page.getByLabel("Code").waitFor();
	const mail = await waitForMail(server.mailDir, { to: email, purpose: "magic-link", after: first });
	assert.equal(mail.codes.length >= 1, true, "the email carries an 8-digit code");
	await page.getByLabel("Code").fill(mail.codes[0]);
	await page.getByRole("button", { name: "Sign in with code" }).click();
	await page.waitForURL("**/settings");
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("account recovery: request, start, wait, finish with a new password", async () => {
	const page = await openPage(browser, server);
	await page.goto("/recovery");
	await page.getByLabel("Email").fill(email);
	await page.getByRole("button", { name: "Send recovery link" }).click();
	await page.getByRole("status").filter({ hasText: /\S/ }).waitFor();
	const mail = await waitForMail(server.mailDir, { to: email, purpose: "recovery" });
	recordSecret(mail.token, "recovery token");
	await page.goto(pathOf(mail.links[0]));
	await page.getByRole("button", { name: "Start recovery" }).click();
	const newPassword = recordSecret("recovered passphrase 99", "recovered password");
	await page.getByLabel("New password").fill(newPassword);
	// Too early: the page says when it can be finished.
	await page.getByRole("button", { name: "Finish recovery" }).click();
	await page.getByRole("alert").filter({ hasText: /\S/ }).waitFor();
	await new Promise((r) => setTimeout(r, 2500));
	await page.getByRole("button", { name: "Finish recovery" }).click();
	await page.waitForURL("**/settings");
	const r = await server.client().post("/login", { email, password: newPassword });
	assert.equal(r.json.status, "authenticated");
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("cancel link of a started recovery, and the lockdown page", async () => {
	const first = await waitForMail(server.mailDir, { to: email, purpose: "recovery" });
	const c = server.client();
	assert.equal((await c.post("/auth/recovery", { email })).status, 202);
	const mail = await waitForMail(server.mailDir, { to: email, purpose: "recovery", after: first });
	assert.equal((await c.post("/auth/recovery/start", { token: mail.token })).status, 200);
	const started = await waitForMail(server.mailDir, { to: email, purpose: "recovery-started", after: mail });
	const cancel = started.links.find((l) => l.includes("/recovery/cancel?token="));
	const lockdown = started.links.find((l) => l.includes("/auth/lockdown?token="));
	assert.ok(cancel, "the notification carries a cancel link");
	assert.ok(lockdown, "the notification carries a lockdown link");
	const page = await openPage(browser, server);
	await page.goto(pathOf(cancel));
	await page.getByRole("button", { name: "Cancel recovery" }).click();
	await page.getByRole("status").filter({ hasText: "cancelled" }).waitFor();
	const done = await c.post("/auth/recovery/complete", { token: mail.token, newPassword: "whatever passphrase 5" });
	assert.equal(done.status, 400, "a cancelled recovery cannot complete");

	await page.goto(pathOf(lockdown));
	await page.getByRole("button", { name: "Lock my account" }).click();
	await page.getByRole("status").filter({ hasText: "locked" }).waitFor();
	const locked = await server.client().post("/login", { email, password: "recovered passphrase 99" });
	assert.equal(locked.status, 401, "after a lockdown, password sign-in is refused");
	assert.deepEqual(page.problems, []);
	await page.context().close();
});
