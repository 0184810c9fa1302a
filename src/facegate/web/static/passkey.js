// The portal's passkey set-up: options from the self-service API, the browser's WebAuthn prompt, the answer back.
(function () {
  "use strict";
  var box = document.getElementById("passkey");
  var button = document.getElementById("passkey-button");
  var status = document.getElementById("passkey-status");
  if (!box || !button || !status) { return; }
  // The page's language: each message is a data-msg-* attribute of the box, rendered by the server.
  function msg(name) { return box.getAttribute("data-msg-" + name) || ""; }
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON || !window.fetch) {
    status.textContent = msg("unsupported");
    return;
  }
  if (/^[0-9.]+$/.test(location.hostname) || location.hostname.indexOf(":") >= 0 || location.hostname[0] === "[") {
    status.textContent = msg("domain");
    return;
  }
  var auth = "Bearer " + box.getAttribute("data-token");
  function call(method, path, body) {
    return fetch("/api/v1/me" + path, {
      method: method,
      headers: { "Authorization": auth, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.detail || msg("refused")); }
        return data;
      });
    });
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = msg("prompt");
    call("POST", "/passkey/options")
      .then(function (options) {
        return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      })
      .then(function (credential) { return call("PUT", "/passkey", { credential: credential.toJSON() }); })
      .then(function () {
        document.getElementById("passkey-state").textContent = msg("set");
        status.textContent = msg("done");
      })
      .catch(function (error) { status.textContent = msg("failed") + " " + error.message; })
      .then(function () { button.disabled = false; });
  });
}());
