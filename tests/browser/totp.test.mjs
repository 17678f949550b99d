// Browser: authenticator-app set-up from settings (with the "Confirm it's you" dialog), then
// two-step sign-in with a TOTP code and with a recovery code. The codes a person would read
// from a phone come from `oathtool` (OATH Toolkit), typed into the page.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { launchBrowser, openPage } from "../lib/browser.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";

/** The SHA-1, 6-digit, 30-second code of a base32 secret at a time step (oathtool). */
const oath = (secret, step) => execFileSync("oathtool", ["--totp", "-b", "-N", `@${step * 30}`, secret], { encoding: "utf8" }).trim();
const stepNow = () => Math.floor(Date.now() / 30000);

const SUDO_S = 2;
const sudoExpired = () => new Promise((r) => setTimeout(r, SUDO_S * 1000 + 500));
let server;
let browser;
let secret;
let recoveryCodes;
const email = "totp.user@example.com";
const password = recordSecret("totp user passphrase 7", "password");

before(async () => {
	// A short sudo window: once it has passed, sudo actions ask to confirm it's you.
	server = await startServer({ args: ["--sudo-ttl", `${SUDO_S}s`] });
	browser = await launchBrowser();
	const r = await server.client().post("/signup", { email, password });
	assert.equal(r.status, 201);
});
after(async () => {
	await browser?.close();
	await server?.stop();
});

async function signIn(page) {
	await page.goto("/login");
	await page.getByLabel("Email").fill(email);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test("set up TOTP: confirm it's you, scan, enter a code, get 10 recovery codes", async () => {
	const page = await openPage(browser, server);
	await signIn(page);
	await page.waitForURL("**/settings");
	await sudoExpired();
	await page.getByRole("button", { name: "Set up" }).click();

	const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
	await dialog.waitFor();
	await dialog.getByLabel("Password").fill(password);
	await dialog.getByRole("button", { name: "Confirm" }).click();
	await dialog.waitFor({ state: "hidden" });

	secret = (await page.locator("#totp-secret").textContent()).trim();
	recordSecret(secret, "totp secret");
	assert.match(secret, /^[A-Z2-7]{32}$/);
	const link = await page.getByRole("link", { name: /authenticator app/ }).getAttribute("href");
	assert.match(link, /^otpauth:\/\/totp\//);
	assert.equal(new URL(link).searchParams.get("secret"), secret);
	const qr = page.getByRole("img", { name: /QR code/ });
	assert.match(await qr.getAttribute("src"), /^\/2fa\/totp\/qr\.svg/);
	assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "the QR image loaded");

	await page.getByLabel("Code").fill(oath(secret, stepNow()));
	await page.getByRole("button", { name: "Enable" }).click();
	const codes = page.locator("#recovery-codes");
	await codes.waitFor();
	recoveryCodes = (await codes.textContent()).trim().split("\n");
	assert.equal(recoveryCodes.length, 10);
	for (const c of recoveryCodes) recordSecret(c, "recovery code");
	assert.equal(await page.getByRole("button", { name: "Copy" }).count(), 1);

	const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download" }).click()]);
	assert.match(download.suggestedFilename(), /\.txt$/);
	await page.getByRole("button", { name: "I saved them" }).click();
	await page.getByText("10 recovery codes left.").waitFor();
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("sign in with password, then the authenticator code", async () => {
	const page = await openPage(browser, server);
	await signIn(page);
	await page.waitForURL("**/login/2fa");
	await page.getByLabel("Authenticator code").fill("000000" === oath(secret, stepNow()) ? "111111" : "000000");
	await page.getByRole("button", { name: "Verify" }).click();
	await page.getByRole("alert").filter({ hasText: /\S/ }).waitFor();
	// The enabling code's step is spent; the next step is inside the accepted window.
	await page.getByLabel("Authenticator code").fill(oath(secret, stepNow() + 1));
	await page.getByRole("button", { name: "Verify" }).click();
	await page.waitForURL("**/settings");
	await page.getByText(email, { exact: true }).waitFor();
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("sign in with a recovery code", async () => {
	const page = await openPage(browser, server);
	await signIn(page);
	await page.waitForURL("**/login/2fa");
	await page.getByRole("button", { name: "Use a recovery code" }).click();
	await page.getByLabel("Recovery code").fill(recoveryCodes[0]);
	await page.getByRole("button", { name: "Verify" }).click();
	await page.waitForURL("**/settings");
	await page.getByText("9 recovery codes left.").waitFor();
	assert.deepEqual(page.problems, []);
	await page.context().close();
});

test("disable TOTP from settings", async () => {
	const page = await openPage(browser, server);
	await signIn(page);
	await page.waitForURL("**/login/2fa");
	await page.getByRole("button", { name: "Use a recovery code" }).click();
	await page.getByLabel("Recovery code").fill(recoveryCodes[1]);
	await page.getByRole("button", { name: "Verify" }).click();
	await page.waitForURL("**/settings");
	await sudoExpired();
	await page.getByRole("button", { name: "Disable", exact: true }).click();
	await page.getByLabel("Code").fill(recoveryCodes[2]);
	await page.getByRole("button", { name: "Turn off" }).click();
	const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
	await dialog.getByLabel("Password").fill(password);
	await dialog.getByRole("button", { name: "Confirm" }).click();
	await page.getByRole("button", { name: "Set up" }).waitFor();
	const r = await server.client().post("/login", { email, password });
	assert.equal(r.json.status, "authenticated");
	assert.deepEqual(page.problems, []);
	await page.context().close();
});
