// Browser: sign up, sign out, sign in by password, wrong password, sessions, password change,
// and every page's headers, labels and freedom from CSP violations.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage } from "../lib/browser.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";

let server;
let browser;
const email = "alice@example.com";
const password = recordSecret("correct horse battery staple", "alice password");

before(async () => {
	server = await startServer();
	browser = await launchBrowser();
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

test("sign up, sign out, sign in by clicking", async () => {
	const page = await openPage(browser, server);
	await page.goto("/signup");
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Create account" }).click();
	await page.waitForURL("**/settings");
	await assert.doesNotReject(page.getByText(email, { exact: true }).waitFor());

	await page.getByRole("button", { name: "Sign out" }).click();
	await page.waitForURL("**/login");
	// Signed out: /settings sends us back to /login.
	await page.goto("/settings");
	await page.waitForURL("**/login");

	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/settings");
	await page.getByText(email, { exact: true }).waitFor();
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("a wrong password shows the API's message in the alert region", async () => {
	const page = await openPage(browser, server);
	await page.goto("/login");
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill("not the right password");
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	const alert = page.getByRole("alert");
	await alert.filter({ hasText: /\S/ }).waitFor();
	const r = await server.client().post("/login", { email, password: "not the right password" });
	assert.equal(r.status, 401);
	assert.equal((await alert.textContent()).trim(), r.json.message);
	assert.match(page.url(), /\/login$/);
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("sign in with the keyboard alone", async () => {
	const page = await openPage(browser, server);
	await page.goto("/login");
	await page.keyboard.press("Tab");
	assert.equal(await page.evaluate(() => document.activeElement.id), "email", "Tab reaches Email first");
	await page.keyboard.type(email);
	await page.keyboard.press("Tab");
	assert.equal(await page.evaluate(() => document.activeElement.id), "password");
	await page.keyboard.type(password);
	await page.keyboard.press("Enter");
	await page.waitForURL("**/settings");
	await page.keyboard.press("Tab");
	const focused = await page.evaluate(() => document.activeElement.textContent.trim());
	assert.equal(focused, "Sign out", "the first stop on settings is Sign out");
	await page.keyboard.press("Enter");
	await page.waitForURL("**/login");
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("sessions list the other browser, and Revoke signs it out", async () => {
	const a = await openPage(browser, server);
	const b = await openPage(browser, server);
	for (const page of [a, b]) {
		await page.goto("/login");
		await page.getByLabel("Email").fill(email);
		await page.getByLabel("Password").fill(password);
		await page.getByRole("button", { name: "Sign in", exact: true }).click();
		await page.waitForURL("**/settings");
	}
	await a.reload(); // a's list was drawn before b signed in
	await a.getByText("This device").waitFor();
	const sessions = a.locator("#session-list > li");
	let n = await sessions.count();
	assert.ok(n >= 2, `expected at least 2 sessions, saw ${n}`);
	// Revoke every other session from a.
	for (;;) {
		const others = sessions.filter({ hasNot: a.getByText("This device") });
		if ((await others.count()) === 0) break;
		await others.first().getByRole("button", { name: "Revoke" }).click();
		await a.waitForFunction((k) => document.querySelectorAll("#session-list > li").length === k, n - 1);
		n -= 1;
	}
	assert.equal(n, 1);
	await b.reload();
	await b.waitForURL("**/login");
	assert.deepEqual(a.problems, []);
	await a.context().close();
	await b.context().close();
});

test("settings: every field labelled, in each state of the TOTP section", async () => {
	const page = await openPage(browser, server);
	await page.goto("/login");
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/settings");
	await page.getByText("This device").waitFor();
	assert.deepEqual(await unlabelled(page), []);
	assert.equal(await page.locator("h1").count(), 1);
	await page.getByRole("button", { name: "Set up" }).click();
	await page.getByLabel("Code").waitFor();
	assert.deepEqual(await unlabelled(page), []);
	await page.getByRole("button", { name: "Cancel" }).click();
	assert.equal((await page.locator("#alert").textContent()).trim(), "", "no error while loading settings");
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("change the password from settings, then sign in with the new one", async () => {
	const newPassword = recordSecret("a different long passphrase 42", "alice new password");
	const page = await openPage(browser, server);
	await page.goto("/login");
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/settings");
	await page.getByLabel("New password").fill(newPassword);
	await page.getByRole("button", { name: "Change password" }).click();
	await page.getByRole("status").filter({ hasText: "Password changed" }).waitFor();

	const old = await server.client().post("/login", { email, password });
	assert.equal(old.status, 401);
	const ok = await server.client().post("/login", { email, password: newPassword });
	assert.equal(ok.status, 200);
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

/** Ids (or names) of the visible inputs on the page that have no <label>. */
function unlabelled(page) {
	return page.evaluate(() =>
		[...document.querySelectorAll("input")].filter((i) => i.labels.length === 0 && i.offsetParent !== null).map((i) => i.id || i.name || i.type),
	);
}

const pages = {
	"/login": ["Email", "Password"],
	"/signup": ["Email", "Password"],
	"/login/2fa": ["Authenticator code"],
	"/recovery": ["Email"],
	"/auth/verify-email?token=x": [],
	"/auth/magic-link/verify?token=x": [],
	"/recovery/cancel?token=x": [],
	"/auth/lockdown?token=x": [],
};
const buttons = {
	"/login": ["Sign in", "Sign in with passkey", "Send me a magic link"],
	"/signup": ["Create account"],
	"/login/2fa": ["Verify", "Use a recovery code", "Use a passkey"],
	"/recovery": ["Send recovery link"],
	"/auth/verify-email?token=x": ["Verify email"],
	"/auth/magic-link/verify?token=x": ["Sign in"],
	"/recovery/cancel?token=x": ["Cancel recovery"],
	"/auth/lockdown?token=x": ["Lock my account"],
};

test("every page: strict CSP, no-store, labelled fields, named buttons, no violations", async () => {
	for (const [path, labels] of Object.entries(pages)) {
		const page = await openPage(browser, server);
		const res = await page.goto(path);
		assert.equal(res.status(), 200, path);
		const h = res.headers();
		assert.match(h["content-security-policy"] || "", /default-src 'none'/, path);
		assert.match(h["content-security-policy"] || "", /script-src 'self'/, path);
		assert.match(h["cache-control"] || "", /no-store/, path);
		for (const label of labels) {
			assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `${path}: field ${label}`);
		}
		for (const name of buttons[path]) {
			assert.equal(await page.getByRole("button", { name, exact: true }).count(), 1, `${path}: button ${name}`);
		}
		assert.equal(await page.getByRole("alert").count() >= 1, true, `${path}: alert region`);
		assert.deepEqual(await unlabelled(page), [], `${path}: inputs without a label`);
		assert.equal(await page.locator("h1").count(), 1, `${path}: one h1`);
		// The login page's email field offers passkeys to autofill.
		if (path === "/login") assert.equal(await page.getByLabel("Email").getAttribute("autocomplete"), "username webauthn");
		assert.deepEqual(page.problems, [], path);
		await page.context().close();
	}
	// The GET of a confirm page never consumes anything and says nothing about the token.
	const a = await server.client().get("/auth/magic-link/verify?token=nonsense");
	const b = await server.client().get("/auth/magic-link/verify?token=other");
	assert.equal(a.status, 200);
	assert.equal(a.text, b.text);
});
