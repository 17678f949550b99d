// Browser with a virtual authenticator: add a passkey in settings, rename it, sign in with it
// (button and autofill), delete it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { addVirtualAuthenticator, launchBrowser, openPage } from "../lib/browser.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";

let server;
let browser;
let context; // one context: the virtual authenticator keeps its credentials across pages
let page;
let authenticator;
const email = "passkey.user@example.com";
const password = recordSecret("passkey user passphrase", "password");

before(async () => {
	server = await startServer();
	browser = await launchBrowser();
	page = await openPage(browser, server);
	context = page.context();
	authenticator = await addVirtualAuthenticator(page);
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

test("add a passkey from settings and rename it", async () => {
	await page.goto("/signup");
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Create account" }).click();
	await page.waitForURL("**/settings");
	await page.getByText("No passkeys yet.").waitFor();
	assert.equal((await page.locator("#alert").textContent()).trim(), "", "settings loaded without an error");

	await page.getByLabel("Name for a new passkey").fill("Laptop");
	await page.getByRole("button", { name: "Add a passkey" }).click();
	await page.getByRole("status").filter({ hasText: "added" }).waitFor();
	const item = page.locator("#passkey-list > li").filter({ hasText: "Laptop" });
	await item.waitFor();
	assert.equal((await authenticator.credentials()).length, 1);
	await page.locator("#event-list").getByText("passkey added").waitFor(); // the events list follows changes

	await item.getByRole("button", { name: "Rename" }).click();
	await page.getByLabel("New name").fill("Work laptop");
	await page.getByRole("button", { name: "Save" }).click();
	await page.locator("#passkey-list > li").filter({ hasText: "Work laptop" }).waitFor();
	const r = await server.request("GET", "/me/passkeys", { cookie: (await context.cookies()).find((c) => c.name === "latchkey_session").value });
	assert.equal(r.json.passkeys.length, 1);
	assert.equal(r.json.passkeys[0].name, "Work laptop");
	assert.deepEqual(page.problems, []);
});

/** Counts the page's POSTs to a path. */
function counter(p, path) {
	const c = { n: 0 };
	p.on("request", (r) => {
		if (r.method() === "POST" && new URL(r.url()).pathname === path) c.n++;
	});
	return c;
}

test("passkey autofill: the login page's conditional request signs in as it loads", async () => {
	// The virtual authenticator answers a conditional request at once, as if the person had
	// picked the passkey from the Email field's autofill list.
	const verified = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/auth/passkey/verify"));
	await page.getByRole("button", { name: "Sign out" }).click();
	assert.equal((await verified).status(), 200);
	await page.waitForURL("**/settings");
	await page.getByText(email, { exact: true }).waitFor();
	const me = await page.evaluate(async () => (await fetch("/me", { credentials: "same-origin" })).json());
	assert.deepEqual(me.session.amr, ["passkey_uv"]);
	assert.equal(me.session.aal, 2);
	assert.deepEqual(page.problems, []);
});

/** Signs out and in again with "Sign in with passkey" while the autofill request is pending. */
async function signInWithButton(p, auth) {
	const options = counter(p, "/auth/passkey/options");
	const verify = counter(p, "/auth/passkey/verify");
	const presence = (enabled) => auth.cdp.send("WebAuthn.setAutomaticPresenceSimulation", { authenticatorId: auth.authenticatorId, enabled });
	await presence(false); // keeps the conditional request pending
	const autofillAsked = p.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/auth/passkey/options"));
	await p.getByRole("button", { name: "Sign out" }).click();
	await p.waitForURL("**/login");
	await autofillAsked;
	await p.waitForTimeout(300);
	await presence(true);
	await p.waitForTimeout(300);
	assert.match(p.url(), /\/login$/, "the pending autofill request did not sign in by itself");
	await p.getByRole("button", { name: "Sign in with passkey" }).click();
	await p.waitForURL("**/settings");
	assert.equal(options.n, 2, "one options request for autofill, one for the button");
	assert.equal(verify.n, 1, "only the button's ceremony was verified (autofill was aborted)");
}

test("Sign in with passkey aborts the pending autofill request and runs its own", async () => {
	await signInWithButton(page, authenticator);
	await page.getByText(email, { exact: true }).waitFor();
	assert.deepEqual(page.problems, []);
});

test("without the browser's JSON helpers the script converts base64url by hand", async () => {
	const p2 = await openPage(browser, server);
	await p2.addInitScript(() => {
		delete PublicKeyCredential.parseCreationOptionsFromJSON;
		delete PublicKeyCredential.parseRequestOptionsFromJSON;
		delete PublicKeyCredential.prototype.toJSON;
	});
	const a2 = await addVirtualAuthenticator(p2);
	await p2.goto("/login");
	assert.equal(await p2.evaluate(() => typeof PublicKeyCredential.parseRequestOptionsFromJSON), "undefined");
	assert.equal(await p2.evaluate(() => typeof PublicKeyCredential.prototype.toJSON), "undefined");
	await p2.getByLabel("Email").fill(email);
	await p2.getByLabel("Password").fill(password);
	await p2.getByRole("button", { name: "Sign in", exact: true }).click();
	await p2.waitForURL("**/settings");
	await p2.getByLabel("Name for a new passkey").fill("Fallback");
	await p2.getByRole("button", { name: "Add a passkey" }).click();
	await p2.locator("#passkey-list > li").filter({ hasText: "Fallback" }).waitFor();
	assert.equal((await a2.credentials()).length, 1);
	await signInWithButton(p2, a2);
	const fallback = p2.locator("#passkey-list > li").filter({ hasText: "Fallback" });
	await fallback.getByRole("button", { name: "Delete" }).click();
	await fallback.waitFor({ state: "detached" });
	assert.deepEqual(p2.problems, []);
	await p2.context().close();
});

test("delete the passkey", async () => {
	const item = page.locator("#passkey-list > li").filter({ hasText: "Work laptop" });
	await item.getByRole("button", { name: "Delete" }).click();
	await page.getByText("No passkeys yet.").waitFor();
	assert.deepEqual(page.problems, []);
});
