// The portal's passkey set-up: options from the self-service API, the browser's WebAuthn prompt, the answer back.
(function () {
  "use strict";
  var box = document.getElementById("passkey");
  var button = document.getElementById("passkey-button");
  var status = document.getElementById("passkey-status");
  if (!box || !button || !status) { return; }
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON || !window.fetch) {
    status.textContent = "This browser cannot make passkeys here; use one of the other methods named above.";
    return;
  }
  if (/^[0-9.]+$/.test(location.hostname) || location.hostname.indexOf(":") >= 0 || location.hostname[0] === "[") {
    status.textContent = "Passkeys need a domain name: open this page by the service's name (for a server on this " +
      "computer, localhost) instead of an IP address.";
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
        if (!response.ok) { throw new Error(data.detail || "the service refused"); }
        return data;
      });
    });
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "Follow your device's prompt.";
    call("POST", "/passkey/options")
      .then(function (options) {
        return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      })
      .then(function (credential) { return call("PUT", "/passkey", { credential: credential.toJSON() }); })
      .then(function () {
        document.getElementById("passkey-state").textContent = "set up";
        status.textContent = "Your passkey is set up. Use it where this service asks you to verify.";
      })
      .catch(function (error) { status.textContent = "No passkey was set up: " + error.message; })
      .then(function () { button.disabled = false; });
  });
}());
