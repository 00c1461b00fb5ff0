// The status page served at GET / (see status_page.hpp).

#include "engine/control/status_page.hpp"

namespace edge::engine {

namespace {

constexpr std::string_view page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>edgeproxy status</title>
<style>
  :root { --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --up:#15803d;
          --drain:#b45309; --down:#b91c1c; --card:#ffffff; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
         color: var(--fg); background: var(--bg); }
  header { padding: 14px 24px; background: #111827; color: #f9fafb; display: flex;
           flex-wrap: wrap; gap: 6px 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  header span { color: #d1d5db; }
  main { padding: 16px 24px 32px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
           gap: 12px; margin-bottom: 20px; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
          padding: 10px 14px; }
  .card b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
  .card small { color: var(--muted); }
  h2 { font-size: 15px; margin: 22px 0 8px; }
  table { border-collapse: collapse; width: 100%; background: var(--card);
          border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
  th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left;
           white-space: nowrap; }
  th { background: #f1f5f9; font-weight: 600; font-size: 12px; color: #374151; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  tr:last-child td { border-bottom: none; }
  .state { font-weight: 600; text-transform: uppercase; font-size: 12px; }
  .state.up { color: var(--up); } .state.drain { color: var(--drain); }
  .state.down { color: var(--down); }
  #error { display: none; background: #fef2f2; color: var(--down); border: 1px solid #fecaca;
           padding: 8px 12px; border-radius: 6px; margin-bottom: 12px; }
  footer { color: var(--muted); font-size: 12px; margin-top: 18px; }
</style>
</head>
<body>
<header>
  <h1>edgeproxy</h1>
  <span id="version">version …</span>
  <span id="uptime">up …</span>
  <span id="workers">… workers</span>
  <span id="snapshot">routing.db …</span>
  <span id="geoip">GeoIP …</span>
</header>
<main>
  <div id="error"></div>
  <noscript><p>This page draws itself with a small script; the same data is at
    <a href="status">/status</a> (JSON).</p></noscript>
  <section class="cards">
    <div class="card"><small>connections open</small><b id="c-current">–</b></div>
    <div class="card"><small>new connections / s</small><b id="c-rate">–</b></div>
    <div class="card"><small>client → backend</small><b id="b-up">–</b></div>
    <div class="card"><small>backend → client</small><b id="b-down">–</b></div>
    <div class="card"><small>refused clients / s</small><b id="r-rate">–</b></div>
    <div class="card"><small>connections total</small><b id="c-total">–</b></div>
  </section>
  <h2>Backends</h2>
  <table id="backends">
    <thead><tr><th>id</th><th>app</th><th>address</th><th>region</th><th>country</th>
      <th class="n">weight</th><th class="n">soft</th><th class="n">hard</th><th>state</th>
      <th class="n">live</th><th class="n">total</th><th class="n">conn/s</th>
      <th class="n">failed</th><th class="n">bytes up</th><th class="n">bytes down</th></tr></thead>
    <tbody></tbody>
  </table>
  <h2>Regions</h2>
  <table id="regions">
    <thead><tr><th>region</th><th class="n">backends</th><th class="n">up</th>
      <th class="n">live</th><th class="n">connections</th></tr></thead>
    <tbody></tbody>
  </table>
  <h2>Listeners</h2>
  <table id="listeners">
    <thead><tr><th>address</th><th>PROXY protocol</th></tr></thead>
    <tbody></tbody>
  </table>
  <footer id="footer">reading /status every 2 s</footer>
</main>
<script>
"use strict";
(function () {
  var last = null;
  function $(id) { return document.getElementById(id); }
  function text(id, v) { $(id).textContent = v; }
  function num(n) { return Number(n).toLocaleString("en-US"); }
  function bytes(n) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(Math.round(n))) + " " + u[i];
  }
  function duration(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60);
    return d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m ? m + "m " + Math.floor(s % 60) + "s"
                                                                : Math.floor(s) + "s";
  }
  function rate(now, before, dt) {
    return before === undefined || dt <= 0 ? null : Math.max(0, now - before) / dt;
  }
  function cell(tr, value, cls) {
    var td = document.createElement("td");
    td.textContent = value === null || value === undefined ? "–" : String(value);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function fill(tbodyParent, rows, build) {
    var tbody = $(tbodyParent).tBodies[0];
    var fresh = document.createElement("tbody");
    rows.forEach(function (r) { fresh.appendChild(build(r)); });
    tbody.parentNode.replaceChild(fresh, tbody);
  }
  function refused(s) {
    var t = 0, k;
    for (k in s.connections.rejected) t += s.connections.rejected[k];
    return t;
  }
  function draw(s) {
    var now = Date.parse(s.now) / 1000;
    var dt = last ? now - last.t : 0;
    text("version", "version " + s.version + " (pid " + s.pid + ")");
    text("uptime", "up " + duration(s.uptime_s) + (s.draining ? " — draining" : ""));
    text("workers", s.workers.length + " workers, region " + (s.region || "–"));
    text("snapshot", "routing.db v" + (s.routing.generation === null ? "–" : s.routing.generation) +
         " loaded " + (s.routing.loaded || "never") + ", " + s.routing.backends + " backends");
    text("geoip", s.geoip ? "GeoIP " + (s.geoip.type || "not loaded") : "no GeoIP");
    text("c-current", num(s.connections.current));
    text("c-total", num(s.connections.total));
    var cr = last ? rate(s.connections.total, last.total, dt) : null;
    text("c-rate", cr === null ? "–" : cr.toFixed(1));
    var up = last ? rate(s.bytes.client_to_backend, last.up, dt) : null;
    var down = last ? rate(s.bytes.backend_to_client, last.down, dt) : null;
    text("b-up", up === null ? bytes(s.bytes.client_to_backend) : bytes(up) + "/s");
    text("b-down", down === null ? bytes(s.bytes.backend_to_client) : bytes(down) + "/s");
    var rr = last ? rate(refused(s), last.refused, dt) : null;
    text("r-rate", rr === null ? num(refused(s)) : rr.toFixed(1));
    var before = last ? last.backends : {};
    fill("backends", s.backends, function (b) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-backend-id", b.id);
      cell(tr, b.id); cell(tr, b.app); cell(tr, b.address); cell(tr, b.region);
      cell(tr, b.country); cell(tr, b.weight, "n"); cell(tr, b.soft_limit, "n");
      cell(tr, b.hard_limit || "none", "n");
      cell(tr, b.state, "state " + b.state);
      cell(tr, num(b.live), "n"); cell(tr, num(b.connections_total), "n");
      var r = last ? rate(b.connections_total, before[b.id], dt) : null;
      cell(tr, r === null ? "–" : r.toFixed(1), "n");
      cell(tr, num(b.connect_failures), "n");
      cell(tr, bytes(b.bytes_up), "n"); cell(tr, bytes(b.bytes_down), "n");
      return tr;
    });
    fill("regions", s.regions, function (r) {
      var tr = document.createElement("tr");
      cell(tr, r.region || "(none)"); cell(tr, r.backends, "n"); cell(tr, r.up, "n");
      cell(tr, num(r.live), "n"); cell(tr, num(r.connections_total), "n");
      return tr;
    });
    fill("listeners", s.listeners, function (l) {
      var tr = document.createElement("tr");
      cell(tr, l.address); cell(tr, l.proxy_protocol ? "yes" : "no");
      return tr;
    });
    var totals = {};
    s.backends.forEach(function (b) { totals[b.id] = b.connections_total; });
    last = { t: now, total: s.connections.total, up: s.bytes.client_to_backend,
             down: s.bytes.backend_to_client, refused: refused(s), backends: totals };
    text("footer", "read " + s.now + "; next reading in 2 s" +
         (s.access_log ? "; access log " + s.access_log.destination + ": " +
          num(s.access_log.lines) + " lines, " +
          num(s.access_log.dropped_buffer_full + s.access_log.dropped_write_error) + " dropped"
          : ""));
    document.body.setAttribute("data-loaded", "1");
  }
  function poll() {
    fetch("status", { cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("GET /status: HTTP " + r.status);
        return r.json();
      })
      .then(function (s) { $("error").style.display = "none"; draw(s); })
      .catch(function (e) {
        $("error").textContent = "cannot read /status: " + e.message + " (retrying)";
        $("error").style.display = "block";
      })
      .then(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view status_page_html() noexcept {
    return page;
}

}  // namespace edge::engine
