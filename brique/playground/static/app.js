// The brique playground page: controls <-> the URL (#hash) <-> the server's session, and the
// event stream that redraws everything. The server owns the truth: every change is posted as
// a URL query, and the server answers the repaired one, which the page then shows.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const sid = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  const SCALARS = ["dataset", "problem", "classes", "noise", "train-ratio", "batch-size",
                   "activation", "learning-rate", "regularization", "reg-rate"];
  const CHECKS = ["show-test", "discretize"], SLIDERS = ["noise", "train-ratio", "batch-size"];
  const ORDER = ["dataset", "problem", "classes", "noise", "train-ratio", "batch-size",
                 "features", "layers", "activation", "learning-rate", "regularization",
                 "reg-rate", "seed", "show-test", "discretize", "hide"];
  const REGRESSION = ["plane", "multigauss"];
  let layers = [4, 2], seed = 0, hidden = [], teaching = false, lastQuery = "";
  let snap = null, points = null, losses = [], run = null, presets = [], error = null;
  let queue = Promise.resolve(), editing = null, stream = null, hover = null;

  async function api(path, body) {
    const init = body === undefined ? {} : { method: "POST", body };
    const r = await fetch(`${path}?session=${sid}`, init);
    const reply = await r.json();
    if (!r.ok) throw new Error(reply.error || r.statusText);
    return reply;
  }

  // Requests go out one after another, in the order the user made them.
  function send(path, body) {
    queue = queue.then(() => api(path, body)).catch((e) => { showError(e); return null; });
    return queue;
  }

  function showError(e) {
    error = e.message || String(e);
    renderMessage();
    setTimeout(() => { error = null; renderMessage(); }, 8000);
  }

  // -- the setting as a URL query -------------------------------------------------------
  function readQuery() {
    const values = {
      features: Net.checkedFeatures().join(","), layers: layers.join(","), seed: String(seed),
      hide: hidden.join(","),
    };
    for (const k of SCALARS) values[k] = $(k).value;
    for (const k of CHECKS) values[k] = $(k).checked ? "true" : "false";
    return ORDER.map((k) => `${k}=${encodeURIComponent(values[k]).replace(/%2C/g, ",")}`)
      .join("&");
  }

  // `sent`: the query this reply answers. The field being typed in keeps its text (its change
  // event will send it) unless the server repaired the value it sent.
  function applyQuery(query, sent) {
    const p = new URLSearchParams(query), was = new URLSearchParams(sent || "");
    if (p.get("dataset") === "custom") ensureCustomOption();
    for (const k of SCALARS) {
      const typing = document.activeElement === $(k) && (!sent || was.get(k) === p.get(k));
      if (p.has(k) && !typing) $(k).value = p.get(k);
    }
    for (const k of CHECKS) $(k).checked = p.get(k) === "true";
    Net.setFeatures((p.get("features") || "").split(",").filter(Boolean));
    layers = (p.get("layers") || "").split(",").filter(Boolean).map(Number);
    seed = Number(p.get("seed") || 0);
    hidden = (p.get("hide") || "").split(",").filter(Boolean);
    lastQuery = query;
    history.replaceState(null, "", `#${query}`);
    refreshLabels();
  }

  function refreshLabels() {
    for (const k of SLIDERS) $(`${k}-value`).textContent = $(k).value;
    const n = layers.length;
    $("layer-count").textContent = `${n} hidden layer${n === 1 ? "" : "s"}`;
    $("add-layer").disabled = n >= 6;
    $("remove-layer").disabled = n === 0;
    const multi = ["gauss", "spiral"].includes($("dataset").value);
    $("classes").disabled = !multi;
    $("classes").title = multi ? "" : "More classes: the gaussian or spiral data, or a CSV";
    // Hiding "features" or "layers" also locks the network diagram's own controls.
    document.body.classList.toggle("lock-features", hidden.includes("features") && !teaching);
    document.body.classList.toggle("lock-layers", hidden.includes("layers") && !teaching);
    document.querySelectorAll("[data-control]").forEach((c) => {
      const hide = hidden.includes(c.dataset.control);
      c.classList.toggle("hidden", hide && !teaching);
      c.classList.toggle("marked", hide && teaching);
      const box = c.querySelector(".hide-box");
      if (box) box.checked = hide;
    });
  }

  // A reply is shown only if no newer change went out meanwhile: a stale one would undo
  // what the user typed since.
  let changes = 0;
  async function post(query) {
    const mine = ++changes;
    history.replaceState(null, "", `#${query}`);
    const reply = await send("/api/state", query);
    if (reply && mine === changes) applyQuery(reply.state, query);
  }

  function changed() {
    refreshLabels();
    return post(readQuery());
  }

  function ensureCustomOption() {
    if (!$("dataset").querySelector("option[value=custom]")) {
      const o = document.createElement("option");
      o.value = "custom";
      o.textContent = "Your data (CSV)";
      $("dataset").appendChild(o);
    }
  }

  // -- what the stream brings -----------------------------------------------------------
  function fmt(v) {
    return v === null || v === undefined ? "NaN" : v.toFixed(3);
  }

  function pct(v) {
    return v === null || v === undefined ? "\u2013" : `${(100 * v).toFixed(1)}%`;
  }

  function render() {
    if (!snap) return;
    $("epoch").textContent = snap.epoch.toLocaleString("en-US");
    $("boundary").dataset.state = snap.state;  // which setting the picture shows (for tests)
    $("train-loss").textContent = fmt(snap.train_loss);
    $("test-loss").textContent = fmt(snap.test_loss);
    $("train-acc").textContent = pct(snap.train_acc);
    $("test-acc").textContent = pct(snap.test_acc);
    const play = $("play");
    play.classList.toggle("playing", snap.playing);
    play.innerHTML = snap.playing ? "&#10074;&#10074;" : "&#9654;";
    if (snap.run !== run) { losses = []; run = snap.run; }
    const row = [snap.epoch, snap.train_loss, snap.test_loss];
    const n = losses.length;
    if (n && losses[n - 1][0] === snap.epoch) losses[n - 1] = row;
    else losses.push(row);
    if (losses.length > 1000) losses = losses.filter((_, i) => i % 2 === 0);  // keep it light
    const discretize = $("discretize").checked;
    Net.update(snap, discretize);
    const opts = { showTest: $("show-test").checked, discretize };
    // Hovering a neuron (or an input feature) shows its own map, large, under the points.
    const j = hover && (typeof hover[1] === "string" ? snap.features.indexOf(hover[1]) : hover[1]);
    if (hover && j >= 0 && snap.maps[hover[0]] && snap.maps[hover[0]][j]) {
      Draw.paintMap($("boundary"), snap.maps[hover[0]][j], snap.small, false);
      Draw.drawPoints($("boundary"), points, opts.showTest);
    } else {
      Draw.boundary($("boundary"), snap, points, opts);
    }
    Draw.chart($("loss-chart"), losses);
    renderMessage();
  }

  function renderMessage() {
    const text = error || (snap && snap.message) || "";
    $("message").textContent = text;
    $("message").classList.toggle("shown", Boolean(text));
  }

  function connect() {
    if (stream) stream.close();
    stream = new EventSource(`/events?session=${sid}`);
    // After a lost connection (a restarted server forgets the session) send the setting again.
    let lost = false;
    stream.addEventListener("error", () => { lost = true; });
    stream.addEventListener("open", () => { if (lost) { lost = false; changed(); } });
    stream.addEventListener("points", (e) => { points = JSON.parse(e.data); render(); });
    stream.addEventListener("snapshot", (e) => { snap = JSON.parse(e.data); render(); });
  }

  // -- editing a weight or a bias -------------------------------------------------------
  function openEditor(target) {
    editing = target;
    const box = $("param-editor");
    $("param-label").textContent = target.what;
    $("param-value").value = Net.valueOf(target.layer, target.row, target.col).toFixed(3);
    box.style.left = `${target.x + 8}px`;
    box.style.top = `${target.y + window.scrollY + 8}px`;
    box.hidden = false;
    $("param-value").focus();
    $("param-value").select();
  }

  function closeEditor(apply) {
    const box = $("param-editor");
    if (apply && editing) {
      const value = Number($("param-value").value);
      if (Number.isFinite(value)) {
        const { layer, row, col } = editing;
        send("/api/param", JSON.stringify({ layer, row, col, value }));
      }
    }
    box.hidden = true;
    editing = null;
  }

  // -- wiring ---------------------------------------------------------------------------
  function wire(schema) {
    Net.init($("network"), Object.keys(schema.feature_labels), schema.feature_labels, {
      onFeatures: changed,
      onNeurons: (l, d) => { layers[l] = Math.min(8, Math.max(1, layers[l] + d)); changed(); },
      onEdit: openEditor,
      onHover: (layer, j) => { hover = layer === null ? null : [layer, j]; render(); },
    });
    for (const k of SCALARS.concat(CHECKS)) $(k).addEventListener("change", () => {
      if (k === "problem") {
        const reg = $("problem").value === "regression", ds = $("dataset").value;
        if (ds !== "custom" && reg !== REGRESSION.includes(ds)) {
          $("dataset").value = reg ? "plane" : "circle";
        }
      }
      if (k === "show-test" || k === "discretize") render();
      changed();
    });
    for (const k of SLIDERS) $(k).addEventListener("input", refreshLabels);
    $("play").addEventListener("click", () => {
      send("/api/play", snap && snap.playing ? "false" : "true");
    });
    $("step").addEventListener("click", () => send("/api/step", ""));
    $("reset").addEventListener("click", () => send("/api/reset", ""));
    $("regenerate").addEventListener("click", async () => {
      const reply = await send("/api/regenerate", "");
      if (reply) applyQuery(reply.state);
    });
    $("add-layer").addEventListener("click", () => {
      if (layers.length < 6) { layers.push(2); changed(); }
    });
    $("remove-layer").addEventListener("click", () => {
      if (layers.length) { layers.pop(); changed(); }
    });
    $("upload").addEventListener("change", async () => {
      const file = $("upload").files[0];
      if (!file) return;
      const reply = await send("/api/upload", await file.text());
      if (reply) applyQuery(reply.state);
    });
    presets = schema.presets;
    for (const p of presets) {
      const o = document.createElement("option");
      o.value = p.name;
      o.textContent = p.title;
      $("preset").appendChild(o);
    }
    $("preset").addEventListener("change", async () => {
      const p = presets.find((q) => q.name === $("preset").value);
      $("preset-comment").textContent = p ? p.comment : "";
      if (!p) return;
      const reply = await send("/api/state", `${p.query}&hide=${hidden.join(",")}`);
      if (reply) applyQuery(reply.state);
    });
    $("teacher").addEventListener("click", () => {
      teaching = !teaching;
      document.body.classList.toggle("teaching", teaching);
      $("teacher").textContent = teaching ? "Done: students see this" : "Teacher: hide controls";
      refreshLabels();
    });
    document.querySelectorAll("[data-control]").forEach((c) => {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "hide-box";
      box.title = "Hide this control from students";
      box.addEventListener("change", () => {
        const name = c.dataset.control;
        hidden = hidden.filter((h) => h !== name).concat(box.checked ? [name] : []);
        changed();
      });
      c.insertBefore(box, c.firstChild);
    });
    $("param-ok").addEventListener("click", () => closeEditor(true));
    $("param-cancel").addEventListener("click", () => closeEditor(false));
    $("param-value").addEventListener("keydown", (e) => {
      if (e.key === "Enter") closeEditor(true);
      if (e.key === "Escape") closeEditor(false);
    });
    // The URL the user went to, from the event: by the time it is dispatched, a reply that
    // arrived meanwhile may have replaced location.hash with an older setting.
    window.addEventListener("hashchange", (e) => {
      const query = new URL(e.newURL).hash.slice(1);
      if (query !== lastQuery) post(query);
    });
  }

  async function start() {
    const schema = await api("/api/schema");
    wire(schema);
    const reply = await api("/api/state", location.hash.slice(1));
    applyQuery(reply.state);
    connect();
  }

  start().catch(showError);
})();
