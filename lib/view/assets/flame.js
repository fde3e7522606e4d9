// The flame graph: a canvas icicle (callers above callees) of one aggregated
// tree, with zoom (click a frame), search (highlight and matched share) and a
// hover tooltip. What it drew is kept in `drawn` for tests and tools:
// [{name, total, self, depth, x, y, w, h, match}], x/y/w/h in CSS pixels.

const FLAME_ROW = 18;
const FLAME_MIN_PX = 0.4;  // narrower frames (and their callees) are not drawn

class FlameGraph {
  constructor(container, data, tooltip) {
    this.container = container;
    this.data = data;
    this.tooltip = tooltip;
    this.canvas = el("canvas", {id: "flame-canvas"});
    this.empty = el("div", {class: "empty", hidden: true});
    container.append(this.canvas, this.empty);
    this.tree = null;
    this.metric = "cpu";
    this.zoomNode = data.root;
    this.pattern = null;
    this.drawn = [];
    this.rowsDrawn = [];
    this.colours = new Map();
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("mouseleave", () => { this.tooltip.hidden = true; });
    this.canvas.addEventListener("click", (e) => this.click(e));
  }

  // A new tree, unzoomed; drawn now unless the caller draws it next (setSearch).
  setTree(tree, metric, draw = true) {
    this.tree = tree;
    this.metric = metric;
    this.zoomNode = this.data.root;
    if (draw) this.render();
  }

  zoomTo(node) {
    this.zoomNode = node;
    this.render();
  }

  // Text, or /regex/flags; null clears. Returns an error message for a bad regex.
  setSearch(text) {
    this.pattern = null;
    let error = "";
    if (text) {
      const m = /^\/(.*)\/([a-z]*)$/.exec(text);
      try {
        this.pattern = m ? new RegExp(m[1], m[2].replace(/[gy]/g, "")) : null;
      } catch (e) {
        error = "bad regular expression: " + e.message;
      }
      if (!m) {
        const lower = text.toLowerCase();
        this.pattern = {test: (name) => name.toLowerCase().includes(lower)};
      }
    }
    this.render();
    return error;
  }

  // The share of the selection in frames matching the search (a frame under a
  // matching frame counted once).
  matchedTotal() {
    if (!this.pattern || !this.tree) return 0;
    const d = this.data;
    let sum = 0;
    const stack = [d.root];
    while (stack.length) {
      const node = stack.pop();
      if (this.tree.total[node] === 0) continue;
      if (node !== d.root && this.pattern.test(d.nodeName(node))) {
        sum += this.tree.total[node];
        continue;
      }
      for (let c = d.childStart[node]; c < d.childStart[node + 1]; c++) stack.push(d.children[c]);
    }
    return sum;
  }

  colour(name, module, matched) {
    if (this.pattern && !matched) return "hsl(0, 0%, 82%)";
    if (matched) return "hsl(300, 70%, 62%)";
    const key = this.metric + "\u0000" + name;
    let colour = this.colours.get(key);
    if (!colour) this.colours.set(key, colour = this.hue(name, module));
    return colour;
  }

  hue(name, module) {
    const h = nameHash(name);
    const kernel = module === "[kernel.kallsyms]" || name.endsWith("_[k]");
    if (this.metric === "off") return `hsl(${200 + 30 * h}, 60%, ${58 + 12 * h}%)`;
    if (kernel) return `hsl(${25 + 15 * h}, 75%, ${55 + 10 * h}%)`;
    return `hsl(${5 + 40 * h}, 80%, ${58 + 10 * h}%)`;
  }

