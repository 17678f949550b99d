// Browser: a passkey proving a second step, in Chromium with a CDP virtual authenticator
// (ctap2, internal, resident keys, user verification; and a u2f security key without user
// verification): "Use a passkey" on /login/2fa after a
// password for an account with TOTP, and in the settings page's "Confirm it's you" dialog once
// the sudo window has passed. (tests/browser/passkeys.test.mjs covers adding, renaming, the
// passkey button, autofill and deleting.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { addVirtualAuthenticator, launchBrowser, openPage } from "../lib/browser.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";
import { totp } from "../lib/totp.mjs";

let browser;
const password = recordSecret("passkey steps passphrase", "password");

before(async () => {
	browser = await launchBrowser();
});
after(async () => {
	await browser?.close();
});

/**
 * The virtual authenticator answers at once, so the login page's autofill request (started on
 * load) would sign in before the password form is used. These pages report conditional
 * mediation as unavailable, so each test walks the path it names.
 */
async function page(server, authenticator = {}) {
	const p = await openPage(browser, server);
	await p.addInitScript(() => {
		if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
	});
	await addVirtualAuthenticator(p, authenticator);
	return p;
}

/** GET path with the page's cookies, parsed JSON. */
function pageGet(p, path) {
	return p.evaluate(async (u) => (await fetch(u, { credentials: "same-origin" })).json(), path);
}

/** POST a JSON body with the page's cookies; resolves to the status. */
function pagePost(p, path, body) {
	return p.evaluate(
		async ([u, b]) =>
			(
				await fetch(u, {
					method: "POST",
					credentials: "same-origin",
					headers: { "Content-Type": "application/json" },
					body: JSON.stringify(b),
				})
			).status,
		[path, body],
	);
}

async function signUpWithPasskey(p, email, name) {
	await p.goto("/signup");
	await p.getByLabel("Email").fill(email);
	await p.getByLabel("Password").fill(password);
	await p.getByRole("button", { name: "Create account" }).click();
	await p.waitForURL("**/settings");
	await p.getByText("No passkeys yet.").waitFor();
	await p.getByLabel("Name for a new passkey").fill(name);
	await p.getByRole("button", { name: "Add a passkey" }).click();
	await p.locator("#passkey-list > li").filter({ hasText: name }).waitFor();
}

/**
 * Signs up with a passkey from the page's authenticator, turns TOTP on, signs out, signs in
 * with the password and finishes /login/2fa with "Use a passkey"; returns /me.
 */
async function passkeyAsSecondStep(p, email) {
	await signUpWithPasskey(p, email, "Key");
	const setup = await p.evaluate(async () => (await fetch("/2fa/totp/setup", { method: "POST", credentials: "same-origin" })).json());
	recordSecret(setup.secret, "totp secret");
	assert.equal(await pagePost(p, "/2fa/totp/enable", { code: totp(setup.secret) }), 200);

	await p.getByRole("button", { name: "Sign out" }).click();
	await p.waitForURL("**/login");
	await p.getByLabel("Email").fill(email);
	await p.getByLabel("Password").fill(password);
	await p.getByRole("button", { name: "Sign in", exact: true }).click();
	await p.waitForURL("**/login/2fa");
	await p.getByRole("button", { name: "Use a passkey" }).click();
	await p.waitForURL("**/settings");
	return pageGet(p, "/me");
}

test("with TOTP on, /login/2fa signs in with \"Use a passkey\"", async () => {
	const server = await startServer();
	const p = await page(server);
	try {
		const me = await passkeyAsSecondStep(p, "two.steps@example.com");
		assert.deepEqual(me.session.amr, ["pwd", "passkey_uv"]);
		assert.equal(me.session.aal, 2);
		const ev = (await pageGet(p, "/me/events")).events.find((e) => e.type === "2fa.success");
		assert.deepEqual(ev.detail, { method: "passkey" });
		assert.deepEqual(p.problems, []);
	} finally {
		await p.context().close();
		await server.stop();
	}
});

test("\"Confirm it's you\" accepts a passkey once the sudo window has passed", async () => {
	const server = await startServer({ args: ["--sudo-ttl", "4s"] });
	const p = await page(server);
	try {
		await signUpWithPasskey(p, "sudo.steps@example.com", "First");
		await p.waitForTimeout(4500); // the signup's sudo window closes
		await p.locator("#passkey-list > li").filter({ hasText: "First" }).getByRole("button", { name: "Delete" }).click();
		const dialog = p.getByRole("dialog");
		await dialog.waitFor();
		await dialog.getByRole("button", { name: "Use a passkey" }).click();
		await p.getByText("No passkeys yet.").waitFor();
		const me = await pageGet(p, "/me");
		assert.deepEqual(me.session.amr, ["pwd", "passkey_uv"]);
		const ev = (await pageGet(p, "/me/events")).events.map((e) => e.type);
		assert.ok(ev.includes("reauth.success") && ev.includes("passkey.removed"), ev.join(","));
		assert.deepEqual(p.problems, []);
	} finally {
		await p.context().close();
		await server.stop();
	}
});

test("a U2F security key (no user verification) is a second factor after a password", async () => {
	const server = await startServer();
	const p = await page(server, {
		protocol: "u2f",
		transport: "usb",
		hasResidentKey: false,
		hasUserVerification: false,
		isUserVerified: false,
	});
	try {
		const me = await passkeyAsSecondStep(p, "u2f.key@example.com");
		assert.deepEqual(me.session.amr, ["pwd", "passkey"], "UP without UV: passkey, not passkey_uv");
		assert.equal(me.session.aal, 2);
		assert.deepEqual(p.problems, []);
	} finally {
		await p.context().close();
		await server.stop();
	}
});
