// Formatting and DOM helpers shared by the page's other scripts.

// A DOM element: el("td", {class: "num", onclick: fn}, "text", childNode, ...).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function groupedInt(n) {
  return Math.round(n).toLocaleString("en-US");
}

// Nanoseconds as the unit that keeps 3 significant digits readable.
function formatNs(ns) {
  if (ns === null || ns === undefined || Number.isNaN(ns)) return "—";
  const abs = Math.abs(ns);
  if (abs >= 1e9) return (ns / 1e9).toFixed(abs >= 1e11 ? 0 : 2) + " s";
  if (abs >= 1e6) return (ns / 1e6).toFixed(abs >= 1e8 ? 0 : abs >= 1e7 ? 1 : 2) + " ms";
  if (abs >= 1e3) return (ns / 1e3).toFixed(1) + " µs";
  return Math.round(ns) + " ns";
}

// An event count with an SI prefix (cycles, instructions...).
function formatCount(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  const abs = Math.abs(n);
  if (abs >= 1e9) return (n / 1e9).toFixed(2) + " G";
  if (abs >= 1e6) return (n / 1e6).toFixed(2) + " M";
  if (abs >= 1e4) return (n / 1e3).toFixed(1) + " k";
  return groupedInt(n);
}

function formatPercent(part, whole) {
  if (!whole) return "—";
  const p = (100 * part) / whole;
  if (p > 0 && p < 0.1) return "<0.1%";
  return p.toFixed(p >= 10 ? 0 : 1) + "%";
}

// Millisecond axis labels: as few digits as the step needs.
function formatAxisNs(ns, stepNs) {
  if (stepNs >= 1e9) return (ns / 1e9).toFixed(0) + " s";
  if (stepNs >= 1e8) return (ns / 1e9).toFixed(1) + " s";
  if (stepNs >= 1e6) return (ns / 1e6).toFixed(0) + " ms";
  if (stepNs >= 1e5) return (ns / 1e6).toFixed(1) + " ms";
  return (ns / 1e3).toFixed(0) + " µs";
}

// A "nice" axis step (1, 2 or 5 times a power of ten) giving about `ticks` ticks.
function niceStep(range, ticks) {
  const raw = range / Math.max(1, ticks);
  const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

// A stable hue for a name (FNV-1a), so a function keeps its colour across views.
function nameHash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) / 4294967296;
}

// The device pixel ratio, for crisp canvases on high-DPI screens.
function sizeCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  canvas.style.width = width + "px";
  canvas.style.height = height + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// Text cut to fit maxWidth pixels, with an ellipsis; "" when not even one
// character fits. One measurement, then a cut by the average glyph width, so
// that thousands of labels stay cheap.
function fitText(ctx, text, maxWidth) {
  if (maxWidth < 10) return "";
  const width = ctx.measureText(text).width;
  if (width <= maxWidth) return text;
  const keep = Math.floor((maxWidth / width) * text.length) - 1;
  return keep > 0 ? text.slice(0, keep) + "…" : "";
}
