// The timeline: one lane per thread (name, tid) with its spans as nested bars
// by depth and its samples as ticks (main event above, off-CPU below), under a
// time axis. Dragging selects a time range; clicking a bar selects its span.

const TL_GUTTER = 170;
const TL_AXIS = 22;
const TL_TICKS = 12;
const TL_BAR = 15;
const TL_MAX_DEPTH = 12;   // span rows per lane
const TL_MAX_LANES = 64;

class Timeline {
  constructor(container, data, tooltip) {
    this.container = container;
    this.data = data;
    this.tooltip = tooltip;
    this.onRange = () => {};
    this.onSpan = () => {};
    this.lanes = [];
    this.bars = [];
    this.note = el("div", {class: "muted"});
    this.wrap = el("div", {class: "timeline-wrap"});
    this.canvas = el("canvas", {id: "timeline-canvas"});
    this.band = el("div", {class: "timeline-band", hidden: true});
    this.wrap.append(this.canvas, this.band);
    container.append(this.wrap, this.note);
    this.t0 = 0;
    this.t1 = Math.max(1, data.durationNs || data.buckets * data.bucketNs);
    this.buildLanes();
    this.drag = null;
    this.selectedSpan = -1;  // highlighted bars: one span, or every span of one name
    this.selectedName = -1;
    this.canvas.addEventListener("mousedown", (e) => this.down(e));
    window.addEventListener("mousemove", (e) => this.move(e));
    window.addEventListener("mouseup", (e) => this.up(e));
    this.canvas.addEventListener("mouseleave", () => { if (!this.drag) this.tooltip.hidden = true; });
  }

  buildLanes() {
    const d = this.data;
    const density = d.threadDensity();
    const byThread = new Map();
    for (let i = 0; i < d.spanCount; i++) {
      const thread = d.spans[i * SPAN_STRIDE + 1];
      if (thread < 0) continue;
      let list = byThread.get(thread);
      if (!list) byThread.set(thread, list = []);
      list.push(i);
    }
    const lanes = [];
    d.threads.forEach((t, index) => {
      const spans = byThread.get(index) || [];
      const dens = density.get(index);
      if (!spans.length && !dens) return;
      const level = this.packLevels(spans);
      let depth = -1;
      for (const v of level.values()) depth = Math.max(depth, v);
      lanes.push({thread: index, pid: t[0], tid: t[1], name: t[2] || "", spans, level,
                  levels: depth + 1, density: dens,
                  weight: (dens ? dens.eventTotal + dens.offTotal : 0) + spans.length});
    });
    // Lanes with spans first, then by what they hold; the rest are cut and said so.
    lanes.sort((a, b) => (b.spans.length > 0) - (a.spans.length > 0) || b.weight - a.weight ||
                         a.tid - b.tid);
    this.cutLanes = Math.max(0, lanes.length - TL_MAX_LANES);
    this.lanes = lanes.slice(0, TL_MAX_LANES);
    let y = TL_AXIS;
    for (const lane of this.lanes) {
      lane.y = y;
      lane.h = Math.max(lane.pid !== lane.tid ? 36 : 26, 6 + TL_TICKS + lane.levels * TL_BAR + 6);
      y += lane.h;
    }
    this.height = y + 4;
    let eventMax = 0;
    let offMax = 0;
    for (const lane of this.lanes) {
      if (!lane.density) continue;
      for (const v of lane.density.event) if (v > eventMax) eventMax = v;
      for (const v of lane.density.off) if (v > offMax) offMax = v;
    }
    // Tick strength: the share of the bucket a thread spent on CPU or off it when
    // weights are nanoseconds, else the share of the busiest bucket.
    const b = d.bucketNs > 0 ? d.bucketNs : 0;
    this.eventScale = d.event.is_time && b ? b : eventMax;
    this.offScale = b || offMax;
  }

