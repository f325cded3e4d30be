// A stand-in for `inflame html` while the C generator is not on main: builds the page's data
// block (the contract of the viewer's data) and wraps it with tools/output/viewer.js into one
// HTML file. Used by the viewer's browser test and by the paint bench.
//   node mkpage.mjs folded VIEWER_JS OUT TITLE NAME:UNIT:SECONDS_PER_SAMPLE:FILE...
//       one view per folded file (e.g. from `inflame collapse --event cpu DUMP`)
//   node mkpage.mjs timed VIEWER_JS OUT_HTML OUT_JSON SEED
//       a profile with per-sample times, threads and frees (known, so the test can recompute
//       any selection from the JSON)
//   node mkpage.mjs diff VIEWER_JS OUT BEFORE.folded AFTER.folded
//   node mkpage.mjs bench VIEWER_JS OUT N SEED      N unique stacks, for bench/html_paint.sh
import fs from "node:fs";

// The builder: string table, frame table and the call tree, as in the data contract.
export class Builder {
	constructor() {
		this.strings = [""];
		this.stringIndex = new Map([["", 0]]);
		this.frames = { name: [], module: [], file: [], line: [] };
		this.frameIndex = new Map();
		this.parent = [-1];
		this.frame = [-1];
		this.kids = [new Map()];
		this.threads = [];
	}
	str(s) {
		let i = this.stringIndex.get(s);
		if (i === undefined) { i = this.strings.length; this.strings.push(s); this.stringIndex.set(s, i); }
		return i;
	}
	frameOf(name, module = "", file = "", line = 0) {
		const key = name + "\0" + module + "\0" + file + "\0" + line;
		let f = this.frameIndex.get(key);
		if (f === undefined) {
			f = this.frames.name.length;
			this.frames.name.push(this.str(name)); this.frames.module.push(this.str(module));
			this.frames.file.push(this.str(file)); this.frames.line.push(line);
			this.frameIndex.set(key, f);
		}
		return f;
	}
	// Leaf node of a stack given root first as frame indexes.
	node(frames) {
		let n = 0;
		for (const f of frames) {
			let c = this.kids[n].get(f);
			if (c === undefined) {
				c = this.parent.length;
				this.parent.push(n); this.frame.push(f); this.kids.push(new Map());
				this.kids[n].set(f, c);
			}
			n = c;
		}
		return n;
	}
	folded(text) {
		const node = [], weight = [];
		const agg = new Map();
		for (const line of text.split("\n")) {
			const m = /^(.*) (\d+)(?: (\d+))?$/.exec(line);
			if (!m) continue;
			const n = this.node(m[1].split(";").map((s) => this.frameOf(s)));
			agg.set(n, (agg.get(n) || 0) + Number(m[3] !== undefined ? m[3] : m[2]));
		}
		for (const [n, w] of agg) { node.push(n); weight.push(w); }
		return { stack_node: node, stack_weight: weight };
	}
	data(title, views, extra = {}) {
		return Object.assign({
			version: 1, title, strings: this.strings, frames: this.frames,
			nodes: { parent: this.parent, frame: this.frame }, threads: this.threads,
			start_ns: 0, duration_ns: 0, views, diff: null,
		}, extra);
	}
}

