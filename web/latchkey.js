/* latchkey web client: the one script of every page (the CSP forbids inline script).
 * It talks to the JSON API with same-origin fetch; the session lives in an HttpOnly cookie the
 * script never sees. <body data-page="..."> picks the page's code. Text from the server is only
 * ever inserted with textContent, never as HTML. */
(() => {
	"use strict";

	const $ = (sel, root = document) => root.querySelector(sel);

	/* el("button", {type: "button", text: "Save", onclick: fn}, child...) */
	function el(tag, props = {}, ...kids) {
		const n = document.createElement(tag);
		for (const [k, v] of Object.entries(props)) {
			if (v === null || v === undefined || v === false) continue;
			if (k === "text") n.textContent = v;
			else if (k === "class") n.className = v;
			else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
			else n.setAttribute(k, v === true ? "" : String(v));
		}
		for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) n.append(c);
		return n;
	}

	/* A labelled input: returns the wrapping div; the input is div.input. */
	function field(id, label, attrs = {}) {
		const input = el("input", { id, name: id, type: "text", ...attrs });
		const div = el("div", { class: "field" }, el("label", { for: id, text: label }), input);
		div.input = input;
		return div;
	}

	function when(iso) {
		if (!iso) return "never";
		const d = new Date(iso);
		return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
	}

	/* ---- API ---- */

	class ApiError extends Error {
		constructor(status, body) {
			super((body && body.message) || `The server answered ${status}.`);
			this.status = status;
			this.code = (body && body.error) || "http_" + status;
			this.body = body || {};
		}
	}
	class Cancelled extends Error {}

	async function api(method, path, body, signal) {
		const init = { method, credentials: "same-origin", headers: { Accept: "application/json" }, signal };
		if (body !== undefined) {
			init.headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		let res;
		try {
			res = await fetch(path, init);
		} catch (e) {
			if (e && e.name === "AbortError") throw e;
			throw new ApiError(0, { error: "network", message: "Could not reach the server. Check your connection and try again." });
		}
		const text = await res.text();
		let data = null;
		try {
			data = text ? JSON.parse(text) : null;
		} catch {
			data = null;
		}
		if (!res.ok) throw new ApiError(res.status, data);
		return data || {};
	}

	/* ---- messages ---- */

	function say(msg, region = "#alert") {
		const r = $(region);
		if (r) r.textContent = msg || "";
	}
	function note(msg) {
		say("", "#alert");
		say(msg, "#status");
	}
	function messageOf(e) {
		if (e instanceof ApiError) return e.message;
		if (e && e.name === "NotAllowedError") return "The passkey request was cancelled or timed out.";
		if (e && e.name === "InvalidStateError") return "This passkey is already registered.";
		if (e && e.name === "NotSupportedError") return "This browser or device does not support passkeys.";
		return (e && e.message) || "Something went wrong. Please try again.";
	}
	function showError(e, region = "#alert") {
		if (e instanceof Cancelled || (e && e.name === "AbortError")) return;
		say(messageOf(e), region);
	}

	/* Runs fn for a click or submit: clears old messages, disables the control meanwhile. */
	async function run(control, fn, region = "#alert") {
		say("", region);
		say("", "#status");
		if (control) control.disabled = true;
		try {
			await fn();
		} catch (e) {
			showError(e, region);
		} finally {
			if (control) control.disabled = false;
		}
	}
	function onSubmit(form, fn, region) {
		form.addEventListener("submit", (ev) => {
			ev.preventDefault();
			run(form.querySelector("button[type=submit]"), fn, region);
		});
	}
	function onClick(button, fn, region) {
		button.addEventListener("click", () => run(button, fn, region));
	}

	/* Leaves the page once: later calls (say a 401 from a load still in flight after
	 * "Sign out") would otherwise abort the navigation already under way. */
	let leaving = false;
	function go(url, replace = false) {
		if (leaving) return;
		leaving = true;
		if (replace) location.replace(url);
		else location.assign(url);
	}

	function tokenFromUrl() {
		return new URLSearchParams(location.search).get("token") || "";
	}
	/* Only a same-site path: one leading "/", not "//" or "/\". */
	function safePath(p) {
		return typeof p === "string" && /^\/(?![/\\])/.test(p) && !/[\u0000-\u001f\u007f]/.test(p) ? p : null;
	}
	function afterSignIn(data) {
		if (data.status === "2fa_required") {
			try {
				sessionStorage.setItem("latchkey.methods", JSON.stringify(data.methods || []));
			} catch {
				/* storage may be disabled: the 2FA page then offers every method */
			}
			go("/login/2fa");
		} else {
			go(safePath(data.redirect) || "/settings");
		}
	}

	/* ---- WebAuthn: JSON (base64url) <-> ArrayBuffer ---- */

	function b64uDecode(s) {
		const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
		const bin = atob(b64);
		const out = new Uint8Array(bin.length);
		for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
		return out.buffer;
	}
	function b64uEncode(buf) {
		if (!buf) return null;
		const bytes = new Uint8Array(buf instanceof ArrayBuffer ? buf : buf.buffer);
		let bin = "";
		for (const b of bytes) bin += String.fromCharCode(b);
		return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
	}
	const withIds = (list) => (list || []).map((c) => ({ ...c, id: b64uDecode(c.id) }));

	function creationOptions(json) {
		if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
			return PublicKeyCredential.parseCreationOptionsFromJSON(json);
		}
		return {
			...json,
			challenge: b64uDecode(json.challenge),
			user: { ...json.user, id: b64uDecode(json.user.id) },
			excludeCredentials: withIds(json.excludeCredentials),
		};
	}
	function requestOptions(json) {
		if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
			return PublicKeyCredential.parseRequestOptionsFromJSON(json);
		}
		return { ...json, challenge: b64uDecode(json.challenge), allowCredentials: withIds(json.allowCredentials) };
	}
	function credentialJSON(cred) {
		if (typeof cred.toJSON === "function") {
			try {
				return cred.toJSON();
			} catch {
				/* fall through to the conversion by hand */
			}
		}
		const r = cred.response;
		const response = { clientDataJSON: b64uEncode(r.clientDataJSON) };
		if (r.attestationObject) {
			response.attestationObject = b64uEncode(r.attestationObject);
			response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
		} else {
			response.authenticatorData = b64uEncode(r.authenticatorData);
			response.signature = b64uEncode(r.signature);
			response.userHandle = b64uEncode(r.userHandle);
		}
		return {
			id: cred.id,
			rawId: b64uEncode(cred.rawId),
			type: cred.type,
			authenticatorAttachment: cred.authenticatorAttachment || null,
			clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
			response,
		};
	}
	function requirePasskeys() {
		if (!window.PublicKeyCredential || !navigator.credentials) {
			throw new Error("This browser does not support passkeys.");
		}
	}
	/* options: the API's PublicKeyCredentialRequestOptionsJSON; extra: mediation, signal. */
	async function passkeyGet(options, extra = {}) {
		requirePasskeys();
		const cred = await navigator.credentials.get({ publicKey: requestOptions(options.publicKey || options), ...extra });
		if (!cred) throw new Cancelled();
		return credentialJSON(cred);
	}
	async function passkeyCreate(options) {
		requirePasskeys();
		const cred = await navigator.credentials.create({ publicKey: creationOptions(options.publicKey || options) });
		if (!cred) throw new Cancelled();
		return credentialJSON(cred);
	}

	/* ---- /signup ---- */

	function pageSignup() {
		onSubmit($("#signup-form"), async () => {
			await api("POST", "/signup", { email: $("#email").value, password: $("#password").value });
			go("/settings");
		});
	}

	/* ---- /login ---- */

	function pageLogin() {
		/* Passkey autofill: a conditional-mediation get() started on load; the passkey button
		 * aborts it (and waits for it to settle) before its own get(). */
		const autofill = new AbortController();
		const autofillDone = (async () => {
			if (!window.PublicKeyCredential || typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") return;
			let response;
			/* Until the person picks a passkey, failures (aborted, rate limited) stay quiet. */
			try {
				if (!(await PublicKeyCredential.isConditionalMediationAvailable()) || autofill.signal.aborted) return;
				const options = await api("POST", "/auth/passkey/options", {}, autofill.signal);
				response = await passkeyGet(options, { mediation: "conditional", signal: autofill.signal });
			} catch {
				return;
			}
			afterSignIn(await api("POST", "/auth/passkey/verify", { response }));
		})().catch((e) => showError(e));
		async function stopAutofill() {
			autofill.abort();
			await autofillDone;
		}

		onSubmit($("#login-form"), async () => {
			afterSignIn(await api("POST", "/login", { email: $("#email").value, password: $("#password").value }));
		});

		onClick($("#passkey-button"), async () => {
			await stopAutofill();
			const email = $("#email").value.trim();
			const options = await api("POST", "/auth/passkey/options", email ? { email } : {});
			const response = await passkeyGet(options);
			afterSignIn(await api("POST", "/auth/passkey/verify", { response }));
		});

		onClick($("#magic-button"), async () => {
			const email = $("#email").value.trim();
			if (!email) {
				$("#email").focus();
				throw new Error("Enter your email address first.");
			}
			await api("POST", "/auth/magic-link", { email });
			$("#magic-email").textContent = email;
			$("#login-main").hidden = true;
			$("#magic-sent").hidden = false;
			$("#login-title").textContent = "Check your email";
			$("#magic-code").focus();
		});

		onSubmit($("#magic-code-form"), async () => {
			const body = { email: $("#email").value.trim(), code: $("#magic-code").value.replace(/[\s-]/g, "") };
			afterSignIn(await api("POST", "/auth/magic-link/verify", body));
		});

		$("#magic-back").addEventListener("click", () => {
			$("#magic-sent").hidden = true;
			$("#login-main").hidden = false;
			$("#login-title").textContent = "Sign in";
			say("");
			$("#email").focus();
		});
	}

	/* ---- /login/2fa ---- */

	function page2fa() {
		let methods = null;
		try {
			methods = JSON.parse(sessionStorage.getItem("latchkey.methods") || "null");
		} catch {
			methods = null;
		}
		if (Array.isArray(methods)) {
			if (!methods.includes("recovery_code")) $("#toggle-recovery").hidden = true;
			if (!methods.includes("passkey")) $("#use-passkey").hidden = true;
		}
		let recovery = false;
		const input = $("#factor");
		const toggle = $("#toggle-recovery");
		toggle.addEventListener("click", () => {
			recovery = !recovery;
			$("#factor-label").textContent = recovery ? "Recovery code" : "Authenticator code";
			$("#factor-hint").textContent = recovery
				? "Enter one of the recovery codes you saved when you set up two-step verification. Each works once."
				: "Enter the code your authenticator app shows for this account.";
			input.inputMode = recovery ? "text" : "numeric";
			input.autocomplete = recovery ? "off" : "one-time-code";
			input.value = "";
			toggle.textContent = recovery ? "Use an authenticator code" : "Use a recovery code";
			say("");
			input.focus();
		});
		const done = (data) => {
			try {
				sessionStorage.removeItem("latchkey.methods");
			} catch {
				/* ignore */
			}
			afterSignIn(data);
		};
		onSubmit($("#factor-form"), async () => {
			const body = recovery ? { recoveryCode: input.value.trim() } : { code: input.value.replace(/[\s-]/g, "") };
			try {
				done(await api("POST", "/login/2fa", body));
			} catch (e) {
				input.select();
				throw e;
			}
		});
		onClick($("#use-passkey"), async () => {
			const options = await api("POST", "/login/2fa/passkey/options", {});
			const passkeyResponse = await passkeyGet(options);
			done(await api("POST", "/login/2fa", { passkeyResponse }));
		});
	}

	/* ---- confirm pages: one button posting ?token= ---- */

	function pageConfirm(path, after) {
		const token = tokenFromUrl();
		const button = $("#confirm-button");
		if (!token) {
			say("This link is incomplete. Open the link from the email again, or copy the whole address into the browser.");
			button.disabled = true;
			return;
		}
		onClick(button, async () => {
			const data = await api("POST", path, { token });
			after(data);
		});
	}
	function finished(text) {
		note(text);
		$("#confirm-button").hidden = true;
		$("#confirm-text").hidden = true;
	}

	/* ---- /recovery ---- */

	function pageRecovery() {
		const token = tokenFromUrl();
		onSubmit($("#recovery-request-form"), async () => {
			const email = $("#email").value.trim();
			await api("POST", "/auth/recovery", { email });
			note(`If an account uses ${email}, we sent it a recovery link. It works for one hour.`);
		});
		if (!token) return;
		$("#recovery-request").hidden = true;
		$("#recovery-start").hidden = false;
		onClick($("#recovery-start-button"), async () => {
			const data = await api("POST", "/auth/recovery/start", { token });
			$("#completes-at").textContent = when(data.completesAt);
			$("#recovery-start").hidden = true;
			$("#recovery-complete").hidden = false;
		});
		onSubmit($("#recovery-complete-form"), async () => {
			try {
				await api("POST", "/auth/recovery/complete", { token, newPassword: $("#new-password").value });
			} catch (e) {
				if (e.code === "recovery_pending" && e.body.completesAt) {
					throw new Error(`Not yet: you can finish the recovery after ${when(e.body.completesAt)}.`);
				}
				throw e;
			}
			go("/settings");
		});
	}

	/* ---- /settings ---- */

	function pageSettings() {
		/* "Confirm it's you": resolves true once /me/reauth succeeded, false when dismissed. */
		async function reauth() {
			const methods = await api("GET", "/me/auth-methods");
			const dialog = $("#reauth-dialog");
			const body = $("#reauth-body");
			say("", "#reauth-alert");
			body.replaceChildren();
			return new Promise((resolve) => {
				let result = false;
				const finish = (ok) => {
					result = ok;
					dialog.close();
				};
				dialog.addEventListener(
					"close",
					() => {
						body.replaceChildren();
						resolve(result);
					},
					{ once: true },
				);
				const proof = methods.password
					? field("reauth-password", "Password", { type: "password", autocomplete: "current-password", required: true })
					: methods.totp
						? field("reauth-code", "Code", { inputmode: "numeric", autocomplete: "one-time-code", required: true })
						: null;
				const row = el("div", { class: "actions" });
				if (proof) {
					row.append(el("button", { type: "submit", text: "Confirm" }));
					const form = el("form", {}, proof, row);
					onSubmit(
						form,
						async () => {
							const v = proof.input.value;
							await api("POST", "/me/reauth", methods.password ? { password: v } : { code: v.replace(/[\s-]/g, "") });
							finish(true);
						},
						"#reauth-alert",
					);
					body.append(form);
				} else {
					body.append(row);
				}
				if (methods.passkeys > 0) {
					const pk = el("button", { type: "button", class: "secondary", text: "Use a passkey" });
					onClick(
						pk,
						async () => {
							const options = await api("POST", "/me/reauth/passkey/options", {});
							const passkeyResponse = await passkeyGet(options);
							await api("POST", "/me/reauth", { passkeyResponse });
							finish(true);
						},
						"#reauth-alert",
					);
					row.append(pk);
				}
				row.append(el("button", { type: "button", class: "secondary", text: "Cancel", onclick: () => finish(false) }));
				dialog.showModal();
				if (proof) proof.input.focus();
			});
		}

		/* An API call from this page: 401 goes to /login, a needed reauthentication asks once. */
		async function call(method, path, body) {
			try {
				return await api(method, path, body);
			} catch (e) {
				if (e.status === 401 && path !== "/me/reauth") {
					go("/login");
					throw new Cancelled();
				}
				if (e.code !== "reauthentication_required") throw e;
				if (!(await reauth())) throw new Cancelled();
				return api(method, path, body);
			}
		}

		/* passkeys */
		async function loadPasskeys() {
			const { passkeys } = await call("GET", "/me/passkeys");
			const list = $("#passkey-list");
			list.replaceChildren();
			if (!passkeys.length) list.append(el("li", { class: "meta", text: "No passkeys yet." }));
			for (const pk of passkeys) list.append(passkeyItem(pk));
		}
		function passkeyItem(pk) {
			const li = el("li");
			const show = () => {
				const rename = el("button", { type: "button", class: "secondary", text: "Rename", "aria-label": `Rename ${pk.name}` });
				rename.addEventListener("click", () => edit());
				const del = el("button", { type: "button", class: "danger", text: "Delete", "aria-label": `Delete ${pk.name}` });
				onClick(del, async () => {
					await call("DELETE", `/me/passkeys/${encodeURIComponent(pk.id)}`);
					note(`Passkey "${pk.name}" deleted.`);
					await loadPasskeys();
					refreshEvents();
				});
				li.replaceChildren(
					el(
						"div",
						{ class: "item-main" },
						el("strong", { text: pk.name }),
						pk.backedUp ? el("span", { class: "badge", text: "Synced" }) : null,
						el("div", { class: "meta", text: `Added ${when(pk.createdAt)} · last used ${when(pk.lastUsedAt)}` }),
					),
					el("div", { class: "actions" }, rename, del),
				);
			};
			const edit = () => {
				const f = field(`rename-${pk.id}`, "New name", { value: pk.name, maxlength: 64, required: true, autocomplete: "off" });
				const form = el(
					"form",
					{ class: "item-main" },
					f,
					el(
						"div",
						{ class: "actions" },
						el("button", { type: "submit", text: "Save" }),
						el("button", { type: "button", class: "secondary", text: "Cancel", onclick: show }),
					),
				);
				onSubmit(form, async () => {
					const data = await call("PATCH", `/me/passkeys/${encodeURIComponent(pk.id)}`, { name: f.input.value });
					Object.assign(pk, data.passkey || { name: f.input.value });
					show();
					refreshEvents();
				});
				li.replaceChildren(form);
				f.input.focus();
			};
			show();
			return li;
		}
		onSubmit($("#passkey-add-form"), async () => {
			const options = await call("POST", "/auth/passkey/register/options", {});
			const response = await passkeyCreate(options);
			const name = $("#passkey-name").value.trim();
			const data = await call("POST", "/auth/passkey/register/verify", name ? { response, name } : { response });
			$("#passkey-name").value = "";
			note(`Passkey "${data.passkey ? data.passkey.name : name}" added.`);
			await loadPasskeys();
			refreshEvents();
		});

		/* TOTP: one state at a time in #totp-body */
		let qrVersion = 0;
		const totp = $("#totp-body");
		async function totpFromServer() {
			const me = await call("GET", "/me");
			if (me.totpEnabled) totpOn(me.recoveryCodesRemaining);
			else totpOff();
		}
		function totpOff() {
			const setup = el("button", { type: "button", text: "Set up" });
			onClick(setup, async () => totpSetup(await call("POST", "/2fa/totp/setup", {})));
			totp.replaceChildren(
				el("p", { text: "Off. With an authenticator app, signing in also asks for a 6-digit code from your phone." }),
				setup,
			);
		}
		function totpSetup(data) {
			const src = "/2fa/totp/qr.svg" + (qrVersion++ ? `?v=${qrVersion}` : "");
			const code = field("totp-code", "Code", { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 10, required: true });
			const form = el(
				"form",
				{},
				code,
				el(
					"div",
					{ class: "actions" },
					el("button", { type: "submit", text: "Enable" }),
					el("button", { type: "button", class: "secondary", text: "Cancel", onclick: () => totpOff() }),
				),
			);
			onSubmit(form, async () => {
				const res = await call("POST", "/2fa/totp/enable", { code: code.input.value.replace(/[\s-]/g, "") });
				note("Two-step verification is on.");
				showCodes(res.recoveryCodes);
				refreshEvents();
			});
			totp.replaceChildren(
				el("p", { text: "Scan this QR code with your authenticator app, or type the secret into it. Then enter the code it shows." }),
				el("img", { class: "qr", src, alt: "QR code of the authenticator set-up link", width: 192, height: 192 }),
				el("p", {}, "Secret: ", el("code", { id: "totp-secret", class: "secret", text: data.secret })),
				/^otpauth:\/\//.test(data.otpauthUri || "")
					? el("p", {}, el("a", { href: data.otpauthUri, text: "Open in an authenticator app on this device" }))
					: null,
				form,
			);
			code.input.focus();
		}
		function showCodes(codes) {
			const text = codes.join("\n");
			const pre = el("pre", { id: "recovery-codes", class: "codes", tabindex: 0, "aria-label": "Recovery codes", text });
			const copy = el("button", { type: "button", class: "secondary", text: "Copy" });
			onClick(copy, async () => {
				try {
					await navigator.clipboard.writeText(text + "\n");
					note("Recovery codes copied.");
				} catch {
					getSelection().selectAllChildren(pre);
					note("Recovery codes selected: press Ctrl+C (or Cmd+C) to copy them.");
				}
			});
			const download = el("button", { type: "button", class: "secondary", text: "Download" });
			download.addEventListener("click", () => {
				const url = URL.createObjectURL(new Blob([text + "\n"], { type: "text/plain" }));
				const a = el("a", { href: url, download: "latchkey-recovery-codes.txt", hidden: true });
				document.body.append(a);
				a.click();
				a.remove();
				setTimeout(() => URL.revokeObjectURL(url), 10000);
			});
			const done = el("button", { type: "button", text: "I saved them" });
			onClick(done, totpFromServer);
			totp.replaceChildren(
				el("p", { text: "Save these recovery codes somewhere safe. Each one works once if you lose your authenticator app. They are shown only now." }),
				pre,
				el("div", { class: "actions" }, copy, download, done),
			);
		}
		function totpOn(remaining) {
			const regen = el("button", { type: "button", class: "secondary", text: "Regenerate recovery codes" });
			onClick(regen, async () => {
				showCodes((await call("POST", "/2fa/recovery-codes", {})).recoveryCodes);
				refreshEvents();
			});
			const disable = el("button", { type: "button", class: "danger", text: "Disable" });
			const row = el("div", { class: "actions" }, regen, disable);
			disable.addEventListener("click", () => {
				const code = field("totp-disable-code", "Code", { autocomplete: "one-time-code", required: true });
				const form = el(
					"form",
					{},
					el("p", { class: "hint", text: "Enter a code from your authenticator app, or one of your recovery codes." }),
					code,
					el(
						"div",
						{ class: "actions" },
						el("button", { type: "submit", class: "danger", text: "Turn off" }),
						el("button", { type: "button", class: "secondary", text: "Cancel", onclick: () => totpOn(remaining) }),
					),
				);
				onSubmit(form, async () => {
					const v = code.input.value.trim();
					const body = /[a-z]/i.test(v) ? { recoveryCode: v } : { code: v.replace(/[\s-]/g, "") };
					await call("POST", "/2fa/totp/disable", body);
					note("Two-step verification is off.");
					totpOff();
					refreshEvents();
				});
				row.replaceWith(form);
				code.input.focus();
			});
			totp.replaceChildren(
				el("p", {}, "On. ", el("span", { id: "recovery-remaining", text: `${remaining} recovery code${remaining === 1 ? "" : "s"} left.` })),
				row,
			);
		}

		/* sessions */
		async function loadSessions() {
			const { sessions } = await call("GET", "/me/sessions");
			$("#session-list").replaceChildren(
				...sessions.map((s) => {
					const revoke = el("button", { type: "button", class: "danger", text: "Revoke" });
					onClick(revoke, async () => {
						await call("DELETE", `/me/sessions/${encodeURIComponent(s.id)}`);
						if (s.current) go("/login");
						else await Promise.all([loadSessions(), loadEvents()]);
					});
					return el(
						"li",
						{},
						el(
							"div",
							{ class: "item-main" },
							el("span", { text: s.userAgent || "Unknown browser" }),
							s.current ? el("span", { class: "badge", text: "This device" }) : null,
							el("div", { class: "meta", text: `${s.ip || "unknown address"} · signed in ${when(s.createdAt)} · last active ${when(s.lastSeenAt)}` }),
						),
						revoke,
					);
				}),
			);
		}

		/* The overview of every way into the account, refreshed with the events. */
		async function loadMethods() {
			const m = await call("GET", "/me/auth-methods");
			const rows = [
				["Password", m.password ? "Set" : "Not set"],
				["Authenticator app", m.totp ? "On" : "Off"],
				["Recovery codes", m.totp ? `${m.recoveryCodes} left` : "None"],
				["Passkeys", m.passkeys ? String(m.passkeys) : "None"],
				["Magic link by email", m.magicLink ? "Available" : "Once your email is verified"],
			];
			$("#method-list").replaceChildren(
				...rows.map(([name, state]) => el("li", {}, el("div", { class: "item-main" }, el("span", { text: name }), el("div", { class: "meta", text: state })))),
			);
		}

		async function loadEvents() {
			loadMethods().catch(() => {});
			const { events } = await call("GET", "/me/events");
			const list = $("#event-list");
			list.replaceChildren(...events.slice(0, 25).map((ev) => el("li", {}, el("div", { class: "item-main" }, el("span", { text: ev.type.replace(/[._]/g, " ") }), el("div", { class: "meta", text: `${when(ev.at)} · ${ev.ip || "command line"}` })))));
			if (!events.length) list.append(el("li", { class: "meta", text: "Nothing yet." }));
		}
		/* After a security change: show its event; a failure here is not the change's failure. */
		function refreshEvents() {
			loadEvents().catch(() => {});
		}

		onSubmit($("#password-form"), async () => {
			await call("POST", "/me/password", { newPassword: $("#new-password").value });
			$("#new-password").value = "";
			note("Password changed. Your other sessions were signed out.");
			await Promise.all([loadSessions(), loadEvents()]);
		});

		onClick($("#sign-out"), async () => {
			await api("POST", "/logout");
			go("/login");
		});

		run(null, async () => {
			let me;
			try {
				me = await api("GET", "/me");
			} catch (e) {
				if (e.status === 401) {
					go("/login", true);
					return;
				}
				throw e;
			}
			$("#me-email").textContent = me.email;
			$("#verify-hint").hidden = !!me.emailVerified;
			if (me.totpEnabled) totpOn(me.recoveryCodesRemaining);
			else totpOff();
			await Promise.all([loadPasskeys(), loadSessions(), loadEvents()]);
		});
	}

	const pages = {
		signup: pageSignup,
		login: pageLogin,
		"login-2fa": page2fa,
		settings: pageSettings,
		recovery: pageRecovery,
		"verify-email": () =>
			pageConfirm("/auth/verify-email", () => finished("Your email address is verified. Thank you.")),
		"magic-link": () => pageConfirm("/auth/magic-link/verify", afterSignIn),
		"recovery-cancel": () =>
			pageConfirm("/auth/recovery/cancel", () =>
				finished("Account recovery cancelled. If you did not start it, consider changing your password."),
			),
		lockdown: () =>
			pageConfirm("/auth/lockdown", () =>
				finished("Your account is locked: every session was signed out. To get back in, sign in with a second factor or recover your account."),
			),
	};
	const start = pages[document.body.dataset.page];
	if (start) start();
})();