  // A row for each span of a lane: below its parent (when on the lane), in the
  // first row from there where it overlaps nothing drawn, so that concurrent
  // spans on one thread (an event loop's requests) do not hide each other.
  // Spans deeper than TL_MAX_DEPTH rows share the last row.
  packLevels(spans) {
    const d = this.data;
    const sorted = [...spans].sort((a, b) => d.spans[a * SPAN_STRIDE + 2] - d.spans[b * SPAN_STRIDE + 2] ||
                                             d.spans[b * SPAN_STRIDE + 3] - d.spans[a * SPAN_STRIDE + 3]);
    const level = new Map();
    const rowEnd = [];
    for (const s of sorted) {
      const o = s * SPAN_STRIDE;
      const parent = level.get(d.spans[o + 4]);
      let row = parent === undefined ? 0 : parent + 1;
      while (row < TL_MAX_DEPTH && rowEnd[row] !== undefined && rowEnd[row] > d.spans[o + 2]) row++;
      row = Math.min(row, TL_MAX_DEPTH);
      rowEnd[row] = Math.max(rowEnd[row] === undefined ? -Infinity : rowEnd[row], d.spans[o + 3]);
      level.set(s, row);
    }
    return level;
  }

  x(t) { return TL_GUTTER + ((t - this.t0) / (this.t1 - this.t0)) * this.plotW; }
  time(x) { return this.t0 + ((x - TL_GUTTER) / this.plotW) * (this.t1 - this.t0); }

