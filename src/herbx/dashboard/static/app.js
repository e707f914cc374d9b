/* herbx dashboard: run list and live run page. Plain browser JavaScript, no build step. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var source = null;

  function pct(x) { return typeof x === "number" ? (x * 100).toFixed(1) + "%" : "–"; }
  function num(x, digits) { return typeof x === "number" ? x.toFixed(digits || 0) : "–"; }
  function duration(s) {
    if (typeof s !== "number" || !isFinite(s)) return "–";
    s = Math.round(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? h + "h " + m + "m" : m ? m + "m " + sec + "s" : sec + "s";
  }
  function runUrl(path) {
    return "/api/run/" + path.split("/").map(encodeURIComponent).join("/");
  }
  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) node.className = cls;
    return node;
  }
  function showError(msg) { $("error").hidden = !msg; $("error").textContent = msg || ""; }
  function stopStream() { if (source) { source.close(); source = null; } $("live").hidden = true; }

  function loadRuns() {
    stopStream();
    $("run-view").hidden = true;
    $("runs-view").hidden = false;
    fetch("/api/runs").then(function (r) { return r.json(); }).then(function (body) {
      $("root").textContent = body.root;
      var tbody = $("runs-body");
      tbody.textContent = "";
      $("runs-empty").hidden = body.runs.length > 0;
      body.runs.forEach(function (run) {
        var tr = document.createElement("tr");
        var a = text("a", run.run_id || run.path);
        a.href = "#/run/" + run.path;
        var td = document.createElement("td"); td.appendChild(a); tr.appendChild(td);
        var badge = text("span", run.status, "badge"); badge.dataset.status = run.status;
        td = document.createElement("td"); td.appendChild(badge); tr.appendChild(td);
        tr.appendChild(text("td", run.processed + (run.total_specimens != null ? " / " + run.total_specimens : "")));
        tr.appendChild(text("td", pct(run.success_rate)));
        tr.appendChild(text("td", run.engine || ""));
        tr.appendChild(text("td", run.started_at || ""));
        tbody.appendChild(tr);
      });
      showError("");
    }).catch(function (e) { showError("Cannot list runs: " + e); });
    loadHistory();
  }

  function loadHistory() {
    fetch("/api/history").then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.status); return body; });
    }).then(function (body) {
      $("history-source").textContent = "from " + body.source;
      var runs = body.runs || [];
      var note = body.note || (runs.length ? "" : "No run recorded yet.");
      $("history-note").hidden = !note;
      $("history-note").textContent = note;
      var tbody = $("history-body");
      tbody.textContent = "";
      runs.slice().reverse().forEach(function (run) {
        var tr = document.createElement("tr");
        tr.dataset.run = run.run_id;
        tr.appendChild(text("td", (run.started_at || "").slice(0, 16).replace("T", " ")));
        var td = document.createElement("td");
        if (run.path) {
          var a = text("a", run.run_id);
          a.href = "#/run/" + run.path;
          td.appendChild(a);
        } else {
          td.textContent = run.run_id;
        }
        tr.appendChild(td);
        var badge = text("span", run.status, "badge"); badge.dataset.status = run.status;
        td = document.createElement("td"); td.appendChild(badge); tr.appendChild(td);
        tr.appendChild(text("td", run.processed + (run.total_specimens != null ? " / " + run.total_specimens : "")));
        tr.appendChild(text("td", String(run.successful)));
        tr.appendChild(text("td", String(run.failed)));
        tr.appendChild(text("td", run.processed ? pct(run.success_rate) : "–", "rate"));
        tr.appendChild(text("td", duration(run.duration_s)));
        tr.appendChild(text("td", [run.engine, run.model].filter(Boolean).join(" / ")));
        tbody.appendChild(tr);
      });
      var points = runs.map(function (run, i) { return [i + 1, run.success_rate]; });
      window.herbxChart.drawRateChart($("history-chart"), [{ cls: "overall", points: points }],
        { xMax: Math.max(runs.length, 1), threshold: null, dots: true });
    }).catch(function (e) {
      $("history-note").hidden = false;
      $("history-note").textContent = "Cannot read the history: " + e.message;
    });
  }

  function renderValidator(v, snap) {
    var dl = $("validator");
    dl.textContent = "";
    function row(k, val) { dl.appendChild(text("dt", k)); dl.appendChild(text("dd", val)); }
    var cp = v.checkpoint;
    if (cp) {
      row("Checkpoint", (cp.passed ? "passed" : "failed") + " at " + cp.processed + " (" + pct(cp.success_rate) + ", threshold " + pct(cp.threshold) + ")");
      if (typeof cp.closeness === "number") row("Closeness to a stop", pct(cp.closeness));
    } else {
      row("Checkpoint", "not reached yet");
    }
    row("Warnings", String(v.warnings) + (v.warning ? " (last: rolling " + pct(v.warning.success_rate) + " at " + v.warning.processed + ")" : ""));
    if (v.stop) row("Decision", (v.stop.reason || "stopped") + (v.stop.processed != null ? " after " + v.stop.processed : ""));
    if (snap.consumer_errors) row("Consumer errors", String(snap.consumer_errors));
  }

  function renderRecent(list, path) {
    var box = $("recent");
    box.textContent = "";
    list.forEach(function (s) {
      var card = document.createElement("div");
      card.className = "specimen" + (s.ok ? "" : " failed");
      card.dataset.specimen = s.specimen_id || "";
      if (s.image) {
        var img = document.createElement("img");
        img.loading = "lazy";
        img.alt = s.image;
        img.src = runUrl(path) + "/thumb?image=" + encodeURIComponent(s.image);
        img.onerror = function () { img.remove(); };
        card.appendChild(img);
      }
      card.appendChild(text("div", (s.specimen_id || "?") + "  #" + (s.sequence != null ? s.sequence : "?"), "id"));
      if (!s.ok) card.appendChild(text("div", (s.reason || "failed") + (s.message ? ": " + s.message : ""), "reason"));
      var fields = document.createElement("div");
      fields.className = "fields";
      Object.keys(s.fields || {}).slice(0, 8).forEach(function (k) {
        var v = s.fields[k];
        fields.appendChild(text("div", k + ": " + (typeof v === "object" ? JSON.stringify(v) : v)));
      });
      card.appendChild(fields);
      box.appendChild(card);
    });
  }

  function render(snap) {
    $("run-id").textContent = snap.run_id || snap.path;
    $("status").textContent = snap.status;
    $("status").dataset.status = snap.status;
    $("run-meta").textContent = [snap.engine && "engine " + snap.engine, snap.model && "model " + snap.model,
      snap.started_at && "started " + snap.started_at, snap.ended_at && "ended " + snap.ended_at, "folder " + snap.path]
      .filter(Boolean).join(" · ");
    $("processed").textContent = String(snap.processed);
    $("processed-sub").textContent = (snap.total_specimens != null ? "of " + snap.total_specimens : "") +
      (snap.skipped ? " · " + snap.skipped + " skipped" : "") + " · " + snap.failed + " failed";
    $("success-rate").textContent = pct(snap.success_rate);
    $("success-sub").textContent = snap.successful + " succeeded";
    $("rolling-rate").textContent = pct(snap.rolling_success_rate);
    $("rolling-sub").textContent = "last " + snap.rolling_window;
    $("throughput").textContent = num(snap.per_minute_recent, 1);
    $("eta").textContent = snap.status === "running" ? duration(snap.eta_seconds) : "done";
    $("elapsed").textContent = "elapsed " + duration(snap.elapsed_seconds);
    var stop = snap.validator.stop;
    $("stop-banner").hidden = !stop;
    if (stop) {
      $("stop-title").textContent = snap.status === "interrupted" ? "Interrupted" : "Stopped by validation";
      $("stop-message").textContent = " " + (stop.message || stop.reason || "");
    }
    var series = snap.series || [];
    var xMax = Math.max(snap.total_specimens || 0, snap.processed, 1);
    if (snap.status !== "running") xMax = Math.max(snap.processed, 1);
    var threshold = snap.validator.checkpoint ? snap.validator.checkpoint.threshold : null;
    window.herbxChart.drawRateChart($("chart"), [
      { cls: "overall", points: series.map(function (p) { return [p[0], p[2]]; }) },
      { cls: "rolling", points: series.map(function (p) { return [p[0], p[3]]; }) }
    ], { xMax: xMax, threshold: threshold });
    renderValidator(snap.validator, snap);
    var reasons = $("reasons");
    reasons.textContent = "";
    var keys = Object.keys(snap.failure_reasons || {});
    if (!keys.length) reasons.appendChild(text("li", "none"));
    keys.forEach(function (k) {
      var li = document.createElement("li");
      li.appendChild(text("span", k));
      li.appendChild(text("span", String(snap.failure_reasons[k])));
      reasons.appendChild(li);
    });
    renderRecent(snap.recent || [], snap.path);
  }

  function loadRun(path) {
    stopStream();
    $("runs-view").hidden = true;
    $("run-view").hidden = false;
    fetch(runUrl(path) + "/state").then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.status); return body; });
    }).then(function (snap) {
      render(snap);
      showError("");
      if (snap.status === "completed" || snap.status === "stopped" || snap.status === "interrupted") return;
      source = new EventSource(runUrl(path) + "/stream");
      $("live").hidden = false;
      source.addEventListener("snapshot", function (e) { render(JSON.parse(e.data)); });
      source.addEventListener("end", stopStream);
    }).catch(function (e) { showError("Cannot show run " + path + ": " + e.message); });
  }

  function route() {
    var hash = location.hash || "#/";
    if (hash.indexOf("#/run/") === 0) loadRun(decodeURIComponent(hash.slice(6)));
    else loadRuns();
  }
  window.addEventListener("hashchange", route);
  route();
})();
