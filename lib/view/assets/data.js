// The page data (lib/view/page_data.h, schema version 1) and what the views
// aggregate from it: flame trees for a selection of samples, per-span weights,
// per-thread sample density, top functions.

const KIND_EVENT = 0;
const OFF_CPU_KINDS = [1, 2, 3, 4];
const ROW_STRIDE = 8;   // [bucket, thread, span, top, stack, kind, weight, count]
const NAME_ROW_STRIDE = 5;  // [name, stack, kind, weight, count]
const SPAN_STRIDE = 7;  // [name, thread, start, end, parent, span_id_index, depth]

class ReportData {
  constructor(raw) {
    if (!raw || raw.version !== 1) {
      throw new Error("this page's data has version " + (raw && raw.version) +
                      "; this page reads version 1");
    }
    this.raw = raw;
    this.summary = raw.summary || {};
    this.event = raw.event || {name: "samples", unit: "count", period: 0, is_time: false};
    this.kinds = raw.kinds || ["event", "sleeping", "blocked_io", "runnable", "unknown"];
    this.frames = raw.frames || [];
    this.threads = raw.threads || [];
    this.names = raw.names || [];
    this.spans = raw.spans || [];
    this.spanIds = raw.span_ids || [];
    this.spanNames = raw.span_names || [];
    this.rows = raw.rows || [];
    this.nameRows = raw.name_rows || [];
    this.spanCount = Math.floor(this.spans.length / SPAN_STRIDE);
    this.rowCount = Math.floor(this.rows.length / ROW_STRIDE);
    this.nameRowCount = Math.floor(this.nameRows.length / NAME_ROW_STRIDE);
    this.buckets = Math.max(1, raw.buckets || 1);
    this.bucketNs = raw.bucket_ns || 0;
    this.durationNs = raw.duration_ns || 0;
    this.buildTree(raw.stacks || []);
    this.spanWeightCache = null;
    this.threadDensityCache = null;
  }

  // The stacks' prefix tree, with nodes of the same frame under the same parent
  // merged (should the data hold any), children lists and a root-first order.
  // Node `root` (= count) is the whole selection, above every root frame.
  buildTree(stacks) {
    const count = Math.floor(stacks.length / 2);
    let frameCount = 1;
    for (let i = 0; i < count; i++) frameCount = Math.max(frameCount, stacks[2 * i + 1] + 1);
    this.nodeCount = count;
    this.root = count;
    const canon = new Int32Array(count);
    const parent = new Int32Array(count + 1).fill(-1);
    const frame = new Int32Array(count + 1).fill(-1);
    const depth = new Int32Array(count + 1);
    const byKey = new Map();
    // Parents may come after their children: resolve each node's chain first.
    const state = new Uint8Array(count);  // 0 new, 1 on the walk, 2 done
    const walk = [];
    for (let start = 0; start < count; start++) {
      let node = start;
      while (node >= 0 && node < count && state[node] === 0) {
        state[node] = 1;
        walk.push(node);
        node = stacks[2 * node];
      }
      while (walk.length) {
        const n = walk.pop();
        const p = stacks[2 * n];
        const f = stacks[2 * n + 1];
        // A parent out of range or on a cycle (bad data) hangs the node at the root.
        const cp = p >= 0 && p < count && state[p] === 2 ? canon[p] : count;
        // Exact while (nodes + 1) * (frames + 1) < 2^53: any page spanprof writes.
        const key = cp * (frameCount + 1) + f;
        let c = byKey.get(key);
        if (c === undefined) {
          c = n;
          byKey.set(key, n);
          parent[n] = cp;
          frame[n] = f;
          depth[n] = cp === count ? 0 : depth[cp] + 1;
        }
        canon[n] = c;
        state[n] = 2;
      }
    }
    this.canon = canon;
    this.parent = parent;
    this.frame = frame;
    this.depth = depth;
    // Children lists (CSR) of canonical nodes, and nodes by depth (parents first).
    const childCount = new Int32Array(count + 2);
    let maxDepth = 0;
    for (let n = 0; n < count; n++) {
      if (canon[n] !== n) continue;
      childCount[parent[n] + 1]++;
      if (depth[n] > maxDepth) maxDepth = depth[n];
    }
    const childStart = new Int32Array(count + 2);
    for (let i = 1; i < count + 2; i++) childStart[i] = childStart[i - 1] + childCount[i];
    const fill = childStart.slice();
    const children = new Int32Array(childStart[count + 1]);
    for (let n = 0; n < count; n++) if (canon[n] === n) children[fill[parent[n]]++] = n;
    this.childStart = childStart;
    this.children = children;
    this.maxDepth = count ? maxDepth + 1 : 0;
    const order = [];
    for (let n = 0; n < count; n++) if (canon[n] === n) order.push(n);
    order.sort((a, b) => depth[a] - depth[b]);
    this.order = Int32Array.from(order);
  }

