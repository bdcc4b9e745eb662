// The network diagram: a column of the seven input features (each with its checkbox), the
// hidden layers (with +/- neuron buttons) and the output, every neuron showing its own small
// heat map; links drawn by weight sign (blue +, orange -) and size, clickable to edit.
"use strict";

const Net = (() => {
  const COL_W = 118, ROW_H = 52, NODE = 40, TOP = 40, SVGNS = "http://www.w3.org/2000/svg";
  let container, svg, signature = null, features = {}, columns = [], links = [], biases = [];
  let hooks = {};

  // The feature column is built once: its checkboxes keep their identity across rebuilds.
  function init(root, names, labels, callbacks) {
    container = root;
    svg = root.querySelector("#links");
    hooks = callbacks;
    const head = el("div", "col-head", root);
    head.textContent = "Features";
    head.style.left = `${x(0) - 20}px`;
    names.forEach((name, j) => {
      const node = el("div", "node feature", root);
      node.dataset.feature = name;
      node.style.left = `${x(0)}px`;
      node.style.top = `${TOP + j * ROW_H}px`;
      const box = el("input", "", node);
      box.type = "checkbox";
      box.id = `feature-${name}`;
      box.addEventListener("change", () => hooks.onFeatures());
      const canvas = el("canvas", "", node);
      canvas.width = canvas.height = NODE;
      canvas.addEventListener("mouseenter", () => hooks.onHover && hooks.onHover(0, name));
      canvas.addEventListener("mouseleave", () => hooks.onHover && hooks.onHover(null));
      const label = el("label", "", node);
      label.htmlFor = box.id;
      label.textContent = labels[name] || name;
      features[name] = { node, box, canvas };
    });
  }

  function el(tag, cls, parent) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (parent) parent.appendChild(e);
    return e;
  }

  function checkedFeatures() {
    return Object.keys(features).filter((n) => features[n].box.checked);
  }

  function setFeatures(chosen) {
    for (const n of Object.keys(features)) features[n].box.checked = chosen.includes(n);
  }

  function x(col) {
    return 70 + col * COL_W;
  }

  // Rebuild the hidden and output columns when the network's shape changes.
  function rebuild(snap) {
    for (const c of columns) c.forEach((e) => e.remove());
    columns = [];
    links = [];
    biases = [];
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const shape = snap.shape, hidden = shape.length - 2;
    for (let l = 1; l < shape.length; l++) {
      const made = [];
      const head = el("div", "col-head", container);
      head.style.left = `${x(l) - 20}px`;
      made.push(head);
      if (l <= hidden) {
        const plus = el("button", "add-neuron", head), minus = el("button", "remove-neuron", head);
        plus.textContent = "+";
        minus.textContent = "\u2212";
        plus.dataset.layer = minus.dataset.layer = String(l - 1);
        plus.title = "Add a neuron";
        minus.title = "Remove a neuron";
        plus.addEventListener("click", () => hooks.onNeurons(l - 1, +1));
        minus.addEventListener("click", () => hooks.onNeurons(l - 1, -1));
        el("div", "", head).textContent = `${shape[l]} neuron${shape[l] > 1 ? "s" : ""}`;
      } else {
        el("div", "", head).textContent = "Output";
      }
      const nodes = [];
      for (let j = 0; j < shape[l]; j++) {
        const node = el("div", "node neuron", container);
        node.style.left = `${x(l)}px`;
        node.style.top = `${TOP + j * ROW_H}px`;
        node.dataset.layer = String(l - 1);
        const canvas = el("canvas", "", node);
        canvas.width = canvas.height = NODE;
        node.addEventListener("mouseenter", () => hooks.onHover && hooks.onHover(l, j));
        node.addEventListener("mouseleave", () => hooks.onHover && hooks.onHover(null));
        const bias = el("div", "bias", node);
        bias.addEventListener("click", (ev) => edit(ev, l - 1, j, -1, "Bias"));
        biases.push({ bias, layer: l - 1, row: j });
        nodes.push({ node, canvas });
        made.push(node);
      }
      columns.push(made);
      columns[l - 1].nodes = nodes;
    }
    const rows = Math.max(7, ...shape.slice(1));
    container.style.width = `${x(shape.length - 1) + NODE + 20}px`;
    container.style.height = `${TOP + rows * ROW_H}px`;
    svg.setAttribute("width", container.style.width);
    svg.setAttribute("height", container.style.height);
    for (let l = 0; l < shape.length - 1; l++) {
      for (let r = 0; r < shape[l + 1]; r++) {
        for (let c = 0; c < shape[l]; c++) {
          const from = l === 0 ? features[snap.features[c]].node : columns[l - 1].nodes[c].node;
          const x0 = parseFloat(from.style.left) + NODE, y0 = parseFloat(from.style.top) + NODE / 2;
          const x1 = x(l + 1), y1 = TOP + r * ROW_H + NODE / 2, mid = (x0 + x1) / 2;
          const path = document.createElementNS(SVGNS, "path");
          path.setAttribute("d", `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`);
          path.setAttribute("class", "link");
          path.dataset.layer = String(l);
          path.addEventListener("click", (ev) => edit(ev, l, r, c, "Weight"));
          path.appendChild(document.createElementNS(SVGNS, "title"));
          svg.appendChild(path);
          links.push({ path, layer: l, row: r, col: c });
        }
      }
    }
    container.dataset.shape = shape.join("-");
    container.dataset.features = snap.features.join(",");
  }

  function edit(ev, layer, row, col, what) {
    ev.stopPropagation();
    hooks.onEdit({ layer, row, col, what, x: ev.clientX, y: ev.clientY });
  }

  function update(snap, discretize) {
    const sig = snap.shape.join("-") + "|" + snap.features.join(",");
    if (sig !== signature) {
      rebuild(snap);
      signature = sig;
    }
    for (const name of Object.keys(features)) {
      const f = features[name], j = snap.features.indexOf(name);
      f.node.classList.toggle("off", j < 0);
      if (j >= 0) Draw.paintMap(f.canvas, snap.maps[0][j], snap.small, false);
      else f.canvas.getContext("2d").clearRect(0, 0, NODE, NODE);
    }
    columns.forEach((col, l) => col.nodes.forEach((n, j) => {
      Draw.paintMap(n.canvas, snap.maps[l + 1][j], snap.small, discretize);
    }));
    for (const k of links) {
      const w = snap.weights[k.layer][k.row][k.col];
      k.path.setAttribute("stroke", w >= 0 ? "#0877bd" : "#f59322");
      k.path.setAttribute("stroke-width", Math.min(0.5 + 2 * Math.abs(w), 8).toFixed(2));
      k.path.firstChild.textContent = `weight ${w.toFixed(3)}`;
      k.value = w;
    }
    for (const b of biases) {
      const v = snap.biases[b.layer][b.row];
      b.bias.style.background = v >= 0 ? "#0877bd" : "#f59322";
      b.bias.title = `bias ${v.toFixed(3)}`;
      b.value = v;
    }
  }

  function valueOf(layer, row, col) {
    const pool = col < 0 ? biases : links;
    const hit = pool.find((p) => p.layer === layer && p.row === row && (col < 0 || p.col === col));
    return hit ? hit.value : 0;
  }

  return { init, update, checkedFeatures, setFeatures, valueOf };
})();
