// Paint benchmark of the profile viewer (tools/output/viewer.js) in headless Chromium.
// For each size it writes a page with N unique stacks (depth 10 to 60, shaped like
// bench/gen-stacks: narrow near the root, a vocabulary of 4000 names deeper down) in the
// viewer's data format, opens it, and reports the page's size, the time from navigation to
// the flame graph's first paint (the page's own performance.now() when it has drawn, which
// counts from navigation start: the preview's, drawn before the full data are read, when the
// page has one), the time until the whole viewer is ready (its flame graph, tabs, timeline and
// search: time to interactive), the script time of a search at that moment, the time its index
// by name is built (searches of few frames are faster with it), the longest a task queued
// meanwhile waited ("block": what input waits for while the page indexes), then the script time of a zoom
// (a click on a frame), a reset, a regex search and clearing it. Medians of BENCH_ROUNDS rounds (default 3), each on
// a freshly opened page.
// With BENCH_COMPARE=path/to/other/inflame (and BENCH_INFLAME), the pages of both programs are
// measured in interleaved rounds (one of each per round) and printed side by side.
// Usage: node html_paint.mjs NODE_DIR VIEWER_JS OUT_DIR N...
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nodeDir, viewerJs, outDir, ...sizes] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeDir), "node_modules", "x.js"));
const { chromium } = require("playwright-core");

function rng(seed) {
	let x = seed >>> 0 || 1;
	return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

// Writes the page without holding the JSON in one string: stacks are generated, sorted, and
// turned into the call tree by shared prefixes.
function writePage(file, n, seed) {
	const r = rng(seed);
	const parts = ["parse", "eval", "read", "write", "alloc", "hash", "lookup", "insert", "sort", "merge", "encode", "decode", "send", "recv", "lock", "wait", "compute", "render"];
	const V = 4000;
	const stacks = new Array(n);
	for (let i = 0; i < n; i++) {
		const depth = 10 + Math.floor(r() * 51);
		const s = new Uint16Array(depth);
		for (let k = 0; k < depth; k++) s[k] = Math.floor(r() * (k < 2 ? 3 : k < 5 ? 16 : k < 9 ? 200 : V));
		stacks[i] = s;
	}
	stacks.sort((a, b) => {
		const m = Math.min(a.length, b.length);
		for (let i = 0; i < m; i++) if (a[i] !== b[i]) return a[i] - b[i];
		return a.length - b.length;
	});
	let cap = 1 << 20, count = 1;
	let parent = new Int32Array(cap), frame = new Int32Array(cap);
	parent[0] = -1; frame[0] = -1;
	const leaf = [], weight = [];
	let prev = new Uint16Array(0);
	const path = new Int32Array(64);
	for (const s of stacks) {
		let l = 0;
		while (l < s.length && l < prev.length && s[l] === prev[l]) l++;
		if (l === s.length) continue; // a duplicate (or a prefix ending at an inner node)
		for (let k = l; k < s.length; k++) {
			if (count === cap) {
				cap *= 2;
				const p2 = new Int32Array(cap); p2.set(parent); parent = p2;
				const f2 = new Int32Array(cap); f2.set(frame); frame = f2;
			}
			parent[count] = k ? path[k - 1] : 0;
			frame[count] = s[k];
			path[k] = count++;
		}
		leaf.push(path[s.length - 1]);
		weight.push(1 + Math.floor(r() * 100));
		prev = s;
	}
	const fd = fs.openSync(file, "w");
	const w = (t) => fs.writeSync(fd, t);
	w("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bench</title></head><body>\n<div id=\"inflame\"></div>\n");
	w("<script type=\"application/json\" id=\"inflame-data\">");
	const names = [""];
	for (let i = 0; i < V; i++) names.push(parts[i % parts.length] + "_" + parts[Math.floor(i / 7) % parts.length] + "_" + i);
	w("{\"version\":1,\"title\":\"bench: " + leaf.length + " unique stacks\",\"strings\":" + JSON.stringify(names) + ",\"frames\":{");
	const seq = (f) => { const a = []; for (let i = 0; i < V; i++) a.push(f(i)); return a.join(","); };
	w("\"name\":[" + seq((i) => i + 1) + "],\"module\":[" + seq(() => 0) + "],\"file\":[" + seq(() => 0) + "],\"line\":[" + seq(() => 0) + "]},");
	const arr = (name, a, len) => {
		w("\"" + name + "\":[");
		for (let i = 0; i < len; i += 65536) {
			const part = Array.from(a.subarray ? a.subarray(i, Math.min(len, i + 65536)) : a.slice(i, i + 65536));
			w((i ? "," : "") + part.join(","));
		}
		w("]");
	};
	if (process.env.BENCH_PARENT === "delta") {
		for (let i = count - 1; i > 0; i--) parent[i] = i - parent[i];
		w("\"nodes\":{"); arr("parent_delta", parent, count);
	} else { w("\"nodes\":{"); arr("parent", parent, count); } w(","); arr("frame", frame, count); w("},");
	w("\"threads\":[],\"start_ns\":0,\"duration_ns\":0,\"views\":[{\"name\":\"cpu\",\"unit\":\"samples\",\"seconds_per_sample\":0.001,");
	arr("stack_node", leaf, leaf.length); w(","); arr("stack_weight", weight, weight.length);
	w("}],\"diff\":null}</script>\n<script>\n" + fs.readFileSync(viewerJs, "utf8") + "\n</script>\n</body></html>\n");
	fs.closeSync(fd);
	return { stacks: leaf.length, nodes: count };
}

// The page program prog writes for n unique stacks of bench/gen-stacks (next to inflame), or
// for "dump": a dump of a 10-minute run of 8 threads at 999 Hz (gen-stacks dump, made once).
function inflamePage(prog, file, n) {
	const gen = process.env.BENCH_GEN_STACKS || path.join(path.dirname(process.env.BENCH_INFLAME), "bench", "gen-stacks");
	if (n === "dump") {
		const dump = path.join(outDir, "dump-600s-999hz-8t.ifl");
		if (!fs.existsSync(dump) || !fs.statSync(dump).size)
			fs.writeFileSync(dump, execFileSync(gen, ["dump", "600", "999", "8", "1"], { maxBuffer: 1 << 30 }));
		execFileSync(prog, ["html", dump, "-o", file]);
		return { stacks: "dump 600s", nodes: "-" };
	}
	const folded = path.join(outDir, "stacks-" + n + ".folded");
	if (!fs.existsSync(folded) || !fs.statSync(folded).size)
		fs.writeFileSync(folded, execFileSync(gen, ["folded", String(n), "1"], { maxBuffer: 1 << 30 }));
	execFileSync(prog, ["html", folded, "-o", file]);
	return { stacks: n, nodes: "-" };
}

fs.mkdirSync(outDir, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "inflame-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
	executablePath: process.env.INFLAME_CHROMIUM || "/usr/bin/chromium",
	headless: true,
	viewport: { width: 1280, height: 900 },
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--js-flags=--max-old-space-size=8192"],
});
const median = (a) => { const b = [...a].sort((x, y) => x - y); return b.length ? b[(b.length - 1) >> 1] : NaN; };
// The viewer's own marks (window.inflameTimings, performance.now() at the end of each stage, from
// navigation start) as the time each stage took: the first is the page's load up to the script.
function stageText(t) {
	const keys = Object.keys(t).filter((k) => typeof t[k] === "number").sort((a, b) => t[a] - t[b]);
	let prev = 0;
	return keys.map((k) => { const d = t[k] - prev; prev = t[k]; return k + " " + d.toFixed(0); }).join(", ");
}
const useInflame = process.env.BENCH_INFLAME && process.env.BENCH_INFLAME !== "none";
const progs = useInflame ? [["", process.env.BENCH_INFLAME]] : [["", null]];
if (useInflame && process.env.BENCH_COMPARE) progs.push(["compared ", process.env.BENCH_COMPARE]);
const rounds = Number(process.env.BENCH_ROUNDS || 3);
const timeout = Number(process.env.BENCH_TIMEOUT || 240) * 1000;