  frameInfo(frameIndex) {
    const f = this.frames[frameIndex] || ["?", "", 0, ""];
    return {function: String(f[0]), file: f[1] || "", line: f[2] || 0, module: f[3] || ""};
  }

  nodeName(node) {
    if (node === this.root) return "all";
    return this.frameInfo(this.frame[node]).function;
  }

  span(i) {
    const s = this.spans;
    const o = i * SPAN_STRIDE;
    return {index: i, name: s[o], thread: s[o + 1], start: s[o + 2], end: s[o + 3],
            parent: s[o + 4], idIndex: s[o + 5], depth: s[o + 6]};
  }

  spanParent(i) { return this.spans[i * SPAN_STRIDE + 4]; }

  // True when a row (innermost span `span`, chain top `top`) is inside span `target`.
  rowInSpan(span, top, target) {
    for (let s = span, guard = 0; s >= 0 && s < this.spanCount && guard < 4096; guard++) {
      if (s === target) return true;
      if (s === top) return false;
      s = this.spanParent(s);
    }
    return false;
  }

  // Which sample kinds a metric sums: "cpu" the main event, "off" off-CPU
  // states (those in `states`), "wall" both.
  kindMask(metric, states) {
    const mask = [false, false, false, false, false];
    if (metric === "cpu" || metric === "wall") mask[KIND_EVENT] = true;
    if (metric === "off" || metric === "wall") {
      for (const k of OFF_CPU_KINDS) mask[k] = !states || states.has(k);
    }
    return mask;
  }

  // The weight each stack node holds itself (self) and with its callees
  // (total) for the samples a selection picks: {type: "all"}, {type: "name",
  // name}, {type: "span", span}, {type: "range", from, to (buckets), thread?}.
  aggregate(selection, mask) {
    const size = this.nodeCount + 1;
    const self = new Float64Array(size);
    let samples = 0;
    const add = (stack, weight, count) => {
      const node = stack >= 0 && stack < this.nodeCount ? this.canon[stack] : this.root;
      self[node] += weight;
      samples += count;
    };
    const rows = this.rows;
    if (selection.type === "name") {
      const nr = this.nameRows;
      for (let o = 0; o < this.nameRowCount * NAME_ROW_STRIDE; o += NAME_ROW_STRIDE) {
        if (nr[o] === selection.name && mask[nr[o + 2]]) add(nr[o + 1], nr[o + 3], nr[o + 4]);
      }
    } else {
      for (let o = 0; o < this.rowCount * ROW_STRIDE; o += ROW_STRIDE) {
        if (!mask[rows[o + 5]]) continue;
        if (selection.type === "range") {
          if (rows[o] < selection.from || rows[o] > selection.to) continue;
          if (selection.thread !== undefined && rows[o + 1] !== selection.thread) continue;
        } else if (selection.type === "span") {
          if (!this.rowInSpan(rows[o + 2], rows[o + 3], selection.span)) continue;
        }
        add(rows[o + 4], rows[o + 6], rows[o + 7]);
      }
    }
    const total = Float64Array.from(self);
    for (let i = this.order.length - 1; i >= 0; i--) {
      const n = this.order[i];
      total[this.parent[n]] += total[n];
    }
    return {self, total, samples, rootTotal: total[this.root]};
  }

