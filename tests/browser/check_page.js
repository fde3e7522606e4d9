// Opens report pages (file://) in Debian's headless chromium with playwright-core,
// one browser for all, and checks what each shows and draws; prints one JSON line
// per check ({case, ok, name, detail}) for report_test.py to turn into TAP, and
// keeps screenshots (OUT_DIR/CASE-STEP.png).
//   node check_page.js CASES.json OUT_DIR
// CASES: [{case, page, expect}], expect: {spanNames: [...], hottest: [...],
//   timeline: bool, offCpu: bool, emptyText: "..." or [...] (text the page must show),
//   interact: bool, frames: N (at least), title, rootTotal (summary.json's weight),
//   nameTotals {name: spans.by_name total}, offCpuFunctions: [...]}
"use strict";
const fs = require("fs");
const path = require("path");
const {chromium} = require("playwright-core");

const [casesPath, outDir] = process.argv.slice(2);
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
let current = "";
let expect = {};

function check(ok, name, detail) {
  process.stdout.write(JSON.stringify({case: current, ok: !!ok, name, detail: ok ? "" : String(detail || "")}) + "\n");
  return !!ok;
}

async function drawn(page) {
  return page.evaluate(() => (window.spanprofView && window.spanprofView.drawn) || []);
}

function names(frames) {
  return new Set(frames.map((f) => f.name));
}

function sameDrawing(a, b) {
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && f.total === b[i].total);
}

