// Browser test of the profile viewer (tools/output/viewer.js) in real headless Chromium, driven
// by playwright-core. Every figure the page shows is checked against one computed here,
// independently, from the inputs: the folded text of a real dump, or the JSON of a profile
// with per-sample times.
// Usage: node viewer.test.mjs NODE_DIR SHOTS_DIR REAL_HTML CPU.folded WALL.folded ALLOC.folded
//                              TIMED_HTML TIMED_JSON DIFF_HTML HOSTILE_HTML
//                              [INFLAME DUMP HTML_PAGE HTML_DIFF_PAGE]
// With the last four, the pages `inflame html` made of DUMP and of a differential folded file
// are checked too: ranges and threads against `inflame collapse --from --to --tid` on the same
// dump, and the differential page's colours.
import { createRequire } from "node:module";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nodeDir, shots, realHtml, cpuFolded, wallFolded, allocFolded, timedHtml, timedJson, diffHtml,
	hostileHtml, inflame, dump, htmlPage, htmlDiff, ...widePages] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeDir), "node_modules", "x.js"));
const { chromium } = require("playwright-core");
fs.mkdirSync(shots, { recursive: true });

let failures = 0;
function check(cond, what, detail) {
	if (cond) console.log("ok: " + what);
	else {
		console.log("FAIL: " + what + (detail !== undefined ? " (" + detail + ")" : ""));
		failures++;
	}
}
const near = (a, b, eps = 1e-9) => Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));

// ---- independent figures ----
function foldedLines(file) {
	return fs.readFileSync(file, "utf8").split("\n").filter((l) => l).map((l) => {
		const i = l.lastIndexOf(" ");
		return { frames: l.slice(0, i).split(";"), count: Number(l.slice(i + 1)) };
	});
}
const foldedTotal = (lines) => lines.reduce((s, l) => s + l.count, 0);
const foldedMatch = (lines, re) => lines.reduce((s, l) => s + (l.frames.some((f) => re.test(f)) ? l.count : 0), 0);

