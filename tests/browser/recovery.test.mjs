// Browser: recover an account that lost every factor through the /recovery pages — the
// account had TOTP and a passkey, the owner locked it from a notification first — and check
// what the recovered account is left with (docs/assurance.md "Account recovery").
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage } from "../lib/browser.mjs";
import { waitForMail } from "../lib/mail.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";
import { totp } from "../lib/totp.mjs";
import { SoftAuthn } from "../lib/softauthn.mjs";

let server;
let browser;
const email = "lost.everything@example.com";
const password = recordSecret("lost everything passphrase 3", "password");

before(async () => {
	server = await startServer({ args: ["--recovery-delay", "2s"] });
	browser = await launchBrowser();
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

function pathOf(link) {
	const u = new URL(link);
	assert.equal(u.origin, server.origin, "links are built from --origin");
	return u.pathname + u.search;
}

/** GET path with the page's own cookies, as the page's script would. */
function fetchJson(page, path) {
	return page.evaluate(async (p) => {
		const r = await fetch(p, { headers: { Accept: "application/json" } });
		return { status: r.status, json: await r.json().catch(() => null) };
	}, path);
}

test("lock the account from a notification, then recover it through the pages", async () => {
	// The account the owner had: password, TOTP with recovery codes, a passkey.
	const c = server.client();
	assert.equal((await c.post("/signup", { email, password })).status, 201);
	const setup = await c.post("/2fa/totp/setup", {});
	assert.equal(setup.status, 200, setup.text);
	recordSecret(setup.json.secret, "totp secret");
	const en = await c.post("/2fa/totp/enable", { code: totp(setup.json.secret) });
	assert.equal(en.status, 200, en.text);
	const auth = new SoftAuthn({ origin: server.origin });
	const opts = await c.post("/auth/passkey/register/options", {});
	assert.equal((await c.post("/auth/passkey/register/verify", { response: auth.create(opts.json) })).status, 201);

	// "This wasn't me": the lockdown link of the TOTP notification, pressed in the browser.
	const notice = await waitForMail(server.mailDir, { to: email, purpose: "totp-enabled" });
	const lockLink = notice.links.find((l) => l.includes("/auth/lockdown?token="));
	assert.ok(lockLink, notice.body);
	recordSecret(new URL(lockLink).searchParams.get("token"), "lockdown token");
	const page = await openPage(browser, server);
	await page.goto(pathOf(lockLink));
	await page.getByRole("button", { name: "Lock my account" }).click();
	await page.getByRole("status").filter({ hasText: /locked/i }).waitFor();
	assert.equal((await c.get("/me")).status, 401, "every session was revoked");

	// Every factor is lost: recover through /recovery.
	await page.goto("/login");
	await page.getByRole("link", { name: /recover|forgot|lost/i }).first().click();
	await page.waitForURL("**/recovery");
	await page.getByLabel("Email").fill(email);
	await page.getByRole("button", { name: "Send recovery link" }).click();
	await page.getByRole("status").filter({ hasText: /\S/ }).waitFor();
	const mail = await waitForMail(server.mailDir, { to: email, purpose: "recovery" });
	recordSecret(mail.token, "recovery token");
	await page.goto(pathOf(mail.links.find((l) => l.includes("/recovery?token="))));
	await page.getByRole("button", { name: "Start recovery" }).click();
	await page.locator("#completes-at").filter({ hasText: /\S/ }).waitFor();
	const started = await waitForMail(server.mailDir, { to: email, purpose: "recovery-started" });
	assert.ok(started.links.some((l) => l.includes("/recovery/cancel?token=")));

	// Coming back to the link later shows the same pending recovery.
	await page.reload();
	await page.getByRole("button", { name: "Start recovery" }).click();
	await page.locator("#completes-at").filter({ hasText: /\S/ }).waitFor();

	const newPassword = recordSecret("recovered at last passphrase 7", "new password");
	await page.getByLabel("New password").fill(newPassword);
	await page.getByRole("button", { name: "Finish recovery" }).click();
	await page.getByRole("alert").filter({ hasText: /not yet/i }).waitFor();
	await new Promise((r) => setTimeout(r, 2300));
	await page.getByRole("button", { name: "Finish recovery" }).click();
	await page.waitForURL("**/settings");
	await page.getByText(email, { exact: true }).waitFor();

	// What the recovered account holds: a new password, nothing else; AAL 1, email verified.
	const me = await fetchJson(page, "/me");
	assert.equal(me.status, 200);
	assert.equal(me.json.totpEnabled, false);
	assert.equal(me.json.recoveryCodesRemaining, 0);
	assert.equal(me.json.passkeys, 0);
	assert.equal(me.json.emailVerified, true);
	assert.deepEqual(me.json.session.amr, ["email_link"]);
	assert.equal(me.json.session.aal, 1);
	const events = (await fetchJson(page, "/me/events")).json.events.map((e) => e.type);
	for (const t of ["lockdown", "recovery.requested", "recovery.started", "recovery.completed"]) assert.ok(events.includes(t), `${t} in ${events}`);
	await waitForMail(server.mailDir, { to: email, purpose: "recovery-completed" });

	// The lock is lifted and the old password gone: sign out, sign in with the new one.
	await page.getByRole("button", { name: "Sign out" }).click();
	await page.waitForURL("**/login");
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.getByRole("alert").filter({ hasText: /\S/ }).waitFor();
	await page.getByLabel("Password").fill(newPassword);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
	await page.waitForURL("**/settings");
	assert.deepEqual(page.problems, []);
	await page.context().close();
});