  render() {
    const d = this.data;
    const tree = this.tree;
    this.drawn = [];
    this.rowsDrawn = [];
    const width = Math.max(200, this.container.clientWidth);
    if (!tree || tree.rootTotal <= 0) {
      this.canvas.hidden = true;
      this.empty.hidden = false;
      this.empty.textContent = "No samples in this selection for this metric.";
      this.publish();
      return;
    }
    this.canvas.hidden = false;
    this.empty.hidden = true;
    // Ancestors of the zoomed frame, full width, above its subtree.
    const chain = [];
    for (let n = this.zoomNode; n !== d.root && n >= 0; n = d.parent[n]) chain.unshift(n);
    chain.unshift(d.root);
    const zoomTotal = tree.total[this.zoomNode];
    const items = [];
    chain.forEach((node, depth) => {
      items.push({node, depth, x: 0, w: width, ancestor: node !== this.zoomNode});
    });
    const base = chain.length - 1;
    let maxDepth = base;
    const scale = width / zoomTotal;
    const stack = [[this.zoomNode, 0, base]];
    while (stack.length) {
      const [node, x, depth] = stack.pop();
      let cx = x;
      const kids = [];
      for (let c = d.childStart[node]; c < d.childStart[node + 1]; c++) {
        const child = d.children[c];
        if (tree.total[child] * scale >= FLAME_MIN_PX) kids.push(child);
      }
      kids.sort((a, b) => tree.total[b] - tree.total[a]);
      for (const child of kids) {
        const w = tree.total[child] * scale;
        items.push({node: child, depth: depth + 1, x: cx, w, ancestor: false});
        if (depth + 1 > maxDepth) maxDepth = depth + 1;
        stack.push([child, cx, depth + 1]);
        cx += w;
      }
    }
    const height = (maxDepth + 1) * FLAME_ROW;
    const ctx = sizeCanvas(this.canvas, width, height);
    ctx.font = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
    ctx.textBaseline = "middle";
    for (const item of items) {
      const name = d.nodeName(item.node);
      const info = item.node === d.root ? {module: ""} : d.frameInfo(d.frame[item.node]);
      const matched = !!(this.pattern && item.node !== d.root && this.pattern.test(name));
      const y = item.depth * FLAME_ROW;
      ctx.fillStyle = item.ancestor ? "hsl(35, 20%, 78%)" : this.colour(name, info.module, matched);
      if (item.node === d.root) ctx.fillStyle = "hsl(220, 10%, 80%)";
      ctx.fillRect(item.x, y, Math.max(item.w - 0.5, 0.4), FLAME_ROW - 1);
      const label = fitText(ctx, item.node === d.root ? this.rootLabel() : name, item.w - 6);
      if (label) {
        ctx.fillStyle = "#1a1a1a";
        ctx.fillText(label, item.x + 3, y + FLAME_ROW / 2);
      }
      const entry = {name, total: tree.total[item.node], self: tree.self[item.node],
                     depth: item.depth, x: item.x, y, w: item.w, h: FLAME_ROW - 1, match: matched,
                     node: item.node};
      this.drawn.push(entry);
      (this.rowsDrawn[item.depth] = this.rowsDrawn[item.depth] || []).push(entry);
    }
    for (const row of this.rowsDrawn) if (row) row.sort((a, b) => a.x - b.x);
    this.publish();
  }

  rootLabel() {
    return "all: " + this.data.formatWeight(this.tree.rootTotal, this.metric);
  }

  publish() {
    window.spanprofView = window.spanprofView || {};
    window.spanprofView.drawn = this.drawn.map(({name, total, self, depth, x, y, w, h, match}) =>
      ({name, total, self, depth, x, y, w, h, match}));
    window.spanprofView.zoom = this.zoomNode === this.data.root ? null : this.data.nodeName(this.zoomNode);
    this.canvas.dataset.frames = String(this.drawn.length);
  }

  hit(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const depth = Math.floor((event.clientY - rect.top) / FLAME_ROW);
    const row = this.rowsDrawn[depth];
    if (!row) return null;
    let lo = 0;
    let hi = row.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const item = row[mid];
      if (x < item.x) hi = mid - 1;
      else if (x > item.x + item.w) lo = mid + 1;
      else return item;
    }
    return null;
  }

  hover(event) {
    const item = this.hit(event);
    if (!item) {
      this.tooltip.hidden = true;
      return;
    }
    const d = this.data;
    const whole = this.tree.rootTotal;
    const lines = [];
    if (item.node === d.root) {
      lines.push(el("b", {}, "all samples of this selection"));
    } else {
      const info = d.frameInfo(d.frame[item.node]);
      lines.push(el("b", {}, info.function));
      if (info.file) lines.push(el("div", {}, info.file + (info.line ? ":" + info.line : "")));
      if (info.module) lines.push(el("div", {class: "muted"}, info.module));
    }
    lines.push(el("div", {}, "self: " + d.formatWeight(item.self, this.metric) + " (" +
                  formatPercent(item.self, whole) + ")"));
    lines.push(el("div", {}, "total: " + d.formatWeight(item.total, this.metric) + " (" +
                  formatPercent(item.total, whole) + ")"));
    lines.push(el("div", {class: "muted"}, item.node === this.zoomNode || item.node === d.root
      ? "click: reset zoom" : "click: zoom in"));
    showTooltip(this.tooltip, event, lines);
  }

  click(event) {
    const item = this.hit(event);
    if (!item) return;
    this.zoomTo(item.node === this.zoomNode ? this.data.root : item.node);
  }
}

function showTooltip(tooltip, event, lines) {
  tooltip.replaceChildren(...lines);
  tooltip.hidden = false;
  const pad = 14;
  const w = tooltip.offsetWidth;
  const h = tooltip.offsetHeight;
  let x = event.clientX + pad;
  let y = event.clientY + pad;
  if (x + w > window.innerWidth - 4) x = Math.max(4, event.clientX - w - pad);
  if (y + h > window.innerHeight - 4) y = Math.max(4, event.clientY - h - pad);
  tooltip.style.left = x + "px";
  tooltip.style.top = y + "px";
}
