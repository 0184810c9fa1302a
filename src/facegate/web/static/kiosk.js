// The kiosk: camera preview, the liveness challenge (head turns while the screen changes colour), then verify or
// identify; the alternatives on the same screen. Frames live in memory until sent, and are dropped after.
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var deployment = root.getAttribute("data-deployment");
  var verification = root.getAttribute("data-modality") === "verification";
  var KEY = "facegate-kiosk-key", DEVICE = "facegate-kiosk-device";
  var FRAME_MS = 125, FRAME_WIDTH = 640;
  var preview = null;
  function msg(name) { return root.getAttribute("data-msg-" + name) || ""; }
  function alternatives() {
    var out = [];
    for (var i = 0; root.hasAttribute("data-alt-" + i); i++) { out.push(root.getAttribute("data-alt-" + i)); }
    return out;
  }
  function device() {
    var id = localStorage.getItem(DEVICE);
    if (!id) { id = "kiosk-" + Math.random().toString(36).slice(2, 12); localStorage.setItem(DEVICE, id); }
    return id;
  }
  function api(path, options) {
    options = options || {};
    options.headers = Object.assign({ "Authorization": "Bearer " + sessionStorage.getItem(KEY) }, options.headers || {});
    return fetch("/api/v1/deployments/" + deployment + path, options).then(function (response) {
      return response.json().then(function (data) {
        if (response.status === 401) { askForKey(msg("badkey")); }
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }
  function postJson(path, body) {
    return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  function askForKey(text) {
    $("setup").hidden = false;
    $("setup-status").textContent = text || msg("nokey");
  }
  $("setup").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("operator-key").value);
    $("operator-key").value = "";
    $("setup").hidden = true;
  });
  if (!sessionStorage.getItem(KEY)) { askForKey(); }

  function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return Promise.reject(new Error("none")); }
    return navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  }
  function stop(stream) { if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); } }
  function startPreview() {
    openCamera().then(function (stream) { preview = stream; $("preview").srcObject = stream; })
      .catch(function () { $("face-status").textContent = msg("nocamera"); $("start").disabled = true; });
  }

  function show(title, detail, kind) {
    $("challenge").hidden = true;
    document.body.style.background = "";
    $("outcome").hidden = false;
    $("outcome").className = "outcome " + kind;
    $("outcome-title").textContent = title;
    $("outcome-detail").textContent = detail || "";
    $("again").focus();
    if (!preview) { startPreview(); }
  }
  function withAlternatives(text) {
    var offered = alternatives();
    return offered.length ? text + " " + msg("use-alternative") + " " + offered.join(", ") + "." : text;
  }
  function refusal(data) {
    if (data.type === "/problems/liveness-failed") {
      var reasons = (data.reasons || []).map(function (r) { return msg("reason-" + r) || r; }).join("; ");
      var wait = data.retry_after ? " " + msg("wait").replace("{seconds}", data.retry_after) : "";
      show(msg("liveness"), withAlternatives(reasons + "." + wait), "refused");
    } else {
      show(msg("refused"), withAlternatives(data.detail || ""), "refused");
    }
  }

  // The challenge: one timeline from the first camera frame; the screen's colour and the instruction follow it,
  // and a frame is taken every FRAME_MS.
  function run(challenge, subject) {
    stop(preview); preview = null;  // the capture opens the camera afresh, so its first frame starts the timeline
    var frames = [], canvas = $("frame"), video = $("capture");
    $("choices").hidden = true;
    $("challenge").hidden = false;  // shown first: a browser may not play a video that is not displayed
    $("challenge").style.background = "";
    $("instruction").textContent = msg("starting");
    return openCamera().then(function (stream) {
      video.srcObject = stream;
      return video.play().then(function () { return stream; });
    }).then(function (stream) {
      var started = performance.now(), last = -FRAME_MS;
      canvas.width = FRAME_WIDTH;
      canvas.height = Math.round(FRAME_WIDTH * video.videoHeight / video.videoWidth);
      var context = canvas.getContext("2d");
      return new Promise(function (resolve) {
        function tick() {
          var t = performance.now() - started;
          if (t >= challenge.duration_ms) { stop(stream); resolve(frames); return; }
          var colour = challenge.colours[Math.min(challenge.colours.length - 1, Math.floor(t / challenge.colour_ms))];
          var step = challenge.steps[Math.min(challenge.steps.length - 1, Math.floor(t / challenge.segment_ms))];
          $("challenge").style.background = "rgb(" + colour.rgb.join(",") + ")";
          $("instruction").textContent = msg("step-" + step);
          $("progress").value = t / challenge.duration_ms;
          if (t - last >= FRAME_MS) {
            last = t;
            context.drawImage(video, 0, 0, canvas.width, canvas.height);
            var taken = Math.round(t * 10) / 10;
            canvas.toBlob(function (blob) { frames.push({ t: taken, blob: blob }); }, "image/jpeg", 0.85);
          }
          requestAnimationFrame(tick);
        }
        requestAnimationFrame(tick);
      });
    }).then(function (taken) {
      return new Promise(function (resolve) { setTimeout(function () { resolve(taken); }, 150); });
    }).then(function (taken) {
      $("challenge").hidden = true;
      $("choices").hidden = false;
      $("face-status").textContent = msg("checking");
      taken.sort(function (a, b) { return a.t - b.t; });
      var form = new FormData();
      taken.forEach(function (f, i) { form.append("frames", f.blob, "frame" + i + ".jpg"); });
      form.append("timestamps", JSON.stringify(taken.map(function (f) { return f.t; })));
      form.append("nonce", challenge.nonce);
      form.append("device", device());
      frames.length = 0;  // nothing of the face stays in the page once sent
      var path = verification ? "/subjects/" + encodeURIComponent(subject) + "/verify/live" : "/identify/live";
      return api(path, { method: "POST", body: form });
    });
  }

  $("start").addEventListener("click", function () {
    var subject = verification ? $("face-subject").value.trim() : null;
    if (verification && !subject) { $("face-status").textContent = msg("subject"); return; }
    if (!sessionStorage.getItem(KEY)) { askForKey(); return; }
    $("face-status").textContent = msg("starting");
    $("start").disabled = true;
    postJson("/liveness/challenge", { device: device() }).then(function (answer) {
      if (!answer.ok) { refusal(answer.data); return null; }
      return run(answer.data, subject).then(function (result) {
        $("face-status").textContent = "";
        if (!result.ok) { refusal(result.data); return; }
        var outcome = result.data.outcome;
        if (outcome === "match" || outcome === "identified") { show(msg(outcome), "", "allowed"); }
        else { show(msg("no_match"), withAlternatives(""), "refused"); }
      });
    }).catch(function () { show(msg("error"), withAlternatives(""), "refused"); })
      .then(function () { $("start").disabled = false; });
  });

  var altForm = $("alt-form");
  if (altForm) {
    altForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!sessionStorage.getItem(KEY)) { askForKey(); return; }
      var subject = encodeURIComponent($("alt-subject").value.trim());
      var method = $("alt-method").value;
      postJson("/subjects/" + subject + "/alternatives/" + method + "/verify", { secret: $("alt-secret").value })
        .then(function (answer) {
          $("alt-secret").value = "";
          if (answer.ok && answer.data.verified) { show(msg("verified"), "", "allowed"); }
          else if (answer.ok) { $("alt-status").textContent = msg("not-verified"); }
          else { $("alt-status").textContent = answer.data.detail || msg("error"); }
        }).catch(function () { $("alt-status").textContent = msg("error"); });
    });
  }

  $("again").addEventListener("click", function () {
    $("outcome").hidden = true;
    $("choices").hidden = false;
    $("alt-status").textContent = "";
    if (verification) { $("face-subject").value = ""; }
    if (!preview) { startPreview(); }
  });
  startPreview();
})();