const J = fs.existsSync(timedJson) ? JSON.parse(fs.readFileSync(timedJson, "utf8")) : null;
function jsonSamples(viewName) {
	const v = J.views.find((x) => x.name === viewName);
	const s = v.samples;
	let t = 0;
	return s.node.map((n, i) => { t += s.time[i]; return { n, w: s.weight[i], t, th: s.thread[i], freed: s.freed ? s.freed[i] : -1 }; });
}
function jsonStackNames(n) {
	const out = [];
	for (; n > 0; n = J.nodes.parent[n]) out.push(J.strings[J.frames.name[J.nodes.frame[n]]]);
	return out.reverse();
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "inflame-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
	executablePath: process.env.INFLAME_CHROMIUM || "/usr/bin/chromium",
	headless: true,
	viewport: { width: 1280, height: 1000 },
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let page;
const errors = [];
const shot = async (name) => page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
const total = async () => Number(await page.locator("#ifl-status").getAttribute("data-total"));
const text = async (sel) => (await page.locator(sel).textContent()).trim();

async function open(file) {
	await page.goto(pathToFileURL(path.resolve(file)).href);
	await page.waitForFunction(() => window.inflameViewer && window.inflameViewer.flame.painted);
	await page.waitForTimeout(50);
}
// The node of the flame graph reached by this path of names from the root (-1 if none).
async function nodeOf(names) {
	return page.evaluate((names) => {
		const a = window.inflameViewer, t = a.tree;
		let n = 0;
		for (const nm of names) {
			let next = -1;
			for (let c = n + 1; c < t.end[n]; c = t.end[c]) if (a.frameName(t.frame[c]) === nm) next = c;
			if (next < 0) return -1;
			n = next;
		}
		return n;
	}, names);
}
// Page coordinates of the centre of a drawn frame, scrolled into view.
async function framePoint(node, canvasId = "ifl-flame", which = "flame") {
	return page.evaluate(([node, canvasId, which]) => {
		const a = window.inflameViewer;
		const f = which === "flame" ? a.flame : which === "callers" ? a.sandCallers : a.sandCallees;
		const r = f.rectOf(node);
		if (!r) return null;
		// The canvas's part above the rows drawn is hidden (f.hidden pixels, clipped by its box).
		const cv = document.getElementById(canvasId), box = cv.parentElement;
		box.scrollIntoView({ block: "start" });
		if (box.scrollHeight > box.clientHeight) box.scrollTop = Math.max(0, r.y - f.hidden - 40);
		const b = cv.getBoundingClientRect();
		return { x: b.left + r.x + Math.min(r.w / 2, 20), y: b.top + r.y + r.h / 2, w: r.w, cssW: f.cssW };
	}, [node, canvasId, which]);
}
async function clickFrame(node) {
	const p = await framePoint(node);
	if (!p) return false;
	await page.mouse.click(p.x, p.y);
	return true;
}
async function pixel(node, canvasId = "ifl-flame") {
	const p = await framePoint(node, canvasId);
	return page.evaluate(([p, canvasId]) => {
		const cv = document.getElementById(canvasId), b = cv.getBoundingClientRect();
		const dpr = cv.width / b.width;
		const d = cv.getContext("2d").getImageData(Math.round((p.x - b.left) * dpr), Math.round((p.y - b.top - 5) * dpr), 1, 1).data;
		return [d[0], d[1], d[2]];
	}, [p, canvasId]);
}
async function search(q) {
	await page.locator("#ifl-search").fill(q);
	return Number(await page.locator("#ifl-matched").getAttribute("data-share"));
}

try {
	page = await browser.newPage();
	page.on("pageerror", (e) => errors.push(String(e)));
	await page.context().grantPermissions(["clipboard-read", "clipboard-write"]).catch(() => {});

	// ---- 1. a real dump with cpu, wall and alloc ----
	await open(realHtml);
	const cpu = foldedLines(cpuFolded), wall = foldedLines(wallFolded), alloc = foldedLines(allocFolded);
	check(await page.locator(".ifl-tab[data-view]").count() === 3, "a tab per view");
	check(await total() === foldedTotal(cpu), "cpu total is the dump's", await total() + " vs " + foldedTotal(cpu));
	check((await text("#ifl-status")).includes("samples") && (await text("#ifl-status")).includes(" s"),
		"cpu is shown in samples and seconds", await text("#ifl-status"));
	await shot("01-real-cpu");
	await page.locator(".ifl-tab[data-view=wall]").click();
	check(await total() === foldedTotal(wall), "wall tab total", await total() + " vs " + foldedTotal(wall));
	await page.locator(".ifl-tab[data-view=alloc]").click();
	check(await total() === foldedTotal(alloc), "alloc tab total", await total() + " vs " + foldedTotal(alloc));
	check(/iB|\bB\b/.test(await text("#ifl-status")), "alloc is shown in bytes", await text("#ifl-status"));
	await shot("02-real-alloc");
	await page.locator(".ifl-tab[data-view=cpu]").click();

	// Zoom into main's busiest child and reset.
	const mainPath = cpu[0].frames.slice(0, cpu[0].frames.indexOf("main") + 1);
	const hot = new Map();
	for (const l of cpu) if (l.frames.length > mainPath.length && l.frames.slice(0, mainPath.length).join(";") === mainPath.join(";"))
		hot.set(l.frames[mainPath.length], (hot.get(l.frames[mainPath.length]) || 0) + l.count);
	const [hotName, hotCount] = [...hot].sort((a, b) => b[1] - a[1])[0];
	const zn = await nodeOf([...mainPath, hotName]);
	check(zn > 0, "the frame to zoom is found", hotName);
	check(await clickFrame(zn), "the frame is drawn");
	const zp = await framePoint(zn);
	check(zp && Math.abs(zp.w - zp.cssW) < 0.01, "click zooms the frame to full width", zp && zp.w + " of " + zp.cssW);
	check((await text("#ifl-crumbs")).endsWith("> " + hotName), "the breadcrumb ends at the zoomed frame", await text("#ifl-crumbs"));
	check((await text("#ifl-details")).startsWith(hotName), "hover details name the frame", await text("#ifl-details"));
	check((await text("#ifl-details")).includes("total " + hotCount.toLocaleString("en-US") + " samples"),
		"details give the frame's total", await text("#ifl-details"));
	// Search within the zoom: share of the zoomed frame.
	const inZoom = cpu.filter((l) => l.frames.slice(0, mainPath.length + 1).join(";") === [...mainPath, hotName].join(";"));
	const share = await search("snprintf|memcpy|qsort|hash");
	const want = foldedMatch(inZoom, /snprintf|memcpy|qsort|hash/) / foldedTotal(inZoom);
	check(near(share, want), "search share within the zoom", share + " vs " + want);
	await shot("03-real-zoom-search");
	await page.locator("#ifl-reset").click();
	const zp2 = await framePoint(zn);
	check(zp2 && near(zp2.w, zp2.cssW * hotCount / foldedTotal(cpu), 1e-6), "reset restores the width", zp2 && zp2.w);
	const shareAll = await search("snprintf|memcpy|qsort|hash");
	const wantAll = foldedMatch(cpu, /snprintf|memcpy|qsort|hash/) / foldedTotal(cpu);
	check(near(shareAll, wantAll), "search share of the whole view (nested matches once)", shareAll + " vs " + wantAll);
	check((await text("#ifl-matched")).startsWith("Matched: " + (100 * wantAll).toFixed(1) + "%"), "matched share is shown", await text("#ifl-matched"));
	await page.keyboard.press("Escape"); // leaves the search box empty
	check(await text("#ifl-matched") === "", "Escape clears the search");

	// ---- 2. a profile with time and threads ----
	await open(timedHtml);
	const cs = jsonSamples("cpu");
	check(await total() === cs.length, "timed cpu total");
	check(await page.locator("#ifl-timeline").isVisible(), "the timeline is shown for a view with time");
	const lanes = await page.evaluate(() => window.inflameViewer.threads.length);
	check(lanes === 3, "a lane per thread, the exited one kept");
	// Drag from 1.0 s to 2.0 s (by pixels; the page's exact range is then read back).
	const geo = await page.evaluate(() => {
		const a = window.inflameViewer, cv = document.getElementById("ifl-timeline");
		cv.scrollIntoView();
		const b = cv.getBoundingClientRect();
		return { left: b.left + a.tlLeft, w: a.tlW, top: b.top + a.tlTop, laneH: a.laneH, span: a.span() };
	});
	const xOf = (t) => geo.left + t / geo.span * geo.w;
	await page.mouse.move(xOf(1.0e9), geo.top + 5);
	await page.mouse.down();
	await page.mouse.move(xOf(1.5e9), geo.top + 6, { steps: 3 });
	await page.mouse.move(xOf(2.0e9), geo.top + 6, { steps: 3 });
	await page.mouse.up();
	const range = await page.evaluate(() => window.inflameViewer.range);
	check(range && Math.abs(range[0] - 1e9) < 0.02e9 && Math.abs(range[1] - 2e9) < 0.02e9, "the drag selects about 1 s to 2 s", JSON.stringify(range));
	const inRange = cs.filter((s) => s.t >= range[0] && s.t < range[1]);
	check(await total() === inRange.length, "flame graph total equals the samples in the range",
		await total() + " vs " + inRange.length);
	check((await text("#ifl-selection")).includes("time 1."), "the selection is described", await text("#ifl-selection"));
	await shot("04-timed-range");
	// One thread: click the worker's lane (keeps the range).
	const worker = J.threads.findIndex((t) => J.strings[t.name] === "worker");
	await page.mouse.click(geo.left - 50, geo.top + worker * geo.laneH + geo.laneH / 2);
	const wIn = inRange.filter((s) => s.th === worker).length;
	check(await total() === wIn, "one thread in the range", await total() + " vs " + wIn);
	check((await text("#ifl-selection")).includes("worker 101"), "the thread is named in the selection", await text("#ifl-selection"));
	await shot("05-timed-thread");
	await page.locator("#ifl-clear-selection").click();
	await page.mouse.click(geo.left - 50, geo.top + worker * geo.laneH + geo.laneH / 2);
	check(await total() === cs.filter((s) => s.th === worker).length, "one thread over the whole run");
	await page.locator("#ifl-clear-selection").click();
	check(await total() === cs.length, "clearing the selection shows everything");

	// Heat map: drag from the cell of 0.5 s to the one of 0.58 s selects [0.5 s, 0.6 s).
	const hg = await page.evaluate(() => {
		const a = window.inflameViewer, cv = document.getElementById("ifl-heat");
		const b = cv.getBoundingClientRect();
		return { left: b.left + a.heatLeft, top: b.top, cw: a.heatCellW, ch: a.heatCellH };
	});
	await page.mouse.move(hg.left + hg.cw / 2, hg.top + 25 * hg.ch + 1);
	await page.mouse.down();
	await page.mouse.move(hg.left + hg.cw / 2, hg.top + 29 * hg.ch + 1, { steps: 2 });
	await page.mouse.up();
	const hr = await page.evaluate(() => window.inflameViewer.range);
	check(hr && near(hr[0], 0.5e9) && near(hr[1], 0.6e9), "a heat map drag selects its slices", JSON.stringify(hr));
	check(await total() === cs.filter((s) => s.t >= 0.5e9 && s.t < 0.6e9).length, "heat map range total");
	await shot("06-timed-heatmap");
	await page.locator("#ifl-clear-selection").click();

	// Alloc view: the live heap, allocations in a range, and what of them is still live.
	await page.locator(".ifl-tab[data-view=alloc]").click();
	const as = jsonSamples("alloc");
	check(await total() === as.reduce((s, a) => s + a.w, 0), "alloc total in bytes");
	let live = 0, peak = 0;
	const ev = [];
	for (const a of as) { ev.push([a.t, a.w]); if (a.freed >= 0) ev.push([a.freed, -a.w]); }
	ev.sort((x, y) => x[0] - y[0] || y[1] - x[1]);
	for (const [, w] of ev) { live += w; if (live > peak) peak = live; }
	const pagePeak = await page.evaluate(() => window.inflameViewer.heapPeak);
	check(pagePeak === peak, "the live heap's peak", pagePeak + " vs " + peak);
	await page.evaluate(() => document.getElementById("ifl-timeline").scrollIntoView());
	const g2 = await page.evaluate(() => {
		const a = window.inflameViewer, b = document.getElementById("ifl-timeline").getBoundingClientRect();
		return { left: b.left + a.tlLeft, w: a.tlW, top: b.top + a.tlTop, span: a.span() };
	});
	await page.mouse.move(g2.left + 0.2 * g2.w, g2.top + 5);
	await page.mouse.down();
	await page.mouse.move(g2.left + 0.5 * g2.w, g2.top + 5, { steps: 3 });
	await page.mouse.up();
	const ar = await page.evaluate(() => window.inflameViewer.range);
	const aIn = as.filter((a) => a.t >= ar[0] && a.t < ar[1]);
	check(await total() === aIn.reduce((s, a) => s + a.w, 0), "bytes allocated in the range");
	await page.locator("#ifl-live").check();
	const aLive = aIn.filter((a) => a.freed < 0 || a.freed >= ar[1]);
	check(await total() === aLive.reduce((s, a) => s + a.w, 0), "of those, the bytes still live at the range's end",
		await total() + " vs " + aLive.reduce((s, a) => s + a.w, 0));
	check(aLive.length < aIn.length, "some of them were freed (the check can tell)");
	await shot("07-timed-alloc-live");
	await page.locator("#ifl-live").uncheck();
	await page.locator("#ifl-clear-selection").click();
	await page.locator(".ifl-tab[data-view=cpu]").click();

	// Tables: top-down rows with self and total, expandable and sortable; bottom-up.
	await page.locator(".ifl-pane-tab[data-pane=topdown]").click();
	const rowTotal = async (name) => Number(await page.locator("#ifl-table tr.ifl-row[data-name=\"" + name + "\"]").first().getAttribute("data-total"));
	const clone = cs.filter((s) => jsonStackNames(s.n)[0] === "clone3").length;
	check(await rowTotal("clone3") === clone, "top-down total of a root", await rowTotal("clone3") + " vs " + clone);
	await page.locator("#ifl-table tr.ifl-row[data-name=clone3] .ifl-tog").click();
	const wm = cs.filter((s) => jsonStackNames(s.n).includes("worker_main")).length;
	check(await rowTotal("worker_main") === wm, "an expanded child's total");
	await page.locator("#ifl-table th[data-sort=name]").click();
	const firstRow = await page.locator("#ifl-table tr.ifl-row").first().getAttribute("data-name");
	// (the first root by name: "_start", or the kernel pseudo-frame "[kernel, caller unknown]"
	// when the demo's cpu samples found system time behind them: "[" sorts before "_")
	const firstRoot = [...new Set(cs.map((s) => jsonStackNames(s.n)[0]))].sort()[0];
	check(firstRow === firstRoot && (firstRow === "_start" || firstRow === "[kernel, caller unknown]"),
		"sorted by name", firstRow + " vs " + firstRoot);
	await shot("08-topdown");
	await page.locator("#ifl-table tr.ifl-row[data-name=clone3] .ifl-tog").click();
	check(await page.locator("#ifl-table tr.ifl-row[data-name=worker_main]").count() === 1, "expanded again after sorting");
	await page.locator("#ifl-table tr.ifl-row[data-name=worker_main] .ifl-tog").click();
	check(await page.locator("#ifl-table tr.ifl-row[data-name=hash_buffer]").count() === 1, "a second level opens");
	await page.locator("#ifl-table tr.ifl-row[data-name=clone3] .ifl-tog").click();
	check(await page.locator("#ifl-table tr.ifl-row[data-name=worker_main], #ifl-table tr.ifl-row[data-name=hash_buffer]").count() === 0,
		"collapsing removes the children and theirs");
	await page.locator(".ifl-pane-tab[data-pane=bottomup]").click();
	await page.locator("#ifl-table th[data-sort=total]").click();
	const mix = cs.filter((s) => { const st = jsonStackNames(s.n); return st[st.length - 1] === "mix_bits"; }).length;
	check(await rowTotal("mix_bits") === mix, "bottom-up: a leaf's self weight", await rowTotal("mix_bits") + " vs " + mix);
	await page.locator("#ifl-table tr.ifl-row[data-name=hash_buffer] .ifl-tog").click();
	const hbSelf = cs.filter((s) => { const st = jsonStackNames(s.n); return st[st.length - 1] === "hash_buffer"; }).length;
	check(await rowTotal("worker_main") === hbSelf, "bottom-up: the callers of a leaf", await rowTotal("worker_main") + " vs " + hbSelf);
	await shot("09-bottomup");

	// Sandwich of hash_buffer: callers and callees merged, its total.
	await page.locator(".ifl-pane-tab[data-pane=flame]").click();
	const hb = await nodeOf(["clone3", "worker_main", "hash_buffer"]);
	await clickFrame(hb);
	await page.keyboard.press("s");
	const hbTotal = cs.filter((s) => jsonStackNames(s.n).includes("hash_buffer")).length;
	check(Number(await page.locator("#ifl-sandwich-title").getAttribute("data-total")) === hbTotal, "sandwich total", await text("#ifl-sandwich-title"));
	check(await page.evaluate(() => window.inflameViewer.sandCallees.tree.n) === 3, "callees: the function and mix_bits");
	check(await page.evaluate(() => window.inflameViewer.sandCallers.tree.n) === 4, "callers: the function, worker_main, clone3");
	await shot("10-sandwich");
	await page.locator(".ifl-pane-tab[data-pane=flame]").click();

	// Keyboard: arrows move the focus, copy the stack, help overlay, Esc resets the zoom.
	await page.keyboard.press("ArrowUp");
	const focused = await page.evaluate(() => window.inflameViewer.flame.focus);
	const mb = await nodeOf(["clone3", "worker_main", "hash_buffer", "mix_bits"]);
	check(focused === mb, "ArrowUp moves to the child (flame orientation)", focused + " vs " + mb);
	await page.keyboard.press("ArrowDown");
	check(await page.evaluate(() => window.inflameViewer.flame.focus) === hb, "ArrowDown back to the parent");
	await page.keyboard.press("c");
	check(await page.evaluate(() => window.inflameViewer.lastCopied) === "hash_buffer\nworker_main\nclone3", "copy stack, leaf first");
	await page.keyboard.press("?");
	check(await page.locator("#ifl-help").isVisible(), "? shows the help");
	await shot("11-help");
	await page.keyboard.press("Escape");
	check(!(await page.locator("#ifl-help").isVisible()), "Esc hides the help");
	await page.keyboard.press("Escape");
	check(await page.evaluate(() => window.inflameViewer.flame.zoom) === 0, "Esc resets the zoom");
	await page.keyboard.press("/");
	await page.keyboard.type("hash");
	const ks = Number(await page.locator("#ifl-matched").getAttribute("data-share"));
	check(near(ks, hbTotal / cs.length), "/ starts a search", ks);
	await page.keyboard.press("Enter");
	check(await page.evaluate(() => window.inflameViewer.flame.focus) === hb, "Enter in the search goes to the first match");
	// Zoomed under a match (worker_main), a search for it and mix_bits counts mix_bits only.
	await page.locator("#ifl-search").fill("");
	await clickFrame(hb);
	const under = await search("worker_main|mix_bits");
	check(near(under, mix / hbTotal), "search share when zoomed below a matching frame", under + " vs " + mix / hbTotal);
	await page.locator("#ifl-reset").click();

	// Hostile names: nothing ran, and the names are shown as text.
	check(await page.evaluate(() => window.pwned) === undefined, "names with markup run no script");
	check(await page.locator("#ifl-app img, #inflame img").count() === 0, "names with markup make no elements");
	await page.locator("#ifl-search").fill("");
	await page.keyboard.press("Escape");
	const evil = await nodeOf(["_start", "main", "</script><script>window.pwned=1</script>"]);
	check(evil > 0, "the hostile frame is in the tree");
	const ep = await framePoint(evil);
	await page.mouse.move(ep.x, ep.y);
	check((await text("#ifl-details")).startsWith("</script><script>window.pwned=1</script>  [<b>mod</b>]"),
		"a hostile name is shown as text", await text("#ifl-details"));
	check((await page.title()).startsWith("inflame: test <profile>"), "the title is text", await page.title());

	// ---- 3. a differential page ----
	await open(diffHtml);
	const grows = await nodeOf(["main", "grows"]), shrinks = await nodeOf(["main", "shrinks"]), same = await nodeOf(["main", "same"]);
	const pg = await pixel(grows), ps = await pixel(shrinks), pz = await pixel(same);
	check(pg[0] === 255 && pg[1] < 100 && pg[2] < 100, "a grown function is red", pg);
	check(ps[2] === 255 && ps[0] < 100, "a shrunk function is blue", ps);
	check(pz[0] === 255 && pz[1] === 255 && pz[2] === 255, "an unchanged one is white", pz);
	await page.mouse.move((await framePoint(grows)).x, (await framePoint(grows)).y);
	check((await text("#ifl-details")).includes("base 10 samples  delta +20.00%"), "hover shows base and delta", await text("#ifl-details"));
	await page.locator(".ifl-pane-tab[data-pane=topdown]").click();
	await page.locator("#ifl-table tr.ifl-row[data-name=main] .ifl-tog").click();
	const growsRow = await page.locator("#ifl-table tr.ifl-row[data-name=grows] td").allTextContents();
	check(growsRow.includes("10 samples") && growsRow.includes("+20.00%"), "tables give both counts and the delta", growsRow.join("|"));
	await page.locator(".ifl-pane-tab[data-pane=flame]").click();
	await shot("12-diff");

	// ---- 4. a hostile folded file ----
	await open(hostileHtml);
	check(await page.evaluate(() => window.pwned) === undefined, "a hostile folded file runs no script");
	check(await page.locator("script").count() === 2, "it adds no script element");
	await shot("13-hostile");

	// ---- 5. the page `inflame html` writes of the real dump ----
	if (htmlPage) {
		// collapse exits 1 with "no ... samples" when a range or thread holds none: a total of 0.
		const collapse = (...args) => {
			const r = spawnSync(inflame, ["collapse", ...args, dump], { encoding: "utf8" });
			if (r.status === 1 && / no .*samples /.test(r.stderr)) return 0;
			if (r.status !== 0) throw new Error("inflame collapse " + args.join(" ") + ": " + r.stderr);
			return foldedTotal(r.stdout.split("\n").filter((l) => l)
				.map((l) => ({ count: Number(l.slice(l.lastIndexOf(" ") + 1)) })));
		};
		await open(htmlPage);
		// The preview, drawn before the page's data were read: every frame it drew is the
		// frame of the same path in the full viewer's first view, with the same total, and it
		// drew as many as the full tree has frames that wide at its width.
		const pv = await page.evaluate(() => {
			const p = window.inflamePreview, a = window.inflameViewer, f = a.flame;
			if (!p || !window.inflameTimings.preview) return "no preview";
			if (a.viewIndex !== 0) return "the viewer opened on view " + a.viewIndex;
			const pathOf = (fl, n) => { const o = []; for (let x = n; x > 0; x = fl.tree.parent[x]) o.push(fl.name(x)); return o.reverse().join(";"); };
			const full = new Map();
			let wide = 0;
			for (let n = 1; n < a.tree.n; n++) {
				full.set(pathOf(f, n), f.total[n]);
				if (f.total[n] / f.total[0] * p.cssW >= 0.5) wide++;
			}
			if (p.total[0] !== f.total[0]) return "root total " + p.total[0] + " vs " + f.total[0];
			for (let i = 0; i < p.drawn.n; i++) {
				const n = p.drawn.node[i], path = pathOf(p, n);
				if (full.get(path) !== p.total[n]) return path + ": " + p.total[n] + " vs " + full.get(path);
			}
			return p.drawn.n === wide && wide > 0 ? "ok " + wide : "drew " + p.drawn.n + " frames, the full tree has " + wide;
		});
		check(pv.startsWith("ok"), "inflame html: the preview draws the first view's frames, paths and totals", pv);
		// Searches on a depth-first tree (inflame html's) go by subtree ranges: the matched
		// share is collapse's, nested matches once, with few candidates (sorted) and many
		// (one pass), over the whole view and within a zoom.
		await page.locator(".ifl-tab[data-view=cpu]").click();
		await page.waitForFunction(() => window.inflameViewer.tree.byName);
		check(await page.evaluate(() => { const a = window.inflameViewer; return !!(a.tree.byName && a.data.nodes.depth && a.tree.remap === null); }),
			"inflame html: the tree is depth first");
		for (const q of ["snprintf|memcpy|qsort|hash", "main", ".", "^_?_?libc|clone"]) {
			const got = await search(q), want = foldedMatch(cpu, new RegExp(q)) / foldedTotal(cpu);
			check(near(got, want), "inflame html: search share of /" + q + "/", got + " vs " + want);
		}
		await page.locator("#ifl-search").fill("");
		const hz = await nodeOf([...mainPath, hotName]);
		if (hz > 0 && await clickFrame(hz)) {
			const got = await search("snprintf|memcpy|qsort|hash");
			check(near(got, want), "inflame html: search share within a zoom", got + " vs " + want);
			await page.locator("#ifl-search").fill("");
			await page.locator("#ifl-reset").click();
		} else check(false, "inflame html: the zoomed frame is drawn");
		// A view's totals from its stacks' running sums (before every node's total is made)
		// and from the array per node agree: searches (whole and zoomed), totals and selves.
		const sums = await page.evaluate(() => {
			const a = window.inflameViewer, f = a.flame, box = document.getElementById("ifl-search");
			const probe = () => {
				const out = [];
				for (const q of ["snprintf|memcpy|qsort|hash", "main", ".", "^_?_?libc|clone"]) {
					box.value = q; box.dispatchEvent(new Event("input"));
					out.push(f.matchSum + "/" + f.matchNodes.length);
				}
				f.zoomTo(f.widestChild(f.widestChild(0)));
				box.value = "."; box.dispatchEvent(new Event("input"));
				out.push(f.matchSum);
				box.value = ""; box.dispatchEvent(new Event("input"));
				f.zoomTo(0);
				for (let n = 0; n < a.tree.n; n++) out.push(f.totalAt(n) + ":" + f.selfOf(n));
				return out.join(" ");
			};
			const w = f.weights;
			f.set(a.tree, w[0], null, w[1]);
			if (f.arr) return "the totals per node were made at once";
			const bySums = probe();
			void f.total;
			const byArray = probe();
			return bySums === byArray ? "same" : bySums.slice(0, 300) + " vs " + byArray.slice(0, 300);
		});
		check(sums === "same", "inflame html: totals from the stacks' running sums are the totals per node", sums);
		// The tree is indexed in slices after the page is ready (subtree sizes, totals per node,
		// index by name): searches, zooms and paints made between the slices, at every stage,
		// give what they give once all is made.
		const staged = await page.evaluate(() => new Promise((res) => {
			const a = window.inflameViewer, f = a.flame, t = a.tree, box = document.getElementById("ifl-search");
			const probe = () => {
				const out = [];
				for (const q of ["snprintf|memcpy|qsort|hash", "main", ".", "^_?_?libc|clone"]) {
					box.value = q; box.dispatchEvent(new Event("input"));
					out.push(f.matchSum + "/" + [...f.matchNodes].sort((x, y) => x - y).join(","));
				}
				f.zoomTo(f.widestChild(f.widestChild(0)));
				box.value = "main"; box.dispatchEvent(new Event("input"));
				out.push(f.matchSum + "/" + f.matchNodes.length);
				const dr = f.drawn;
				for (let i = 0; i < dr.n; i++) out.push(dr.node[i] + "@" + dr.x[i].toFixed(3) + "+" + dr.w[i].toFixed(3));
				box.value = ""; box.dispatchEvent(new Event("input"));
				f.zoomTo(0);
				for (let n = 0; n < t.n; n++) out.push(t.endOf(n) + ":" + f.totalAt(n) + ":" + f.selfOf(n));
				return out.join(" ");
			};
			const w = f.weights;
			t.size = null; t.byName = null; a.indexed = 0;
			f.set(t, w[0], null, w[1]);
			const got = [], stages = new Set();
			a.indexInBackground();
			const poll = () => {
				const stage = (t.size ? "s" : "-") + (f.arr ? "t" : "-") + (t.byName ? "n" : "-");
				stages.add(stage);
				got.push(probe());
				if (!a.indexed) { setTimeout(poll, 0); return; }
				let endsOk = true;
				const end = t.end;
				for (let n = 0; n < t.n; n++) if (t.endOf(n) !== end[n]) endsOk = false;
				const last = got[got.length - 1], bad = got.findIndex((x) => x !== last);
				res([...stages].join(",") + (endsOk ? "" : " ends differ") + (bad >= 0 ? " probe " + bad + " differs" : ""));
			};
			poll();
		}));
		check(staged === "---,s--,st-,stn", "inflame html: searches, zooms and totals between the slices of the tree's indexing equal those after it", staged);
		for (const v of ["cpu", "wall", "alloc"]) {
			await page.locator(".ifl-tab[data-view=" + v + "]").click();
			const want = collapse("--event", v);
			check(await total() === want, "inflame html: " + v + " total is collapse's", await total() + " vs " + want);
		}
		await page.locator(".ifl-tab[data-view=cpu]").click();
		const firstStack = execFileSync(inflame, ["collapse", "--event", "cpu", dump], { encoding: "utf8" }).split("\n")[0];
		const fsFrames = firstStack.slice(0, firstStack.lastIndexOf(" ")).split(";");
		check(await nodeOf(fsFrames) > 0, "inflame html: a stack of collapse's is in the tree, root to leaf", firstStack);
		check(await page.locator("#ifl-timeline").isVisible(), "inflame html: the timeline is shown");
		const geometry = () => page.evaluate(() => {
			const a = window.inflameViewer, cv = document.getElementById("ifl-timeline");
			cv.scrollIntoView();
			const b = cv.getBoundingClientRect();
			return { left: b.left + a.tlLeft, w: a.tlW, top: b.top + a.tlTop, laneH: a.laneH,
				threads: a.threads.map((t) => ({ tid: t.tid, name: a.names[t.name] })) };
		});
		let g = await geometry();
		await page.mouse.move(g.left + 0.3 * g.w, g.top + 3);
		await page.mouse.down();
		await page.mouse.move(g.left + 0.7 * g.w, g.top + 3, { steps: 4 });
		await page.mouse.up();
		const r = await page.evaluate(() => window.inflameViewer.range);
		const from = (r[0] / 1e9).toFixed(9), to = (r[1] / 1e9).toFixed(9);
		const inR = collapse("--event", "cpu", "--from", from, "--to", to);
		check(await total() === inR && inR > 0, "inflame html: a range's total is collapse --from --to's", await total() + " vs " + inR + " in " + from + ".." + to);
		await shot("14-html-range");
		const busy = g.threads.findIndex((t) => t.name === "hasher");
		check(busy >= 0, "inflame html: the hasher thread has a lane", JSON.stringify(g.threads));
		g = await geometry();
		await page.mouse.click(g.left - 50, g.top + busy * g.laneH + g.laneH / 2);
		check((await text("#ifl-selection")).includes("threads hasher " + g.threads[busy].tid), "inflame html: the lane click selects the hasher",
			await text("#ifl-selection"));
		const inT = collapse("--event", "cpu", "--from", from, "--to", to, "--tid=" + g.threads[busy].tid);
		check(await total() === inT && inT > 0, "inflame html: one thread in the range is collapse --tid's", await total() + " vs " + inT);
		await shot("15-html-thread");
		await page.locator("#ifl-clear-selection").click();
		await page.locator(".ifl-tab[data-view=alloc]").click();
		g = await geometry();
		await page.mouse.move(g.left + 0.2 * g.w, g.top + 3);
		await page.mouse.down();
		await page.mouse.move(g.left + 0.6 * g.w, g.top + 3, { steps: 4 });
		await page.mouse.up();
		const ra = await page.evaluate(() => window.inflameViewer.range);
		check(ra !== null, "inflame html: a range on the alloc view");
		const af = (ra[0] / 1e9).toFixed(9), at = (ra[1] / 1e9).toFixed(9);
		const aIn = collapse("--event", "alloc", "--from", af, "--to", at);
		check(await total() === aIn, "inflame html: bytes allocated in a range", await total() + " vs " + aIn);
		await page.locator("#ifl-live").check();
		const aLive = collapse("--event", "live", "--from", af, "--to", at);
		check(await total() === aLive, "inflame html: of those, still live at its end (collapse --event live)", await total() + " vs " + aLive);
		await shot("16-html-alloc");

		await open(htmlDiff);
		const gr = await nodeOf(["main", "grows"]), sh = await nodeOf(["main", "shrinks"]);
		check(gr > 0 && sh > 0, "inflame html: the diff page's tree holds main;grows and main;shrinks",
			await page.evaluate(() => JSON.stringify(window.inflameViewer.data.nodes)));
		if (gr > 0 && sh > 0) {
			const cg = await pixel(gr), csh = await pixel(sh);
			check(cg[0] === 255 && cg[1] < 100 && cg[2] < 100, "inflame html: a grown function is red", cg);
			check(csh[2] === 255 && csh[0] < 100, "inflame html: a shrunk function is blue", csh);
		}
		await shot("17-html-diff");

		// Thousands of names: frame numbers packed in fewer bits than 16 (doc/viewer-data.md),
		// over several pieces of text.
		for (let k = 0; k + 1 < widePages.length; k += 2) {
			await open(widePages[k]);
			const wl = foldedLines(widePages[k + 1]);
			const wt = await page.evaluate(() => window.inflameViewer.data.nodes.frame.constructor.name);
			const packed = fs.readFileSync(widePages[k], "utf8").match(/"frame":\{"n":([0-9]+),"t":"(u[0-9]+)"/);
			const bad = await page.evaluate((lines) => {
				const a = window.inflameViewer, t = a.tree, f = a.flame, want = new Map();
				for (const l of lines) {
					let n = 0;
					for (const nm of l.frames) {
						let next = -1;
						for (let c = n + 1; c < t.end[n]; c = t.end[c]) if (a.frameName(t.frame[c]) === nm) next = c;
						if (next < 0) return "no path " + l.frames.join(";");
						n = next;
					}
					want.set(n, (want.get(n) || 0) + l.count);
				}
				for (const [n, w] of want) if (f.selfOf(n) !== w) return "self of node " + n + ": " + f.selfOf(n) + " vs " + w;
				return f.total[0] + " " + want.size;
			}, wl);
			check(packed && packed[2] !== "u16" && Number(packed[1]) * Number(packed[2].slice(1)) > 131072 * 6,
				"inflame html: the wide page's frames are packed over several pieces", packed && packed[0]);
			check(bad === foldedTotal(wl) + " " + new Set(wl.map((l) => l.frames.join(";"))).size,
				"inflame html: packed frame numbers (" + (packed ? packed[2] + ", " + packed[1] + " nodes" : "?") + ", " + wt + "): every stack's weight at its path", bad);
		}
	}

	check(errors.length === 0, "no script errors", errors.join("; "));
} finally {
	await browser.close();
	fs.rmSync(profile, { recursive: true, force: true });
}
if (failures) {
	console.log(failures + " failure(s)");
	process.exit(1);
}
console.log("all passed");