// Opens the page in a new tab: first paint, ready (time to interactive), one zoom, reset,
// search and clear, and the stages; throws when the page fails.
async function measure(file) {
	const page = await browser.newPage();
	const errors = [];
	page.on("crash", () => errors.push("the page crashed"));
	page.on("pageerror", (e) => errors.push(String(e)));
	// The longest wait of a task queued between ready and indexed (what input waits for at most
	// while the viewer indexes): the longest gap between the turns of a task that queues itself.
	await page.addInitScript(() => {
		let last = 0;
		const poll = () => {
			const a = window.inflameViewer, now = performance.now();
			if (a && a.ready) {
				if (last && now - last > (window.benchBlock || 0)) window.benchBlock = now - last;
				if (a.indexed || a.ready === undefined) return;
				last = now;
			}
			setTimeout(poll, 0);
		};
		setTimeout(poll, 0);
	});
	try {
		await page.goto(pathToFileURL(path.resolve(file)).href, { timeout });
		await page.waitForFunction(() => window.inflameViewer && window.inflameViewer.firstPaint, null, { timeout, polling: 20 });
		// Ready: the viewer's own mark; a viewer without one is ready once it has built its
		// search index (the last of its work after the first paint).
		const ready = await page.evaluate(() => new Promise((res) => {
			const a = window.inflameViewer;
			const poll = () => (a.ready ? res(a.ready) : a.tree.byName ? res(performance.now()) : setTimeout(poll, 10));
			poll();
		}));
		// A search at once (before the viewer's index by name is built, when it builds one)...
		const searchAtReady = await page.evaluate(() => {
			const box = document.getElementById("ifl-search");
			box.value = "^hash_(sort|lock)_";
			const t0 = performance.now();
			box.dispatchEvent(new Event("input"));
			const t = performance.now() - t0;
			box.value = "";
			box.dispatchEvent(new Event("input"));
			return t;
		});
		// ... and the rest once it is (a viewer without the mark has built it before ready).
		const [indexed, block] = await page.evaluate(() => new Promise((res) => {
			const a = window.inflameViewer;
			const poll = () => (a.indexed || a.ready === undefined ? res([a.indexed || 0, window.benchBlock || 0]) : setTimeout(poll, 10));
			poll();
		}));
		const [first, full, stages] = await page.evaluate(() => [(window.inflameTimings && window.inflameTimings.preview) || window.inflameViewer.firstPaint,
			window.inflameViewer.firstPaint, window.inflameTimings || {}]);
		const t = await page.evaluate(() => {
			const a = window.inflameViewer, f = a.flame, cv = document.getElementById("ifl-flame");
			// The widest child of the root's widest child: a click on it.
			const target = f.widestChild(f.widestChild(0));
			const r = f.rectOf(target), b = cv.getBoundingClientRect();
			const ev = new MouseEvent("click", { clientX: b.left + r.x + r.w / 2, clientY: b.top + r.y + r.h / 2, bubbles: true });
			let t0 = performance.now();
			cv.dispatchEvent(ev);
			const zoom = performance.now() - t0;
			const ok = f.zoom === target;
			t0 = performance.now();
			document.getElementById("ifl-reset").click();
			const reset = performance.now() - t0;
			const box = document.getElementById("ifl-search");
			box.value = "^hash_(sort|lock)_";
			t0 = performance.now();
			box.dispatchEvent(new Event("input"));
			const search = performance.now() - t0;
			box.value = "";
			t0 = performance.now();
			box.dispatchEvent(new Event("input"));
			const clear = performance.now() - t0;
			return { zoom, reset, search, clear, ok };
		});
		if (!t.ok) errors.push("the click did not zoom");
		if (errors.length) throw new Error(errors.join("; "));
		return { first, full, ready, indexed: indexed || ready, block, searchAtReady, ...t, stages };
	} finally {
		await page.close().catch(() => {});
	}
}