  render() {
    const d = this.data;
    const width = Math.max(400, this.container.clientWidth);
    this.plotW = width - TL_GUTTER - 8;
    const ctx = sizeCanvas(this.canvas, width, this.height);
    ctx.font = "11px system-ui, -apple-system, 'Segoe UI', sans-serif";
    ctx.textBaseline = "middle";
    // Axis.
    const step = niceStep(this.t1 - this.t0, Math.max(2, Math.floor(this.plotW / 90)));
    ctx.strokeStyle = "#d9dde3";
    ctx.fillStyle = "#555";
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const x = Math.round(this.x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, TL_AXIS - 4);
      ctx.lineTo(x, this.height);
      ctx.stroke();
      const label = formatAxisNs(t, step);
      const w = ctx.measureText(label).width;
      ctx.fillText(label, x + 3 + w > width ? x - 3 - w : x + 3, TL_AXIS / 2);
    }
    this.bars = [];
    const bucketW = this.plotW / d.buckets;
    for (const lane of this.lanes) {
      ctx.fillStyle = "#f4f6f8";
      ctx.fillRect(0, lane.y, width, lane.h - 1);
      ctx.fillStyle = "#222";
      const label = fitText(ctx, (lane.name || "thread") + "  tid " + lane.tid, TL_GUTTER - 12);
      ctx.fillText(label, 6, lane.y + 6 + TL_TICKS / 2);
      if (lane.pid !== lane.tid) {
        ctx.fillStyle = "#777";
        ctx.fillText(fitText(ctx, "pid " + lane.pid, TL_GUTTER - 12), 6, lane.y + 6 + TL_TICKS + 8);
      }
      const ty = lane.y + 6;
      if (lane.density) {
        for (let b = 0; b < d.buckets; b++) {
          const ev = lane.density.event[b];
          const off = lane.density.off[b];
          const x = TL_GUTTER + b * bucketW;
          const w = Math.max(1, bucketW);
          if (ev > 0) {
            ctx.fillStyle = `rgba(222, 90, 30, ${0.25 + 0.75 * Math.min(1, ev / this.eventScale)})`;
            ctx.fillRect(x, ty, w, TL_TICKS / 2);
          }
          if (off > 0) {
            ctx.fillStyle = `rgba(40, 110, 210, ${0.25 + 0.75 * Math.min(1, off / this.offScale)})`;
            ctx.fillRect(x, ty + TL_TICKS / 2, w, TL_TICKS / 2);
          }
        }
      }
      const rows = [];
      for (const s of lane.spans) {
        const o = s * SPAN_STRIDE;
        const start = Math.max(this.t0, d.spans[o + 2]);
        const end = Math.min(this.t1, d.spans[o + 3]);
        if (end < this.t0 || start > this.t1) continue;
        const depth = lane.level.get(s);
        const x = this.x(start);
        const w = Math.max(1, this.x(end) - x);
        const y = ty + TL_TICKS + 2 + depth * TL_BAR;
        const name = d.names[d.spans[o]] || "?";
        ctx.fillStyle = `hsl(${140 + 90 * nameHash(name)}, 45%, ${62 + 12 * nameHash(name + "#")}%)`;
        if (this.selectedSpan === s || this.selectedName === d.spans[o]) ctx.fillStyle = "hsl(300, 70%, 62%)";
        ctx.fillRect(x, y, w - (w > 3 ? 1 : 0), TL_BAR - 2);
        const text = fitText(ctx, name, w - 4);
        if (text) {
          ctx.fillStyle = "#1a1a1a";
          ctx.fillText(text, x + 2, y + TL_BAR / 2 - 1);
        }
        (rows[depth] = rows[depth] || []).push({x, w, y, span: s});
      }
      this.bars.push({lane, rows});
    }
    // For tests and tools: where the first bars are, in CSS pixels of the canvas.
    window.spanprofView = window.spanprofView || {};
    window.spanprofView.timelineBars = this.bars.flatMap(({rows}) => rows.flat()).slice(0, 100)
      .map(({x, y, w, span}) => ({x, y, w, h: TL_BAR - 2, span, name: d.names[d.spans[span * SPAN_STRIDE]]}));
    this.note.textContent = this.cutLanes
      ? `${this.cutLanes} more threads not shown (only the ${TL_MAX_LANES} busiest have a lane).`
      : "";
  }

  spanAt(px, py) {
    for (const {rows} of this.bars) {
      for (const row of rows) {
        if (!row || !row.length || py < row[0].y || py > row[0].y + TL_BAR - 2) continue;
        // Later bars are drawn on top: search from the end.
        for (let i = row.length - 1; i >= 0; i--) {
          const bar = row[i];
          if (px >= bar.x - 1 && px <= bar.x + bar.w + 1) return bar.span;
        }
      }
    }
    return -1;
  }

  local(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  down(event) {
    const [x, y] = this.local(event);
    if (x < TL_GUTTER) return;
    const lane = this.lanes.find((l) => y >= l.y && y < l.y + l.h);
    this.drag = {x0: x, x1: x, lane};
    event.preventDefault();
  }

  move(event) {
    const [x, y] = this.local(event);
    if (this.drag) {
      this.drag.x1 = Math.max(TL_GUTTER, Math.min(TL_GUTTER + this.plotW, x));
      const lo = Math.min(this.drag.x0, this.drag.x1);
      this.band.hidden = false;
      this.band.style.left = lo + "px";
      this.band.style.width = Math.abs(this.drag.x1 - this.drag.x0) + "px";
      this.band.style.height = this.height + "px";
      this.tooltip.hidden = true;
      return;
    }
    if (event.target !== this.canvas) return;
    const span = this.spanAt(x, y);
    if (span < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const d = this.data;
    const s = d.span(span);
    const w = d.spanWeights();
    const ids = d.spanIds[s.idIndex] || ["", ""];
    const lines = [el("b", {}, d.names[s.name] || "?"),
                   el("div", {}, "duration: " + formatNs(s.end - s.start)),
                   el("div", {}, d.event.name + ": " + d.formatWeight(w.event[span], "cpu"))];
    if (d.raw.has_off_cpu) {
      const off = w.off[1][span] + w.off[2][span] + w.off[3][span] + w.off[4][span];
      lines.push(el("div", {}, "off-CPU: " + formatNs(off)));
    }
    lines.push(el("div", {class: "muted"}, "span " + ids[0] + " trace " + ids[1]));
    lines.push(el("div", {class: "muted"}, "click: its flame graph"));
    showTooltip(this.tooltip, event, lines);
  }

  up(event) {
    if (!this.drag) return;
    const drag = this.drag;
    this.drag = null;
    this.band.hidden = true;
    if (Math.abs(drag.x1 - drag.x0) < 4) {
      const [x, y] = this.local(event);
      const span = this.spanAt(x, y);
      if (span >= 0) this.onSpan(span);
      return;
    }
    const from = this.time(Math.min(drag.x0, drag.x1));
    const to = this.time(Math.max(drag.x0, drag.x1));
    this.showRange(from, to);
    // With Shift held, the range is of the lane where the drag started only.
    this.onRange(from, to, event.shiftKey && drag.lane ? drag.lane.thread : undefined);
  }

  // Keeps the band of a chosen range visible (null hides it).
  showRange(from, to) {
    this.range = from === null ? null : [from, to];
    if (!this.range) {
      this.band.hidden = true;
      return;
    }
    this.band.hidden = false;
    this.band.classList.add("kept");
    this.band.style.left = this.x(from) + "px";
    this.band.style.width = Math.max(1, this.x(to) - this.x(from)) + "px";
    this.band.style.height = this.height + "px";
  }
}
