// The deployment form asks the server for the findings as it is filled in (the form works without this script).
(function () {
  "use strict";
  var form = document.getElementById("deployment-form");
  var panel = document.getElementById("findings");
  if (!form || !panel || !window.fetch) { return; }
  var timer = null;
  var latest = 0;
  function check() {
    var asked = ++latest;
    fetch(form.getAttribute("data-check"), { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null && asked === latest) { panel.innerHTML = html; } })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(check, 300); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  check();
}());
