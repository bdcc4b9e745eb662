// Drawing for the brique playground: heat maps, points, the network and the loss chart.
// Plain browser JavaScript, no library: everything the page draws comes from the server's
// snapshot (see brique/playground/session.py for its fields).
"use strict";

const Draw = (() => {
  const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
  const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189],
                        [214, 39, 40], [140, 86, 75], [227, 119, 194], [23, 190, 207]];
  const LIMIT = 6;

  function mix(a, b, t) {
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
  }

  // A value in [-1, 1] as orange (-1), light grey (0) or blue (+1).
  function valueColor(v) {
    return v < 0 ? mix(MID, NEG, Math.min(-v, 1)) : mix(MID, POS, Math.min(v, 1));
  }

  function classColor(k) {
    return CLASS_COLORS[k % CLASS_COLORS.length];
  }

  function css(c) {
    return `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;
  }

  function decode(b64) {
    const s = atob(b64), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // Paint a side x side picture into `canvas`, scaled up smoothly.
  function paint(canvas, side, colorAt) {
    const off = document.createElement("canvas");
    off.width = off.height = side;
    const octx = off.getContext("2d"), img = octx.createImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      const c = colorAt(i);
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2];
      img.data[4 * i + 3] = 255;
    }
    octx.putImageData(img, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  function paintMap(canvas, b64, side, discretize) {
    const q = decode(b64);
    paint(canvas, side, (i) => {
      const v = q[i] / 127.5 - 1;
      return valueColor(discretize ? Math.sign(v) : v);
    });
  }

  // The decision heat map of the output, then the points on top.
  function boundary(canvas, snap, points, opts) {
    const side = snap.grid, out = snap.output;
    if (out.class) {
      const cls = decode(out.class), conf = decode(out.value), k = snap.classes;
      paint(canvas, side, (i) => {
        const sure = opts.discretize ? 1 : Math.max(0, (conf[i] / 255 - 1 / k) / (1 - 1 / k));
        return mix(MID, classColor(cls[i]), 0.15 + 0.75 * sure);
      });
    } else {
      paintMap(canvas, out.value, side, opts.discretize && snap.problem === "classification");
    }
    if (points) drawPoints(canvas, points, opts.showTest);
  }

  function drawPoints(canvas, data, showTest) {
    if (!data) return;
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    for (const [x1, x2, label, isTest] of data.points) {
      if (isTest && !showTest) continue;
      const c = data.problem === "regression" ? valueColor(label)
        : data.classes === 2 ? (label > 0.5 ? POS : NEG) : classColor(label);
      ctx.beginPath();
      ctx.arc((x1 + LIMIT) / (2 * LIMIT) * w, (LIMIT - x2) / (2 * LIMIT) * h, 3, 0, 2 * Math.PI);
      ctx.fillStyle = css(c);
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = isTest ? "#000" : "#fff";
      ctx.stroke();
    }
  }

  // Loss history [[epoch, train, test], ...]: test in grey, training in black.
  function chart(canvas, history) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const rows = history.filter((r) => r[1] !== null && Number.isFinite(r[1]));
    if (rows.length < 2) return;
    const last = rows[rows.length - 1][0], first = rows[0][0];
    let top = 0;
    for (const r of rows) top = Math.max(top, r[1], r[2] === null ? 0 : r[2]);
    top = top || 1;
    const X = (e) => (last === first ? 0 : (e - first) / (last - first)) * (w - 2) + 1;
    const Y = (v) => h - 2 - Math.min(v / top, 1) * (h - 4);
    for (const [col, color] of [[2, "#999"], [1, "#222"]]) {
      ctx.beginPath();
      rows.forEach((r, i) => {
        if (r[col] === null) return;
        if (i === 0) ctx.moveTo(X(r[0]), Y(r[col])); else ctx.lineTo(X(r[0]), Y(r[col]));
      });
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
  }

  return { valueColor, classColor, css, decode, paint, paintMap, boundary, drawPoints, chart };
})();
