// The page: reads the embedded data, draws the capture facts, the timeline,
// the flame graph with its top functions and the span table, and keeps them
// on one selection (whole capture, a span name, a single span, a time range)
// and one metric (CPU, off-CPU, wall). Sets body[data-ready="1"] when drawn.

// Counters of summary.json shown when non-zero, those the terminal summary
// prints (lib/join/report_counters.cc), with docs/summary-json.md's meaning.
const COUNTERS = {
  "losses.lost_events": "samples the kernel dropped (ring buffer full)",
  "losses.lost_samples": "samples lost (PERF_RECORD_LOST_SAMPLES)",
  "losses.samples_without_event": "samples whose event id matched no event",
  "losses.undecodable_records": "records that did not decode",
  "losses.skipped_records": "records of types spanprof does not use",
  "losses.ordering_overflows": "times the time-ordering buffer hit its cap",
  "losses.truncated_stacks": "stacks cut at 1024 frames",
  "losses.guest_frames_skipped": "frames of virtual machine guests",
  "losses.binaries_missing": "binaries not found (frames keep raw addresses)",
  "losses.binaries_changed": "binaries whose build id differs from the capture's",
  "losses.addresses_unsymbolized": "unique addresses left unsymbolized",
  "losses.frames_outside_mappings": "unique frame addresses in no mapped file and no perf map",
  "losses.processes_without_perf_map": "processes with such frames and no perf-PID.map",
  "losses.perf_map_bad_lines": "malformed perf-PID.map lines skipped",
  "losses.damage": "where the capture ended early or turned corrupt",
  "unwind.samples_without_registers": "samples without user registers: kernel frames only",
  "unwind.samples_other_arch": "samples not unwound: not x86_64 registers",
  "spans.bad_lines": "span lines or messages that did not decode",
  "spans.files_cut_short": "span files whose rest was skipped",
  "spans.bad_ids": "spans with missing or malformed ids",
  "spans.spans_over_limit": "spans past --max-spans",
  "spans.end_before_start": "spans whose end preceded their start",
  "spans.duplicate_span_ids": "spans repeating an earlier id (dropped)",
  "spans.parent_cycles": "parent links cut to break a cycle",
  "spans.without_thread_id": "spans with no usable thread id (not placed)",
  "spans.ambiguous": "spans overlapping a non-ancestor on the same thread",
  "spans.samples_unlabelled_not_nested": "samples among open spans of different traces (no span)",
  "spans.without_samples": "spans that got no sample",
  "off_cpu.records_without_time": "switch records and samples without a time",
  "off_cpu.intervals_without_stack": "off-CPU intervals without a stack",
  "off_cpu.samples_unpaired": "sched_switch samples with no switch record",
  "off_cpu.samples_state_undecoded": "switches whose thread state could not be read",
  "off_cpu.ins_without_out": "switch-ins without a switch-out",
  "off_cpu.cut_capture_end": "intervals cut at the capture's end",
  "off_cpu.ins_after_in": "switch-ins after a switch-in",
  "off_cpu.out_of_order": "switch records out of time order",
  "off_cpu.cut_lost": "intervals cut by lost records",
};

function nonZeroCounters(summary) {
  const out = [];
  for (const [name, meaning] of Object.entries(COUNTERS)) {
    const [group, key] = name.split(".");
    const object = group === "losses" ? summary.losses : summary[group];
    const value = object && typeof object === "object" ? object[key] : undefined;
    if ((typeof value === "number" && value !== 0) || (typeof value === "string" && value)) {
      out.push([name, value, meaning]);
    }
  }
  const stops = summary.unwind && summary.unwind.stops;
  for (const [key, value] of Object.entries(stops || {})) {
    // end_of_stack is the clean end of an unwind, not a loss.
    if (key !== "end_of_stack" && typeof value === "number" && value) {
      out.push(["unwind.stops." + key, value, "unwinds that stopped early"]);
    }
  }
  return out;
}

