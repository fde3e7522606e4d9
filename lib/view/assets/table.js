// The span table (per span name: count, durations, CPU, off-CPU, wall,
// samples; sortable, filterable; each name opens to its slowest spans) and the
// top-functions table beside the flame graph.

class SpanTable {
  constructor(container, filterInput, data) {
    this.container = container;
    this.data = data;
    this.onName = () => {};
    this.onSpan = () => {};
    this.sortKey = "event";
    this.sortDown = true;
    this.filter = "";
    this.open = new Set();
    this.selectedName = -1;
    this.selectedSpan = -1;
    const d = data;
    const index = new Map(d.names.map((n, i) => [n, i]));
    this.rows = d.spanNames.map((s) => {
      const nameIndex = typeof s.name === "number" ? s.name : index.has(s.name) ? index.get(s.name) : -1;
      const name = typeof s.name === "number" ? d.names[s.name] : String(s.name);
      const off = Array.isArray(s.off_cpu) ? s.off_cpu.reduce((a, b) => a + (b || 0), 0) : null;
      const event = typeof s.event === "number" ? s.event : null;
      return {nameIndex, name, count: s.count, p50: s.p50_ns, p95: s.p95_ns, max: s.max_ns,
              event, off, offStates: s.off_cpu || null,
              wall: event !== null && off !== null ? event + off : null,
              samples: s.samples, without: s.without_samples, slowest: s.slowest || []};
    });
    this.columns = [
      {key: "name", label: "Span name", text: true},
      {key: "count", label: "Spans", fmt: groupedInt},
      {key: "p50", label: "p50", fmt: formatNs},
      {key: "p95", label: "p95", fmt: formatNs},
      {key: "max", label: "max", fmt: formatNs},
      {key: "event", label: d.event.is_time ? "CPU (" + d.event.name + ")" : d.event.name,
       fmt: (v) => d.formatWeight(v, "cpu")},
    ];
    if (d.raw.has_off_cpu) {
      this.columns.push({key: "off", label: "off-CPU", fmt: formatNs});
      if (d.event.is_time) this.columns.push({key: "wall", label: "wall", fmt: formatNs});
    }
    this.columns.push({key: "samples", label: "Samples", fmt: groupedInt},
                      {key: "without", label: "Spans without samples", fmt: groupedInt});
    filterInput.addEventListener("input", () => {
      this.filter = filterInput.value.trim().toLowerCase();
      this.render();
    });
  }

  sorted() {
    const key = this.sortKey;
    const dir = this.sortDown ? -1 : 1;
    const rows = this.rows.filter((r) => !this.filter || r.name.toLowerCase().includes(this.filter));
    const value = (r) => (r[key] === null || r[key] === undefined ? -Infinity : r[key]);
    rows.sort((a, b) => key === "name" ? dir * a.name.localeCompare(b.name)
                                       : dir * (value(a) - value(b)) || a.name.localeCompare(b.name));
    return rows;
  }

  render() {
    const head = el("tr", {}, el("th", {class: "toggle"}),
      this.columns.map((c) => el("th", {
        class: (c.text ? "" : "num ") + (c.key === this.sortKey ? "sorted" : ""),
        dataset: {key: c.key}, title: "sort by " + c.label,
        onclick: () => {
          if (this.sortKey === c.key) this.sortDown = !this.sortDown;
          else { this.sortKey = c.key; this.sortDown = !c.text; }
          this.render();
        },
      }, c.label, c.key === this.sortKey ? (this.sortDown ? " ▾" : " ▴") : "")));
    const body = el("tbody");
    const rows = this.sorted();
    for (const r of rows) {
      const isOpen = this.open.has(r.name);
      body.append(el("tr", {class: "span-name" + (r.nameIndex === this.selectedName ? " selected" : ""),
                            dataset: {name: r.name}},
        el("td", {class: "toggle"}, r.slowest.length ? el("button", {
          type: "button", class: "expand", title: "the slowest spans of this name",
          "aria-expanded": isOpen ? "true" : "false",
          onclick: () => { isOpen ? this.open.delete(r.name) : this.open.add(r.name); this.render(); },
        }, isOpen ? "▾" : "▸") : ""),
        this.columns.map((c) => c.text
          ? el("td", {}, el("a", {href: "#", class: "name-link", onclick: (e) => {
              e.preventDefault();
              if (r.nameIndex >= 0) this.onName(r.nameIndex);
            }}, r.name))
          : el("td", {class: "num", style: this.barStyle(c.key, r[c.key])}, c.fmt(r[c.key])))));
      if (isOpen) body.append(this.slowestRow(r));
    }
    const table = el("table", {class: "spans"}, el("thead", {}, head), body);
    const note = rows.length === this.rows.length ? ""
      : `${rows.length} of ${this.rows.length} span names match the filter.`;
    this.container.replaceChildren(table, el("div", {class: "muted"}, note));
  }

