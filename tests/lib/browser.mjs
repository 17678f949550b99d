// Chromium for browser tests (playwright-core driving Debian's /usr/bin/chromium).
//
//   import { launchBrowser, openPage, addVirtualAuthenticator } from "../lib/browser.mjs";
//   const browser = await launchBrowser();
//   const page = await openPage(browser, server);      // a fresh context at server.origin
//   await page.goto("/signup");
//   const auth = await addVirtualAuthenticator(page);   // WebAuthn without a person
//   assert.deepEqual(page.problems, []);                // CSP violations, script errors
//
// Pages are opened at server.origin (http://localhost:PORT), the origin latchkey was started
// with, so the cross-site check and WebAuthn's origin and RP ID match.

import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
];

export function launchBrowser() {
	return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A page in a new browser context (its own cookies) whose relative URLs resolve against
 * server.origin. page.problems collects uncaught script errors, CSP violations and console
 * errors other than failed resource loads (a 401 or 403 the page handles is normal).
 */
export async function openPage(browser, server, contextOptions = {}) {
	const context = await browser.newContext({ baseURL: server.origin, ...contextOptions });
	const page = await context.newPage();
	page.problems = [];
	page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
	page.on("console", (m) => {
		const t = m.text();
		if (m.type() === "error" && !/^Failed to load resource/.test(t)) page.problems.push(`console: ${t}`);
		else if (/Content Security Policy/i.test(t)) page.problems.push(`csp: ${t}`);
	});
	return page;
}

/**
 * Adds a CTAP2 platform authenticator with resident keys and user verification to the page's
 * browser context (Chrome DevTools Protocol WebAuthn domain). Returns
 * { cdp, authenticatorId, credentials() }.
 */
export async function addVirtualAuthenticator(page, options = {}) {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send("WebAuthn.enable", { enableUI: false });
	const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
		options: {
			protocol: "ctap2",
			transport: "internal",
			hasResidentKey: true,
			hasUserVerification: true,
			isUserVerified: true,
			automaticPresenceSimulation: true,
			...options,
		},
	});
	return {
		cdp,
		authenticatorId,
		credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
	};
}
