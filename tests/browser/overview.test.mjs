// Browser: the settings page's overview of every way into the account ("Ways to sign in"),
// kept current as factors change.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage } from "../lib/browser.mjs";
import { recordSecret } from "../lib/secrets.mjs";
import { startServer } from "../lib/server.mjs";
import { totp } from "../lib/totp.mjs";

let browser;
const password = recordSecret("overview passphrase 42", "password");

before(async () => {
	browser = await launchBrowser();
});
after(async () => {
	await browser?.close();
});

async function overview(p) {
	const items = p.locator("#method-list > li");
	await items.first().waitFor();
	return Object.fromEntries(
		await items.evaluateAll((lis) => lis.map((li) => [li.querySelector("span").textContent, li.querySelector(".meta").textContent])),
	);
}

test("settings lists every way in: password, authenticator app, recovery codes, passkeys, magic link", async () => {
	const server = await startServer();
	const p = await openPage(browser, server);
	try {
		await p.goto("/signup");
		await p.getByLabel("Email").fill("overview@example.com");
		await p.getByLabel("Password").fill(password);
		await p.getByRole("button", { name: "Create account" }).click();
		await p.waitForURL("**/settings");
		await p.getByRole("heading", { name: "Ways to sign in" }).waitFor();
		assert.deepEqual(await overview(p), {
			Password: "Set",
			"Authenticator app": "Off",
			"Recovery codes": "None",
			Passkeys: "None",
			"Magic link by email": "Once your email is verified",
		});

		const setup = await p.evaluate(async () => (await fetch("/2fa/totp/setup", { method: "POST", credentials: "same-origin" })).json());
		recordSecret(setup.secret, "totp secret");
		const status = await p.evaluate(
			async (code) => (await fetch("/2fa/totp/enable", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }) })).status,
			totp(setup.secret),
		);
		assert.equal(status, 200);
		await p.reload();
		await p.getByRole("heading", { name: "Ways to sign in" }).waitFor();
		await p.locator("#method-list").getByText("10 left").waitFor();
		const after2fa = await overview(p);
		assert.equal(after2fa["Authenticator app"], "On");
		assert.equal(after2fa["Recovery codes"], "10 left");
		assert.deepEqual(p.problems, []);
	} finally {
		await p.context().close();
		await server.stop();
	}
});