  // Per function name over a tree: self, and total counted once per stack even
  // when the function recurses. Sorted by self, then total.
  functionTable(tree) {
    const byName = new Map();
    const entry = (name) => {
      let e = byName.get(name);
      if (!e) byName.set(name, e = {name, self: 0, total: 0, onPath: 0});
      return e;
    };
    const stack = [[this.root, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const node = top[0];
      if (top[1] === 0) {
        top[1] = 1;
        if (tree.total[node] === 0) { stack.pop(); continue; }
        if (node !== this.root) {
          const e = entry(this.nodeName(node));
          e.self += tree.self[node];
          if (e.onPath === 0) e.total += tree.total[node];
          e.onPath++;
        }
        for (let c = this.childStart[node]; c < this.childStart[node + 1]; c++) {
          stack.push([this.children[c], 0]);
        }
      } else {
        stack.pop();
        if (node !== this.root) entry(this.nodeName(node)).onPath--;
      }
    }
    return [...byName.values()].sort((a, b) => b.self - a.self || b.total - a.total);
  }

  // Per kept span: main-event weight, off-CPU ns per state, samples (event
  // kind), from the rows whose span chain holds it. Computed once.
  spanWeights() {
    if (this.spanWeightCache) return this.spanWeightCache;
    const n = this.spanCount;
    const event = new Float64Array(n);
    const off = [null, new Float64Array(n), new Float64Array(n), new Float64Array(n),
                 new Float64Array(n)];
    const samples = new Float64Array(n);
    const rows = this.rows;
    for (let o = 0; o < this.rowCount * ROW_STRIDE; o += ROW_STRIDE) {
      const kind = rows[o + 5];
      const top = rows[o + 3];
      for (let s = rows[o + 2], guard = 0; s >= 0 && s < n && guard < 4096; guard++) {
        if (kind === KIND_EVENT) {
          event[s] += rows[o + 6];
          samples[s] += rows[o + 7];
        } else if (off[kind]) {
          off[kind][s] += rows[o + 6];
        }
        if (s === top) break;
        s = this.spanParent(s);
      }
    }
    return (this.spanWeightCache = {event, off, samples});
  }

  // Per thread index: main-event weight and off-CPU ns per bucket (the timeline's
  // ticks). An off-CPU piece's time is its start (lib/join/off_cpu_join.cc): its
  // nanoseconds are spread from there over the buckets it lasts.
  threadDensity() {
    if (this.threadDensityCache) return this.threadDensityCache;
    const byThread = new Map();
    const rows = this.rows;
    for (let o = 0; o < this.rowCount * ROW_STRIDE; o += ROW_STRIDE) {
      const thread = rows[o + 1];
      let d = byThread.get(thread);
      if (!d) {
        d = {event: new Float64Array(this.buckets), off: new Float64Array(this.buckets),
             eventTotal: 0, offTotal: 0};
        byThread.set(thread, d);
      }
      const b = Math.min(this.buckets - 1, Math.max(0, rows[o]));
      if (rows[o + 5] === KIND_EVENT) {
        d.event[b] += rows[o + 6];
        d.eventTotal += rows[o + 6];
      } else {
        d.offTotal += rows[o + 6];
        let left = rows[o + 6];
        for (let k = b; k < this.buckets && left > 0; k++) {
          const part = this.bucketNs > 0 ? Math.min(left, this.bucketNs) : left;
          d.off[k] += part;
          left -= part;
        }
      }
    }
    return (this.threadDensityCache = byThread);
  }

  // The metric's unit: nanoseconds, or the main event's count.
  metricIsTime(metric) {
    return metric !== "cpu" || this.event.unit === "nanoseconds" || this.event.is_time;
  }

  formatWeight(weight, metric) {
    if (weight === null || weight === undefined) return "—";  // not measured
    return this.metricIsTime(metric) ? formatNs(weight) : formatCount(weight) + " " + this.event.name;
  }
}