class ReportApp {
  constructor(data) {
    this.data = data;
    this.metric = "cpu";
    this.states = new Set(OFF_CPU_KINDS);
    this.selection = {type: "all"};
    this.tooltip = document.getElementById("tooltip");
    window.spanprofView = {drawn: [], selection: this.selection, metric: this.metric, app: this};
  }

  start() {
    this.drawFacts();
    this.drawControls();
    this.flame = new FlameGraph(document.getElementById("flame"), this.data, this.tooltip);
    document.getElementById("zoom-reset").addEventListener("click", () => this.flame.zoomTo(this.data.root));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && e.target === document.body) this.flame.zoomTo(this.data.root);
    });
    const search = document.getElementById("search");
    search.addEventListener("input", () => this.search(search.value.trim()));
    this.drawTimeline();
    this.drawSpans();
    this.update();
    let pending = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => {
        if (this.timeline) {
          this.timeline.render();
          this.timeline.showRange(...(this.timeline.range || [null]));
        }
        this.flame.render();
      });
    });
    document.body.dataset.ready = "1";
  }

  drawFacts() {
    const d = this.data;
    const s = d.summary;
    const title = d.raw.title || "";
    document.getElementById("title").textContent = title || "spanprof report";
    document.getElementById("title").title = title ? "the recorded command" : "the command is not known";
    const e = d.event;
    let rate = "";
    if (e.period > 0) {
      rate = e.is_time ? `every ${formatNs(e.period)} (${groupedInt(1e9 / e.period)} Hz)`
                       : `every ${groupedInt(e.period)} events`;
    }
    const facts = [
      ["duration", d.raw.has_clock ? formatNs(d.durationNs) : "unknown (no clock)"],
      ["event", e.name + (rate ? ", " + rate : "")],
      ["samples", typeof s.samples === "number" ? groupedInt(s.samples) : "—"],
      ["threads", typeof s.threads === "number" ? groupedInt(s.threads) : String(d.threads.length)],
      ["spans", s.spans ? groupedInt(s.spans.spans || 0) : "no span file"],
    ];
    if (s.spans && typeof s.spans.share_of_samples_in_spans === "number") {
      facts.push(["samples in spans", formatPercent(s.spans.share_of_samples_in_spans, 1)]);
    }
    if (d.raw.has_off_cpu && s.off_cpu && s.off_cpu.off_cpu_ns) {
      const o = s.off_cpu.off_cpu_ns;
      facts.push(["off-CPU", formatNs((o.sleeping || 0) + (o.blocked_io || 0) + (o.runnable || 0) + (o.unknown || 0))]);
    }
    if (d.raw.start_unix_ns && d.raw.has_clock && d.rowCount > 0) {
      const ms = Number(BigInt(d.raw.start_unix_ns) / 1000000n);
      facts.push(["started", new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")]);
    }
    document.getElementById("facts-line").replaceChildren(...facts.map(([k, v]) =>
      el("span", {class: "fact"}, el("span", {class: "k"}, k), " ", el("b", {}, v))));
    const notes = [];
    const warnings = Array.isArray(s.warnings) ? s.warnings : [];
    if (warnings.length) {
      notes.push(el("details", {class: "warnings", open: warnings.length <= 3},
        el("summary", {}, `${warnings.length} warning${warnings.length > 1 ? "s" : ""}`),
        el("ul", {}, warnings.map((w) => el("li", {}, typeof w === "string" ? w
          : (w.where ? w.where + ": " : "") + w.message + (w.kind ? ` [${w.kind}]` : ""))))));
    }
    const counters = nonZeroCounters(s);
    if (counters.length) {
      notes.push(el("details", {class: "counters"},
        el("summary", {}, "losses and repairs: " + counters.slice(0, 3).map(([, v, meaning]) =>
          (typeof v === "number" ? groupedInt(v) : "1") + " " + meaning).join("; ") +
          (counters.length > 3 ? `; ${counters.length - 3} more` : "")),
        el("table", {}, counters.map(([k, v, meaning]) => el("tr", {},
          el("td", {class: "num"}, typeof v === "number" ? groupedInt(v) : v), el("td", {}, meaning),
          el("td", {class: "mono muted"}, k))))));
    }
    const cuts = d.raw.cuts || [];
    if (cuts.length) {
      notes.push(el("div", {class: "cuts"}, el("b", {}, "This page left out: "), cuts.join("; ")));
    }
    document.getElementById("notes").replaceChildren(...notes);
  }

  drawControls() {
    const d = this.data;
    const metric = document.getElementById("metric");
    const options = [["cpu", d.event.is_time ? "CPU (" + d.event.name + ")" : d.event.name]];
    if (d.raw.has_off_cpu) {
      options.push(["off", "off-CPU"]);
      if (d.event.is_time) options.push(["wall", "wall (CPU + off-CPU)"]);
    }
    metric.replaceChildren(...options.map(([v, label]) => el("option", {value: v}, label)));
    metric.disabled = options.length < 2;
    metric.addEventListener("change", () => {
      this.metric = metric.value;
      this.update();
    });
    const states = document.getElementById("states");
    if (d.raw.has_off_cpu) {
      states.append(...OFF_CPU_KINDS.map((k) => el("label", {class: "state"},
        el("input", {type: "checkbox", checked: true, dataset: {kind: String(k)}, onchange: (e) => {
          if (e.target.checked) this.states.add(k); else this.states.delete(k);
          this.update();
        }}), " ", d.kinds[k] || "state " + k)));
    }
    document.getElementById("reset-selection").addEventListener("click", () => this.select({type: "all"}));
  }

  drawTimeline() {
    const d = this.data;
    const container = document.getElementById("timeline");
    const hint = document.querySelector("#timeline-section h2 small");
    if (!d.raw.has_clock) {
      hint.hidden = true;
      container.replaceChildren(el("div", {class: "empty"},
        "No clock: the capture's sample times are not known, so there is no timeline."));
      return;
    }
    if (!d.threads.length || (!d.rowCount && !d.spanCount)) {
      hint.hidden = true;
      container.replaceChildren(el("div", {class: "empty"}, "No samples and no spans: nothing to draw on a timeline."));
      return;
    }
    const legend = el("div", {class: "legend"}, "Ticks:",
      el("span", {class: "swatch", style: "background: rgb(222, 90, 30)"}), d.event.name + " samples",
      d.raw.has_off_cpu ? [el("span", {class: "swatch", style: "background: rgb(40, 110, 210)"}),
                           "off-CPU time"] : null,
      d.spanCount ? [el("span", {class: "swatch", style: "background: hsl(180, 45%, 66%)"}),
                     "spans, nested by depth"] : " (the capture has no spans)");
    container.before(legend);
    this.timeline = new Timeline(container, d, this.tooltip);
    this.timeline.onRange = (from, to, thread) => {
      const b = d.bucketNs || 1;
      this.select({type: "range", from: Math.floor(from / b), to: Math.max(Math.floor(from / b), Math.ceil(to / b) - 1),
                   fromNs: from, toNs: to, thread}, true);
    };
    this.timeline.onSpan = (span) => this.select({type: "span", span});
    this.timeline.render();
  }

  drawSpans() {
    const d = this.data;
    const container = document.getElementById("span-table");
    const filter = document.getElementById("span-filter");
    const s = d.summary.spans;
    let reason = "";
    if (!s) reason = "No span file was joined: the capture has no spans.";
    else if (s.join_error) reason = "Spans were not joined: " + s.join_error;
    else if (!d.spanNames.length) reason = "The capture has no spans.";
    if (reason) {
      filter.hidden = true;
      container.replaceChildren(el("div", {class: "empty"}, reason +
        " The flame graph and the functions cover the whole capture."));
      return;
    }
    this.table = new SpanTable(container, filter, d);
    this.table.onName = (name) => this.select({type: "name", name});
    this.table.onSpan = (span) => this.select({type: "span", span});
    this.table.render();
  }

  select(selection, keepBand) {
    this.selection = selection;
    if (this.timeline) {
      const span = selection.type === "span" ? selection.span : -1;
      const name = selection.type === "name" ? selection.name : -1;
      if (span !== this.timeline.selectedSpan || name !== this.timeline.selectedName) {
        this.timeline.selectedSpan = span;  // only the highlighted bars change
        this.timeline.selectedName = name;
        this.timeline.render();
      }
      if (!keepBand) this.timeline.showRange(null);
    }
    if (this.table) {
      this.table.selectedName = selection.type === "name" ? selection.name : -1;
      this.table.selectedSpan = selection.type === "span" ? selection.span : -1;
      if (selection.type === "span") this.table.open.add(this.data.names[this.data.span(selection.span).name]);
      this.table.render();
    }
    this.update();
    document.getElementById("flame-section").scrollIntoView({block: "nearest"});
  }

  selectionLabel() {
    const d = this.data;
    const sel = this.selection;
    if (sel.type === "name") return "spans named " + d.names[sel.name];
    if (sel.type === "span") {
      const s = d.span(sel.span);
      const ids = d.spanIds[s.idIndex] || ["?"];
      return `one span: ${d.names[s.name]} ${ids[0]} (${formatNs(s.end - s.start)})`;
    }
    if (sel.type === "range") {
      // The samples are summed per timeline step: say the steps the range covers.
      const t = sel.thread === undefined ? null : d.threads[sel.thread];
      const b = d.bucketNs || 1;
      return `time ${formatNs(sel.from * b)} to ${formatNs((sel.to + 1) * b)}` +
        ` (whole ${formatNs(b)} steps)` + (t ? ` on ${t[2] || "thread"} (tid ${t[1]})` : "");
    }
    return "whole capture";
  }

  update() {
    const d = this.data;
    const mask = d.kindMask(this.metric, this.states);
    this.tree = d.aggregate(this.selection, mask);
    const metricName = document.getElementById("metric").selectedOptions[0];
    const label = this.selectionLabel();
    document.getElementById("selection").textContent = "Showing: " + label;
    document.getElementById("reset-selection").disabled = this.selection.type === "all";
    document.getElementById("states").hidden = this.metric === "cpu";
    document.getElementById("flame-caption").textContent =
      `${label}, ${metricName ? metricName.textContent : this.metric}: ` +
      `${d.formatWeight(this.tree.rootTotal, this.metric)}` +
      (this.metric === "cpu" ? `, ${groupedInt(this.tree.samples)} samples` : "");
    this.flame.setTree(this.tree, this.metric, false);
    this.search(document.getElementById("search").value.trim());  // draws the graph
    renderFunctionTable(document.getElementById("functions"), d, this.tree, this.metric,
      (name) => {
        const box = document.getElementById("search");
        box.value = name;
        this.search(name);
      });
    const view = window.spanprofView;
    view.selection = this.selection;
    view.metric = this.metric;
    view.total = this.tree.rootTotal;
  }

  search(text) {
    const error = this.flame.setSearch(text);
    const out = document.getElementById("search-result");
    if (error) out.textContent = error;
    else if (!text) out.textContent = "";
    else {
      const matched = this.flame.matchedTotal();
      out.textContent = `matched ${formatPercent(matched, this.tree.rootTotal)} of the selection (` +
        `${this.data.formatWeight(matched, this.metric)})`;
    }
    window.spanprofView.matched = out.textContent;
  }
}

function startReport() {
  let data;
  try {
    const text = document.getElementById("spanprof-data").textContent;
    data = new ReportData(JSON.parse(text));
  } catch (error) {
    document.body.dataset.error = String(error.message || error);
    document.querySelector("main").replaceChildren(el("div", {class: "error"},
      "This report's data cannot be read: " + (error.message || error) +
      ". Write the report again with `spanprof report DIR`."));
    throw error;
  }
  new ReportApp(data).start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startReport);
else startReport();