console.log("program   stacks    page MB  first paint  full paint  ready (TTI)  indexed   block  search@ready   zoom   reset  search   clear");
try {
	for (const s of sizes) {
		const n = s === "dump" ? s : Number(s);
		if (n === "dump" && !useInflame) continue;
		const files = progs.map(([label, prog], i) => {
			const file = path.join(outDir, "paint-" + n + "-" + i + ".html");
			// BENCH_INFLAME=path/to/inflame: the page of `inflame html` on bench/gen-stacks' stacks.
			const g = prog ? inflamePage(prog, file, n) : writePage(file, n, 1);
			return { label, file, g, mb: fs.statSync(file).size / 1048576, runs: [], failed: null };
		});
		for (let r = 0; r < rounds; r++) {
			for (const f of files) {
				if (f.failed) continue;
				try { f.runs.push(await measure(f.file)); } catch (e) { f.failed = String(e.message || e).split("\n")[0]; }
			}
		}
		for (const f of files) {
			const head = (f.label || "this").padEnd(10) + String(f.g.stacks).padEnd(10) + f.mb.toFixed(1).padStart(7);
			if (!f.runs.length) { console.log(head + "   no paint: " + f.failed); continue; }
			const ms = (k, w) => (median(f.runs.map((x) => x[k])).toFixed(0) + " ms").padStart(w);
			console.log(head + ms("first", 13) + ms("full", 12) + ms("ready", 13) + ms("indexed", 9) + ms("block", 8) + ms("searchAtReady", 14) + ms("zoom", 7) + ms("reset", 8) + ms("search", 8) + ms("clear", 8) +
				(f.failed ? "   ERRORS: " + f.failed : ""));
			const byReady = [...f.runs].sort((a, b) => a.ready - b.ready);
			console.log("  stages (ms, the median run's): " + stageText(byReady[(byReady.length - 1) >> 1].stages));
			if (!process.env.BENCH_KEEP) fs.rmSync(f.file);
		}
	}
} finally {
	await browser.close();
	fs.rmSync(profile, { recursive: true, force: true });
}
console.log("(medians of " + rounds + " rounds" + (progs.length > 1 ? ", the programs interleaved" : "") + ")");
console.log("targets: painted and ready <= 1 s at 100k stacks, <= 3 s at 1M; zoom and search <= 100 ms at 1M");