  // Weight columns carry a faint bar: the row's share of the column's largest value.
  barStyle(key, value) {
    if (!["event", "off", "wall"].includes(key) || !value) return undefined;
    if (!this.columnMax) {
      this.columnMax = {};
      for (const k of ["event", "off", "wall"]) {
        // A loop, not Math.max(...rows): spreading 100k+ names overflows the stack.
        let most = 0;
        for (const row of this.rows) most = Math.max(most, row[k] || 0);
        this.columnMax[k] = most;
      }
    }
    const share = Math.round((100 * value) / (this.columnMax[key] || 1));
    const colour = key === "off" ? "rgba(40, 110, 210, 0.16)" : "rgba(222, 90, 30, 0.16)";
    return `background: linear-gradient(to left, ${colour} ${share}%, transparent ${share}%)`;
  }

  slowestRow(r) {
    const d = this.data;
    const w = d.spanWeights();
    const cols = ["span id", "trace id", "thread", "duration", d.event.name];
    if (d.raw.has_off_cpu) cols.push("off-CPU");
    const list = el("table", {class: "slowest"}, el("tr", {}, cols.map((c) => el("th", {}, c))));
    for (const i of r.slowest) {
      if (i < 0 || i >= d.spanCount) continue;
      const s = d.span(i);
      const ids = d.spanIds[s.idIndex] || ["?", "?"];
      const t = d.threads[s.thread];
      const cells = [
        el("td", {}, el("a", {href: "#", class: "span-link", dataset: {span: String(i)},
                              onclick: (e) => { e.preventDefault(); this.onSpan(i); }}, ids[0])),
        el("td", {class: "mono"}, ids[1]),
        el("td", {}, t ? `${t[2] || "thread"} ${t[1]}` : "unknown"),
        el("td", {class: "num"}, formatNs(s.end - s.start)),
        el("td", {class: "num"}, d.formatWeight(w.event[i], "cpu")),
      ];
      if (d.raw.has_off_cpu) {
        cells.push(el("td", {class: "num"}, formatNs(w.off[1][i] + w.off[2][i] + w.off[3][i] + w.off[4][i])));
      }
      list.append(el("tr", {class: i === this.selectedSpan ? "selected" : ""}, cells));
    }
    return el("tr", {class: "slowest-row"}, el("td"),
              el("td", {colspan: String(this.columns.length)}, el("div", {class: "muted"},
                 "Slowest spans named " + r.name + " (click an id for its flame graph)"), list));
  }
}

const TOP_FUNCTIONS = 40;

function renderFunctionTable(container, data, tree, metric, onPick) {
  const rows = tree.rootTotal > 0 ? data.functionTable(tree).slice(0, TOP_FUNCTIONS) : [];
  const whole = tree.rootTotal;
  const table = el("table", {class: "functions"},
    el("thead", {}, el("tr", {}, el("th", {}, "Function"), el("th", {class: "num"}, "Self"),
                       el("th", {class: "num pct"}, "%"), el("th", {class: "num"}, "Total"),
                       el("th", {class: "num pct"}, "%"))),
    el("tbody", {}, rows.map((f) => el("tr", {dataset: {function: f.name}},
      el("td", {class: "fn"}, el("a", {href: "#", title: f.name + " (click: search for it)",
                                       onclick: (e) => { e.preventDefault(); onPick(f.name); }}, f.name)),
      el("td", {class: "num"}, f.self ? data.formatWeight(f.self, metric) : "0"),
      el("td", {class: "num"}, f.self ? formatPercent(f.self, whole) : ""),
      el("td", {class: "num"}, data.formatWeight(f.total, metric)),
      el("td", {class: "num"}, formatPercent(f.total, whole))))));
  container.replaceChildren(el("h3", {}, "Top functions by self"),
    rows.length ? table : el("div", {class: "empty"}, "No samples."));
}