async function shot(page, name) {
  const file = path.join(outDir, `${current}-${name}.png`);
  await page.screenshot({path: file, fullPage: true});
  process.stdout.write(JSON.stringify({screenshot: file}) + "\n");
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.SPANPROF_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // No network here: background services would only fail to connect. playwright
    // gives the browser a new empty profile (user data dir) of its own.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    for (const one of cases) {
      current = one.case;
      expect = one.expect;
      const context = await browser.newContext({viewport: {width: 1500, height: 1000}});
      try {
        await checkPage(await context.newPage(), one.page);
      } catch (error) {
        check(false, "the checks ran to their end", error.stack || error);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
}

async function checkPage(page, pagePath) {
  const problems = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
  const dialogs = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  await page.goto("file://" + path.resolve(pagePath));
  const ready = await page.waitForFunction(() => document.body.dataset.ready === "1", null, {timeout: 15000})
    .then(() => true, () => false);
  check(ready, "the page renders (body data-ready)", problems.join("; ") || "no data-ready after 15 s");
  const text = await page.evaluate(() => document.body.innerText);
  await shot(page, "loaded");
  if (expect.emptyText) {
    for (const t of [].concat(expect.emptyText)) {
      check(text.includes(t), `the page says "${t}"`, "page text: " + text.slice(0, 600));
    }
  }
  if (expect.title !== undefined) {
    const title = await page.evaluate(() => document.getElementById("title").textContent);
    check(title === expect.title, "the header shows the command as written", `title ${JSON.stringify(title)}`);
  }
  for (const name of expect.spanNames || []) {
    const shown = await page.$$eval("tr.span-name", (rows, n) => rows.some((r) => r.dataset.name === n), name);
    check(shown, `the span table lists ${name}`, "rows: " + text.slice(0, 300));
  }
  const functions = await page.$$eval("#functions tr[data-function]", (rows) => rows.map((r) => r.dataset.function));
  for (const fn of expect.hottest || []) {
    check(functions.includes(fn), `the top functions list ${fn} (summary.json's hottest)`,
          "listed: " + functions.slice(0, 15).join(", "));
  }
  const whole = await drawn(page);
  if (expect.frames !== undefined) {
    check(whole.length >= expect.frames, `the flame graph drew frames (${whole.length})`, "drawn: " + whole.length);
  }
  if (expect.rootTotal !== undefined) {
    const root = whole.length ? whole[0].total : 0;
    check(root === expect.rootTotal, `the whole-capture graph holds summary.json's weight (${expect.rootTotal})`,
          `drawn root total ${root}`);
  }
  const hasTimeline = await page.$("#timeline-canvas") !== null;
  check(hasTimeline === !!expect.timeline, expect.timeline ? "the timeline is drawn" : "no timeline is drawn",
        "timeline canvas " + (hasTimeline ? "present" : "absent"));

  if (expect.interact) await interact(page, whole);
  if (expect.offCpu) await offCpu(page);
  check(dialogs.length === 0, "no script ran from the data (no dialogs)", dialogs.join("; "));
  check(requests.length === 0, "the page makes no network request", requests.join(" "));
  check(problems.length === 0, "no console error or page error", problems.join("; "));
}

// Choose a span name, zoom, search, select a time range and a single span.
async function interact(page, whole) {
  const name = expect.spanNames[0];
  await page.click(`tr.span-name[data-name="${name}"] a.name-link`);
  const byName = await drawn(page);
  check(!sameDrawing(byName, whole), `choosing the span name ${name} changes the flame graph`,
        `${byName.length} frames, as before`);
  const hottest = await page.evaluate((n) => {
    const app = window.spanprofView.app;
    const d = app.data;
    const fns = d.functionTable(d.aggregate({type: "name", name: d.names.indexOf(n)}, d.kindMask("cpu")));
    return fns.length ? fns[0].name : null;
  }, name);
  check(hottest && names(byName).has(hottest), `the name's hottest function (${hottest}) is drawn`,
        [...names(byName)].slice(0, 20).join(", "));
  const caption = await page.textContent("#flame-caption");
  check(caption.includes(name), "the flame graph's caption names the span", caption);
  if (expect.nameTotals && expect.nameTotals[name] !== undefined) {
    const root = byName.length ? byName[0].total : 0;
    check(root === expect.nameTotals[name],
          `the ${name} graph holds summary.json's spans.by_name total (${expect.nameTotals[name]})`,
          `drawn root total ${root}`);
  }
  await shot(page, "span-name");

  // Zoom: click the widest frame below the root, that is not the root's only child.
  const target = byName.filter((f) => f.depth >= 1 && f.w < byName[0].w - 1).sort((a, b) => b.w - a.w)[0] ||
                 byName.filter((f) => f.depth >= 2).sort((a, b) => b.w - a.w)[0];
  if (check(target, "a frame to zoom into", "only " + byName.length + " frames")) {
    const box = await (await page.$("#flame-canvas")).boundingBox();
    await page.mouse.move(box.x + target.x + target.w / 2, box.y + target.y + target.h / 2);
    const tip = await page.textContent("#tooltip");
    check(tip.includes(target.name) && /total: /.test(tip) && /self: /.test(tip),
          "hovering a frame shows its function, self and total", tip);
    await page.mouse.click(box.x + target.x + target.w / 2, box.y + target.y + target.h / 2);
    const zoomed = await drawn(page);
    const now = zoomed.find((f) => f.name === target.name && f.depth === target.depth);
    check(now && now.w > target.w + 1 && Math.abs(now.w - zoomed[0].w) < 1,
          `clicking ${target.name} zooms it to the full width`, now ? `width ${now.w} of ${zoomed[0].w}` : "gone");
    await shot(page, "zoomed");
    await page.click("#zoom-reset");
    check(sameDrawing(await drawn(page), byName), "reset zoom draws the name's graph again", "differs");
  }

  // Search: the hottest function, highlighted, with its matched share.
  await page.fill("#search", hottest);
  const searched = await drawn(page);
  const matched = searched.filter((f) => f.match);
  check(matched.length > 0 && matched.every((f) => f.name.toLowerCase().includes(hottest.toLowerCase())),
        `searching ${hottest} highlights its frames`, `${matched.length} matched`);
  const share = await page.textContent("#search-result");
  check(/matched [\d.<]+%/.test(share), "the search says the matched share", share);
  await shot(page, "search");
  await page.fill("#search", "");

  // A single span from the slowest list.
  await page.click(`tr.span-name[data-name="${name}"] button.expand`);
  const link = await page.$("a.span-link");
  if (check(link, "the name lists its slowest spans", "no span link")) {
    const before = await drawn(page);
    await link.click();
    const one = await drawn(page);
    const cap = await page.textContent("#flame-caption");
    check(cap.includes("one span") && !sameDrawing(one, before),
          "clicking a slowest span shows that span's flame graph", cap);
    check(one.length === 0 || one[0].total <= before[0].total,
          "one span holds no more than all spans of its name", `${one[0] && one[0].total} > ${before[0] && before[0].total}`);
  }

  // A span bar of the timeline: its span's flame graph.
  const bars = await page.evaluate(() => window.spanprofView.timelineBars || []);
  const bar = bars.filter((x) => x.w >= 6).sort((x, y) => y.w - x.w)[0];
  if (check(bar, "the timeline draws span bars", `${bars.length} bars`)) {
    await page.evaluate(() => document.getElementById("timeline-canvas").scrollIntoView({block: "center"}));
    const tb = await (await page.$("#timeline-canvas")).boundingBox();
    await page.mouse.click(tb.x + bar.x + bar.w / 2, tb.y + bar.y + bar.h / 2);
    const cap = await page.textContent("#flame-caption");
    check(cap.includes("one span: " + bar.name), `clicking a ${bar.name} bar shows that span's flame graph`, cap);
  }

  // A time range: drag over the middle third of the timeline.
  await page.click("#reset-selection");
  const all = await drawn(page);
  // In the middle of the window: the sticky controls bar covers the top.
  await page.evaluate(() => document.getElementById("timeline-canvas").scrollIntoView({block: "center"}));
  const b = await (await page.$("#timeline-canvas")).boundingBox();
  const left = b.x + 170 + (b.width - 178) * 0.40;
  const right = b.x + 170 + (b.width - 178) * 0.55;
  await page.mouse.move(left, b.y + 8);
  await page.mouse.down();
  await page.mouse.move((left + right) / 2, b.y + 8, {steps: 4});
  await page.mouse.move(right, b.y + 8, {steps: 4});
  await page.mouse.up();
  const ranged = await drawn(page);
  const rangeCap = await page.textContent("#flame-caption");
  check(rangeCap.includes("time ") && ranged.length > 0 && ranged[0].total < all[0].total,
        "a timeline range selection shows a smaller flame graph of that range",
        `${rangeCap}; ${ranged[0] && ranged[0].total} of ${all[0] && all[0].total}`);
  await shot(page, "range");
  // With Shift: the same range on the first lane's thread only.
  await page.keyboard.down("Shift");
  await page.mouse.move(left, b.y + 30);
  await page.mouse.down();
  await page.mouse.move(right, b.y + 30, {steps: 4});
  await page.mouse.up();
  await page.keyboard.up("Shift");
  const laned = await drawn(page);
  const laneCap = await page.textContent("#flame-caption");
  check(laneCap.includes(" on ") && laned.length > 0 && laned[0].total <= ranged[0].total,
        "a Shift range selection keeps one thread's samples of that range",
        `${laneCap}; ${laned[0] && laned[0].total} of ${ranged[0] && ranged[0].total}`);

  // Sorting and filtering the span table.
  await page.click('table.spans th[data-key="name"]');
  const sortedNames = await page.$$eval("tr.span-name", (rows) => rows.map((r) => r.dataset.name));
  const expected = [...sortedNames].sort((x, y) => x.localeCompare(y));
  check(JSON.stringify(sortedNames) === JSON.stringify(expected), "sorting by name orders the rows", sortedNames.join(", "));
  await page.fill("#span-filter", name);
  const filtered = await page.$$eval("tr.span-name", (rows) => rows.map((r) => r.dataset.name));
  check(filtered.length >= 1 && filtered.every((n) => n.includes(name)), `filtering by ${name} keeps only matching names`,
        filtered.join(", "));
  await page.fill("#span-filter", "");
}

// The off-CPU metric draws something else than CPU, with its states.
async function offCpu(page) {
  // Back to the whole capture (the button is disabled when it is shown already).
  if (await page.isEnabled("#reset-selection")) await page.click("#reset-selection");
  const cpu = await drawn(page);
  const options = await page.$$eval("#metric option", (o) => o.map((x) => x.value));
  check(options.includes("off") && options.includes("wall"), "the metric selector offers off-CPU and wall",
        options.join(", "));
  await page.selectOption("#metric", "off");
  const off = await drawn(page);
  check(off.length > 0 && !sameDrawing(off, cpu), "the off-CPU metric draws another flame graph", `${off.length} frames`);
  for (const fn of expect.offCpuFunctions || []) {
    check(off.some((f) => f.name === fn), `off-CPU shows ${fn}`, [...names(off)].slice(0, 30).join(", "));
  }
  await shot(page, "off-cpu");
  await page.selectOption("#metric", "wall");
  const wall = await drawn(page);
  check(wall.length > 0 && wall[0].total >= Math.max(cpu[0] ? cpu[0].total : 0, off[0].total),
        "wall holds CPU and off-CPU", `${wall[0] && wall[0].total}`);
  await page.selectOption("#metric", "cpu");
}

main().catch((error) => {
  check(false, "the browser check ran", error.stack || error);
  process.exitCode = 1;
});
