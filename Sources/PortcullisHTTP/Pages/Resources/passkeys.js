// Passkeys on Portcullis's pages: the one script the site serves, loaded only by the pages that
// offer passkeys (sign-in, its second step, and the account page). It turns the server's options
// (WebAuthn's JSON serialisation) into what navigator.credentials needs, and the browser's
// answer back into JSON. Everything else about the pages works without script.
"use strict";

(function () {
  function fromBase64url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  }

  function toBase64url(buffer) {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map((d) => ({ type: d.type, id: fromBase64url(d.id), transports: d.transports }));
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      user: Object.assign({}, json.user, { id: fromBase64url(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    const r = credential.response;
    const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  async function post(path, body, csrfToken) {
    const headers = { "Content-Type": "application/json" };
    if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
    const response = await fetch(path, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin" });
    const text = await response.text();
    const json = text ? JSON.parse(text) : {};
    if (!response.ok) throw new Error(json.detail || json.title || "The server refused (" + response.status + ").");
    return json;
  }

  // Only a local path: never another site.
  function destination(form) {
    const next = form && form.querySelector("input[name=next]");
    const value = next ? next.value : "";
    return value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/account";
  }

  function field(form, name) {
    const input = form.querySelector("[name=" + name + "]");
    return input && input.value ? input.value : undefined;
  }

  async function run(element, status) {
    status.textContent = "";
    element.disabled = true;
    try {
      const kind = element.dataset.passkey;
      const form = element.closest("form");
      if (kind === "register") {
        const csrf = field(form, "csrf_token");
        const options = await post("/v1/webauthn/register/options", { password: field(form, "password") }, csrf);
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
        await post("/v1/webauthn/register", { credential: credentialJSON(credential), name: field(form, "name") }, csrf);
        window.location.assign("/account?notice=passkey-added");
        return;
      }
      const mfaToken = kind === "second-step" ? field(form, "mfa_token") : undefined;
      const options = await post("/v1/webauthn/login/options", mfaToken ? { mfa_token: mfaToken } : {});
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      const remember = form && form.querySelector("input[name=remember]");
      await post("/v1/webauthn/login", {
        credential: credentialJSON(credential),
        mfa_token: mfaToken,
        remember: remember ? remember.checked : undefined,
      });
      window.location.assign(destination(form));
    } catch (error) {
      status.textContent = error && error.name === "NotAllowedError" ? "The passkey was not used." : String(error.message || error);
      element.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential) return;
    for (const element of document.querySelectorAll("[data-passkey]")) {
      const status = document.getElementById(element.dataset.status);
      element.hidden = false;
      element.addEventListener("click", (event) => {
        event.preventDefault();
        run(element, status);
      });
      // The add form is hidden until now (it cannot work without script); Enter in its name
      // field adds the passkey instead of submitting the form.
      const form = element.closest("form");
      if (element.dataset.passkey === "register" && form) {
        form.hidden = false;
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          if (!element.disabled) run(element, status);
        });
      }
    }
  });
})();