// JSON that cannot close the script element nor start markup (the contract's escaping).
export function safeJson(data) {
	return JSON.stringify(data).replace(/[<>&\u2028\u2029]/g,
		(c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

export function page(viewerJs, data) {
	const title = String(data.title || "inflame").replace(/[<>&"]/g, (c) => "&#" + c.charCodeAt(0) + ";");
	return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body>\n" +
		"<div id=\"inflame\"></div>\n<script type=\"application/json\" id=\"inflame-data\">" + safeJson(data) +
		"</script>\n<script>\n" + fs.readFileSync(viewerJs, "utf8") + "\n</script>\n</body></html>\n";
}

// Deterministic pseudo-random numbers.
function rng(seed) {
	let x = seed >>> 0 || 1;
	return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
}

// A profile with time: 3 threads (one exited) over 3.5 s, cpu samples every ~4 ms per busy
// thread with phases (so ranges differ), allocations with frees, and hostile names.
export function timed(seed) {
	const b = new Builder(), r = rng(seed);
	const th = (name, tid, exited) => { b.threads.push({ tid, name: b.str(name), pid: 100, exited }); return b.threads.length - 1; };
	const tMain = th("main", 100, false), tWork = th("worker", 101, false), tGone = th("short-lived", 102, true);
	const F = (n, mod = "prog", file = "", line = 0) => b.frameOf(n, mod, file, line);
	const stacks = {
		parse: [F("_start", "prog"), F("main", "prog", "prog.c", 10), F("parse_input", "prog", "parse.c", 42)],
		sort: [F("_start"), F("main", "prog", "prog.c", 10), F("sort_records", "prog", "sort.c", 7), F("qsort", "libc.so.6")],
		hash: [F("clone3", "libc.so.6"), F("worker_main", "prog", "worker.c", 3), F("hash_buffer", "prog", "hash.c", 99)],
		hashdeep: [F("clone3", "libc.so.6"), F("worker_main", "prog", "worker.c", 3), F("hash_buffer", "prog", "hash.c", 99), F("mix_bits", "prog")],
		gone: [F("clone3", "libc.so.6"), F("short_task", "prog")],
		evil: [F("_start"), F("main", "prog", "prog.c", 10), F("</script><script>window.pwned=1</script>", "<b>mod</b>"), F("<img src=x onerror=\"window.pwned=2\">\u2028\u0007")],
	};
	const node = {};
	for (const k in stacks) node[k] = b.node(stacks[k]);
	const cpu = [], wall = [], alloc = [];
	const push = (arr, t, n, w, ti, freed) => arr.push({ t, n, w, ti, freed });
	for (let t = 0; t < 3.5e9; t += 4e6) {
		const jitter = Math.floor(r() * 1e6);
		push(cpu, t + jitter, t < 1.5e9 ? node.parse : t < 2.5e9 ? node.sort : (r() < 0.1 ? node.evil : node.parse), 1, tMain);
		if (t > 0.5e9) push(cpu, t + 2e6 + jitter, r() < 0.3 ? node.hashdeep : node.hash, 1, tWork);
		if (t < 1e9 && r() < 0.5) push(cpu, t + 3e6, node.gone, 1, tGone);
		push(wall, t + jitter, t < 2e9 ? node.parse : node.sort, 1, tMain);
		push(wall, t + 1e6 + jitter, node.hash, 1, tWork);
		if (r() < 0.3) {
			const n = r() < 0.5 ? node.parse : node.hash;
			const at = t + 5e5;
			push(alloc, at, n, 1024 * (1 + Math.floor(r() * 64)), n === node.hash ? tWork : tMain,
				r() < 0.6 ? Math.floor(at + r() * 1.5e9) : -1);
		}
	}
	const view = (name, unit, sps, ev, withFreed) => {
		ev.sort((a, c) => a.t - c.t);
		const agg = new Map();
		for (const e of ev) agg.set(e.n, (agg.get(e.n) || 0) + e.w);
		let prev = 0;
		const s = { node: [], weight: [], time: [], thread: [] };
		if (withFreed) s.freed = [];
		for (const e of ev) {
			s.node.push(e.n); s.weight.push(e.w); s.time.push(e.t - prev); s.thread.push(e.ti); prev = e.t;
			if (withFreed) s.freed.push(e.freed);
		}
		return { name, unit, seconds_per_sample: sps, stack_node: [...agg.keys()], stack_weight: [...agg.values()], samples: s };
	};
	return b.data("inflame: test <profile> & \"quotes\"", [
		view("cpu", "samples", 0.004, cpu, false),
		view("wall", "samples", 0.004, wall, false),
		view("alloc", "bytes", 0, alloc, true),
	], { start_ns: 0, duration_ns: 3.6e9 });
}

// N unique stacks (depth 10 to 60) from a vocabulary of 4000 names, shaped like
// bench/gen-stacks: narrow near the root, wide deeper down.
export function benchData(n, seed) {
	const b = new Builder(), r = rng(seed);
	const vocab = [];
	const parts = ["parse", "eval", "read", "write", "alloc", "hash", "lookup", "insert", "sort", "merge", "encode", "decode", "send", "recv", "lock", "wait", "compute", "render"];
	for (let i = 0; i < 4000; i++) vocab.push(b.frameOf(parts[i % parts.length] + "_" + parts[(i >> 4) % parts.length] + "_" + i, "bench"));
	const node = [], weight = [];
	const seen = new Set();
	const st = [];
	while (node.length < n) {
		const depth = 10 + Math.floor(r() * 51);
		st.length = 0;
		for (let k = 0; k < depth; k++) {
			const width = k < 2 ? 3 : k < 5 ? 16 : k < 9 ? 200 : 4000;
			st.push(vocab[Math.floor(r() * width)]);
		}
		const leaf = b.node(st);
		if (seen.has(leaf)) continue;
		seen.add(leaf);
		node.push(leaf); weight.push(1 + Math.floor(r() * 100));
	}
	return b.data("inflame bench: " + n + " unique stacks", [{ name: "cpu", unit: "samples", seconds_per_sample: 0.001, stack_node: node, stack_weight: weight }]);
}

const [mode, viewerJs, out, ...rest] = process.argv.slice(2);
if (mode === "folded") {
	const b = new Builder();
	const title = rest[0];
	const views = rest.slice(1).map((spec) => {
		const [name, unit, sps, ...file] = spec.split(":");
		return Object.assign({ name, unit, seconds_per_sample: Number(sps) }, b.folded(fs.readFileSync(file.join(":"), "utf8")));
	});
	fs.writeFileSync(out, page(viewerJs, b.data(title, views)));
} else if (mode === "timed") {
	const data = timed(Number(rest[1] || 1));
	fs.writeFileSync(out, page(viewerJs, data));
	fs.writeFileSync(rest[0], JSON.stringify(data));
} else if (mode === "diff") {
	const b = new Builder();
	const before = b.folded(fs.readFileSync(rest[0], "utf8"));
	const after = b.folded(fs.readFileSync(rest[1], "utf8"));
	fs.writeFileSync(out, page(viewerJs, b.data("inflame diff", [Object.assign({ name: "cpu", unit: "samples", seconds_per_sample: 0 }, after)], {
		diff: { base_name: rest[0], after_name: rest[1], view: 0, base_stack_node: before.stack_node, base_stack_weight: before.stack_weight },
	})));
} else if (mode === "bench") {
	fs.writeFileSync(out, page(viewerJs, benchData(Number(rest[0]), Number(rest[1] || 1))));
} else if (mode !== undefined) {
	console.error("mkpage: unknown mode " + mode);
	process.exit(2);
}
