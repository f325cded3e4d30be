// inflame's profile viewer: the script of the page `inflame html` writes.
// It reads the page's data block (the contract is in tools/output/html.c's comment and the
// notes on the viewer's data), draws the flame graph of the chosen view on a canvas, the
// threads' timeline and a sub-second heat map, the live heap of allocation views, top-down and
// bottom-up tables and the sandwich of one function, and colours a differential page by delta.
// Names reach the page only through textContent and fillText, never as markup.
// Speed: the arrays come as typed blobs (decoded natively, straight into typed arrays; packed
// ones a piece at a time); the tree is depth first, kept as frame and depth per node and the
// ends of the big subtrees only (no child lists, no array of ends: at 30 million nodes every
// fresh megabyte costs page faults); a view's totals come from its stacks' running sums until
// something needs every node's (tables, a selection); painting walks only frames wider than
// half a pixel and lays them out as it goes; work for other views and the search index waits.
"use strict";
(function () {
	const CSS = `
body{margin:0;font:12px sans-serif;color:#222;background:#fafafa}
#inflame-app{padding:6px 10px}
#ifl-title{font-size:15px;font-weight:bold;margin:2px 0 6px}
.ifl-bar{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin:4px 0}
.ifl-bar button,.ifl-bar label{font:12px sans-serif}
.ifl-tab{border:1px solid #bbb;background:#eee;padding:3px 9px;cursor:pointer;border-radius:3px}
.ifl-tab.on{background:#fff;border-color:#666;font-weight:bold}
#ifl-timeline-box{position:relative;border:1px solid #ccc;background:#fff;margin:4px 0}
#ifl-timeline,#ifl-heat,#ifl-flame,#ifl-callers,#ifl-callees,#ifl-preview{display:block}
.ifl-cv-box{overflow:hidden}
#ifl-flame-box{position:relative;border:1px solid #ccc;background:#fff;overflow:auto;max-height:70vh}
#ifl-details{height:45px;line-height:15px;white-space:pre;font-family:monospace;margin:3px 0;overflow:hidden}
#ifl-crumbs button{border:none;background:none;color:#036;cursor:pointer;padding:0 2px;text-decoration:underline}
#ifl-status{color:#555}
.ifl-hidden{display:none!important}
table.ifl-table{border-collapse:collapse;width:100%;background:#fff;font-family:monospace}
table.ifl-table th{position:sticky;top:0;background:#eee;cursor:pointer;text-align:right;padding:2px 6px}
table.ifl-table th:first-child,table.ifl-table td:first-child{text-align:left}
table.ifl-table td{padding:1px 6px;text-align:right;white-space:nowrap}
table.ifl-table tr:hover{background:#eef}
.ifl-tog{display:inline-block;width:14px;cursor:pointer;color:#555}
#ifl-table-box{max-height:70vh;overflow:auto;border:1px solid #ccc}
#ifl-help{position:fixed;left:20%;top:15%;width:60%;background:#fff;border:2px solid #444;padding:12px;white-space:pre;font-family:monospace;z-index:10}
.ifl-sandwich-title{font-weight:bold;margin:4px 0}
`;
	const el = (tag, attrs, text) => {
		const e = document.createElement(tag);
		if (attrs) for (const k in attrs) e.setAttribute(k, attrs[k]);
		if (text !== undefined) e.textContent = text;
		return e;
	};

	// ---- units -----------------------------------------------------------------------------
	// Thousands separated by commas (toLocaleString's first call cost 50 ms of the first paint).
	function fmtNum(v) {
		const r = Math.round(v), s = String(Math.abs(r));
		if (!/^[0-9]+$/.test(s)) return String(r);
		let out = s.slice(0, ((s.length - 1) % 3) + 1);
		for (let i = out.length; i < s.length; i += 3) out += "," + s.slice(i, i + 3);
		return (r < 0 ? "-" : "") + out;
	}
	function fmtBytes(v) {
		const u = ["B", "KiB", "MiB", "GiB", "TiB"];
		let i = 0;
		while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
		return (i ? v.toFixed(1) : String(Math.round(v))) + " " + u[i];
	}
	function fmtNs(v) {
		if (Math.abs(v) >= 1e9) return (v / 1e9).toFixed(3) + " s";
		if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(2) + " ms";
		if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + " us";
		return Math.round(v) + " ns";
	}
	function fmtValue(view, v) {
		switch (view.unit) {
		case "bytes": return fmtBytes(v);
		case "ns": return fmtNs(v);
		case "count": return fmtNum(v) + " allocations";
		default: {
			let s = fmtNum(v) + " samples";
			if (view.seconds_per_sample > 0) s += ", " + (v * view.seconds_per_sample).toFixed(3) + " s";
			return s;
		}
		}
	}
	const pct = (a, b) => (b > 0 ? (100 * a / b) : 0).toFixed(2) + "%";

	// ---- colours: stable by name (a hash of the name picks the shade) -----------------------
	function hashName(s) {
		let h = 2166136261;
		for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
		return h >>> 0;
	}
	// Colours are 0xRRGGBB numbers; their CSS strings are made once.
	function warm(name) {
		const h = hashName(name);
		const r = 205 + (h % 50), g = 80 + ((h >>> 8) % 130), b = 40 + ((h >>> 16) % 40);
		return (r << 16) | (g << 8) | b;
	}
	const cssOf = new Map();
	function css(c) {
		let v = cssOf.get(c);
		if (v === undefined) { v = "rgb(" + (c >>> 16) + "," + ((c >>> 8) & 255) + "," + (c & 255) + ")"; cssOf.set(c, v); }
		return v;
	}
	const MATCH = 0xe600e6;

	// ---- trees ------------------------------------------------------------------------------
	// A tree in depth-first order with siblings in name order (the order they are laid out
	// in): node 0 the root, frame and depth (the root's 0). A node's subtree is the nodes from
	// it up to its end (endOf): its children are c = node + 1, then c = endOf(c), while c <
	// endOf(node). The parent array is made on first use (tables, sandwich); the flame graph
	// and searches need none (parentOf). Memory is what a large page's load costs: on the
	// machine measured every fresh megabyte cost ~10 ms of page faults, and 30 million nodes
	// fill 120 MB per 32-bit array. So the tree keeps no array of ends: a node whose subtree
	// holds BIG nodes or more has its end in a map (a bit per node says which), any other
	// finds it by scanning the depths after it (fewer than BIG of them) until the viewer is
	// ready; then tree.size, a byte per node, is made in slices (smallSizesSteps) and gives
	// those ends at once (scans cost a 100k page's paint of its root 30 ms of 40). tree.end,
	// the full array, is made only when something asks for it (the tests).
	const BIG = 256;
	class Tree {
		constructor(n, frame, depth, maxDepth, bigBits, bigEnd, parent) {
			this.n = n; this.frame = frame; this.depth = depth; this.maxDepth = maxDepth;
			this.bigBits = bigBits; this.bigEnd = bigEnd;
			this.remap = null; this.parentArr = parent || null; this.endArr = null; this.byName = null;
			this.size = null;
		}
		endOf(i) {
			const size = this.size;
			if (size !== null) { const k = size[i]; return k ? i + k : this.bigEnd.get(i); }
			if (this.bigBits[i >>> 5] & (1 << (i & 31))) return this.bigEnd.get(i);
			const depth = this.depth, d = depth[i], n = this.n;
			let j = i + 1;
			while (j < n && depth[j] > d) j++;
			return j;
		}
		get end() {
			if (this.endArr) return this.endArr;
			const n = this.n, depth = this.depth, end = new Int32Array(n);
			const path = new Int32Array(this.maxDepth + 1);
			let sp = 0;
			for (let i = 1; i < n; i++) {
				const d = depth[i];
				while (sp >= d) end[path[sp--]] = i;
				path[++sp] = i;
			}
			while (sp >= 0) end[path[sp--]] = n;
			return (this.endArr = end);
		}
		get parent() { return this.parentArr || (this.parentArr = parentsOf(this)); }
	}
	// From the depths alone (inflame html writes those): one pass with a stack of the path,
	// which checks them and notes the ends of the big subtrees.
	function treeFromDepth(depth, frame, parent) {
		const n = depth.length;
		if (!n || depth[0] !== 0 || frame.length !== n) throw new Error("the call tree's depths do not start at its root");
		const bigBits = new Int32Array((n + 31) >>> 5), bigEnd = new Map();
		let path = new Int32Array(64), sp = 0, maxDepth = 0;
		for (let i = 1; i < n; i++) {
			const d = depth[i];
			if (!(d >= 1 && d <= sp + 1)) throw new Error("the call tree's depths are not depth first");
			while (sp >= d) {
				const x = path[sp--];
				if (i - x >= BIG) { bigBits[x >>> 5] |= 1 << (x & 31); bigEnd.set(x, i); }
			}
			if (++sp === path.length) { const b = new Int32Array(sp * 2); b.set(path); path = b; }
			path[sp] = i;
			if (d > maxDepth) maxDepth = d;
		}
		while (sp >= 0) {
			const x = path[sp--];
			if (n - x >= BIG) { bigBits[x >>> 5] |= 1 << (x & 31); bigEnd.set(x, n); }
		}
		return new Tree(n, frame, depth, maxDepth, bigBits, bigEnd, parent);
	}
	function parentsOf(t) {
		const n = t.n, depth = t.depth, parent = new Int32Array(n);
		let path = new Int32Array(t.maxDepth + 1);
		parent[0] = -1;
		for (let i = 1; i < n; i++) { const d = depth[i]; parent[i] = path[d - 1]; path[d] = i; }
		return parent;
	}
	// The parent of node n (-1 for the root): the node before it when that is one level up,
	// else found down from the root by the subtree ranges.
	function parentOf(t, n) {
		if (t.parentArr) return t.parentArr[n];
		if (n <= 0) return -1;
		if (t.depth[n - 1] === t.depth[n] - 1) return n - 1;
		for (let p = 0; ;) {
			let c = p + 1;
			for (let e = t.endOf(c); e <= n; e = t.endOf(c)) c = e;
			if (c === n) return p;
			p = c;
		}
	}
	// From parents (other generators, the sandwich's merged trees): the same when they are
	// in that order already; else renumbered into it, remap[old] giving the new node index.
	function makeTree(parent, frame, nameRank) {
		const n = parent.length;
		const depth = new Int32Array(n);
		let path = new Int32Array(64), sp = 0, ordered = n > 0 && parent[0] < 0;
		for (let i = 1; i < n && ordered; i++) {
			const p = parent[i];
			while (sp > 0 && path[sp] !== p) sp--;
			// The previous node at this depth is a sibling when it came after the parent.
			const prev = sp + 1 < path.length ? path[sp + 1] : -1;
			if (path[sp] !== p || (prev > p && nameRank[frame[prev]] > nameRank[frame[i]])) { ordered = false; break; }
			if (++sp === path.length) { const b = new Int32Array(sp * 2); b.set(path); path = b; }
			path[sp] = i;
			depth[i] = sp;
		}
		if (ordered) return treeFromDepth(depth, frame, parent);
		// Children lists ordered by name, then a depth-first walk numbers the nodes.
		const first = new Int32Array(n + 1);
		for (let i = 1; i < n; i++) first[parent[i] + 1]++;
		for (let i = 0; i < n; i++) first[i + 1] += first[i];
		const fill = first.slice(0, n), kids = new Int32Array(Math.max(n - 1, 0));
		for (let i = 1; i < n; i++) kids[fill[parent[i]]++] = i;
		for (let p = 0; p < n; p++) {
			const lo = first[p], hi = first[p + 1];
			if (hi - lo < 2) continue;
			const sub = Array.from(kids.subarray(lo, hi));
			sub.sort((x, y) => nameRank[frame[x]] - nameRank[frame[y]] || x - y);
			kids.set(sub, lo);
		}
		const remap = new Int32Array(n), order = new Int32Array(n), d2 = new Int32Array(n);
		const stack = [0];
		let k = 0;
		while (stack.length) {
			const v = stack.pop();
			remap[v] = k; order[k] = v; d2[k] = v ? d2[remap[parent[v]]] + 1 : 0; k++;
			for (let j = first[v + 1] - 1; j >= first[v]; j--) stack.push(kids[j]);
		}
		const f2 = new Int32Array(n);
		for (let i = 0; i < n; i++) f2[i] = frame[order[i]];
		const t = treeFromDepth(d2, f2);
		t.remap = remap;
		return t;
	}
	// The children of node p, in order (for the callers that are not loops over the arrays).
	function childrenOf(tree, p) {
		const out = [];
		for (let c = p + 1, e = tree.endOf(p); c < e; c = tree.endOf(c)) out.push(c);
		return out;
	}
	// Totals of the nodes from weights: per node (self, node omitted) or of leaf nodes (the
	// weight self[i] at node[i]). totalsSteps places the weights: whole, non-negative weights
	// under 2^32 in all fit a Uint32Array (half the memory), else a Float64Array. totalsOf
	// sums them by one backward pass over the depths (sequential: hopping over the children by
	// end cost twice as much at 3 million nodes): acc[d] sums the nodes of depth d met since
	// the last node of depth d - 1, so a node finds its children's sum in acc[d + 1].
	// totalsSteps does it a step of nodes at a time, yielding between steps (for the work
	// after the page is ready, which must leave it responsive: inSlices), the array's pages
	// touched in steps first when touch is set; it returns the totals.
	function* totalsSteps(tree, self, node, touch) {
		const n = tree.n, depth = tree.depth;
		let sum = 0, whole = true;
		for (let i = 0; i < self.length; i++) { const w = self[i]; sum += w; if (!(w >= 0 && w === Math.floor(w))) whole = false; }
		const total = whole && sum < 4294967296 ? new Uint32Array(n) : new Float64Array(n);
		if (touch) yield* touched(total);
		if (node) for (let i = 0; i < node.length; i++) total[node[i]] += self[i];
		else total.set(self);
		const acc = new Float64Array(tree.maxDepth + 2);
		for (let i = n - 1; i >= 0;) {
			yield;
			for (const stop = Math.max(i - STEP, -1); i > stop; i--) {
				const d = depth[i], s = total[i] + acc[d + 1];
				acc[d + 1] = 0;
				total[i] = s;
				acc[d] += s;
			}
		}
		return total;
	}
	function totalsOf(tree, self, node) {
		const g = totalsSteps(tree, self, node);
		for (;;) { const r = g.next(); if (r.done) return r.value; }
	}
	// The totals of a view without a selection, from its stacks alone: leaf nodes in tree
	// order (node) and the running sums of their weights (sum, one longer), so that a node's
	// total is the weight of the stacks whose leaf is in its subtree, two binary searches
	// (totalAt). No array per node: 12 MB for a million stacks instead of 120 MB for their 30
	// million nodes, which only the paths that walk every node (tables, sandwich) still make.
	function leafSums(self, node) {
		const m = node.length;
		let sorted = true;
		for (let i = 1; i < m && sorted; i++) if (node[i] < node[i - 1]) sorted = false;
		let order = null;
		if (!sorted) {
			order = new Int32Array(m);
			for (let i = 0; i < m; i++) order[i] = i;
			order.sort((a, b) => node[a] - node[b] || a - b);
		}
		const leaf = order ? new Int32Array(m) : node, sum = new Float64Array(m + 1);
		for (let i = 0; i < m; i++) {
			const k = order ? order[i] : i;
			if (order) leaf[i] = node[k];
			sum[i + 1] = sum[i] + self[k];
		}
		return { leaf, sum };
	}
	// The first index of a leaf at node x or after it (leaf is sorted), from index k on (the
	// answer is known to be k or after): by steps doubling from k, then halving, so that
	// nodes asked in increasing order cost the log of the distance between their answers.
	function leafIndex(leaf, x, k) {
		const m = leaf.length;
		let lo = k || 0;
		if (lo >= m || leaf[lo] >= x) return lo;
		let step = 1, hi = lo + 1;
		while (hi < m && leaf[hi] < x) { lo = hi; step *= 2; hi = lo + step; }
		if (hi > m) hi = m;
		lo++;
		while (lo < hi) { const mid = (lo + hi) >>> 1; if (leaf[mid] < x) lo = mid + 1; else hi = mid; }
		return lo;
	}
	// The work made after the page is ready yields after every STEP nodes; inSlices runs as
	// many steps per task as fit in SLICE_MS. A fresh array's pages are touched in steps too
	// (touched) before it is written at random: at a million stacks, with slices of 2 million
	// nodes and no touching, a task of 540 ms was seen while the index by name (120 MB,
	// written all over from its first slice) was made, 820 ms as the totals' array was.
	const STEP = 1 << 16, SLICE_MS = 10;
	function* touched(a) {
		for (let i = 0; i < a.length; i += STEP) { a.fill(0, i, i + STEP); yield; }
	}
	// Runs the steps of g one slice per task (so that input is served between them), then
	// done(value); done(undefined) at once when alive() turns false meanwhile.
	function inSlices(g, alive, done) {
		const step = () => {
			if (!alive()) { done(undefined); return; }
			const t0 = performance.now();
			let r;
			do r = g.next(); while (!r.done && performance.now() - t0 < SLICE_MS);
			if (r.done) done(r.value);
			else setTimeout(step, 0);
		};
		setTimeout(step, 0);
	}
	// The sizes of the subtrees under BIG nodes (the others' ends are in tree.bigEnd), a
	// byte per node, by one pass with a stack of the path, a step of nodes at a time.
	function* smallSizesSteps(tree) {
		const n = tree.n, depth = tree.depth, size = new Uint8Array(n);
		yield* touched(size);
		const path = new Int32Array(tree.maxDepth + 1);
		let sp = 0;
		for (let i = 1; i < n;) {
			yield;
			for (const stop = Math.min(i + STEP, n); i < stop; i++) {
				const d = depth[i];
				while (sp >= d) { const x = path[sp--]; if (i - x < BIG) size[x] = i - x; }
				path[++sp] = i;
			}
		}
		while (sp >= 0) { const x = path[sp--]; if (n - x < BIG) size[x] = n - x; }
		return size;
	}
	// Nodes grouped by function name (string index), built once per tree after the viewer is
	// ready, a step of nodes at a time: nodes[first[s] .. first[s+1]) have name s, in node
	// order; frameOf[s] is one frame with that name. Searches skip a match's subtree by the
	// tree's endOf. Searches made before it is done pass over the nodes instead (computeMatch).
	function* byNameSteps(tree, frameNameIdx) {
		let ns = 0;
		for (let f = 0; f < frameNameIdx.length; f++) if (frameNameIdx[f] + 1 > ns) ns = frameNameIdx[f] + 1;
		const first = new Int32Array(ns + 1), frameOf = new Int32Array(ns);
		const fr = tree.frame, n = tree.n;
		for (let i = 1; i < n;) {
			yield;
			for (const stop = Math.min(i + STEP, n); i < stop; i++) first[frameNameIdx[fr[i]] + 1]++;
		}
		for (let s = 0; s < ns; s++) first[s + 1] += first[s];
		const fill = first.slice(0, ns), nodes = new Int32Array(Math.max(n - 1, 0));
		yield* touched(nodes);
		for (let i = 1; i < n;) {
			yield;
			for (const stop = Math.min(i + STEP, n); i < stop; i++) {
				const s = frameNameIdx[fr[i]];
				frameOf[s] = fr[i];
				nodes[fill[s]++] = i;
			}
		}
		return { first, nodes, frameOf };
	}

	// ---- the flame graph component -----------------------------------------------------------
	const ROW = 16;
	class Flame {
		constructor(app, canvas, opts) {
			this.app = app;
			this.canvas = canvas;
			this.ctx = canvas.getContext("2d");
			this.icicle = !!opts.icicle;
			this.onHover = opts.onHover || (() => {});
			this.onChange = opts.onChange || (() => {});
			this.tree = null;
			this.zoom = 0;
			this.focus = -1;
			this.match = null; // Uint8Array per frame, or null
			this.matchNodes = [];
			this.fullH = 0; // the canvas's height (CSS pixels), of which the rows drawn are the bottom
			this.hidden = 0;
			this.drawn = { n: 0, node: new Int32Array(4096), x: new Float64Array(4096), w: new Float64Array(4096), d: new Int32Array(4096) };
			canvas.addEventListener("mousemove", (e) => this.hover(e));
			canvas.addEventListener("mouseleave", () => this.onHover(-1));
			canvas.addEventListener("click", (e) => {
				const n = this.at(e);
				if (n >= 0) { this.focus = n; this.zoomTo(n); this.onHover(n); }
			});
		}
		// The tree and its weights: per node, or of the leaf nodes node[i] (see totalsOf). A
		// node's total is totalAt(n): from the stacks' running sums (leafSums) when the
		// weights are the leaves', else from the totals per node; .total, the array of every
		// node's total, is made when first asked for (tables, sandwich).
		set(tree, self, extra, node) {
			this.tree = tree;
			this.weights = [self, node];
			this.arr = null; this.sums = null;
			if (node && node.length === self.length) this.sums = leafSums(self, node);
			else this.arr = totalsOf(tree, self, node);
			if (window.inflameTimings) window.inflameTimings.layout = performance.now();
			this.colour = (extra && extra.colour) || null;
			if (this.zoom >= tree.n || this.totalAt(this.zoom) <= 0) this.zoom = 0;
			if (this.focus >= tree.n) this.focus = -1;
			if (this.match) this.computeMatch();
			this.paint();
		}
		get total() { return this.arr || (this.arr = totalsOf(this.tree, this.weights[0], this.weights[1])); }
		totalAt(n) {
			if (this.arr) return this.arr[n];
			const leaf = this.sums.leaf, sum = this.sums.sum, k = leafIndex(leaf, n, 0);
			return sum[leafIndex(leaf, this.tree.endOf(n), k)] - sum[k];
		}
		// The total of node n, which is after the nodes asked before it (cur.k: the index of
		// the leaves from which to look, carried from one call to the next).
		totalFrom(n, e, cur) {
			if (this.arr) return this.arr[n];
			const leaf = this.sums.leaf, sum = this.sums.sum, k = (cur.k = leafIndex(leaf, n, cur.k));
			return sum[leafIndex(leaf, e, k)] - sum[k];
		}
		// Every node's total made between other tasks (so that later zooms and searches read
		// them from the array), then done(); done at once when they are made already, or when
		// the weights change meanwhile (the next set makes its own).
		totalsInBackground(done) {
			if (this.arr) { done(); return; }
			const w = this.weights;
			inSlices(totalsSteps(this.tree, w[0], w[1], true), () => this.weights === w, (total) => {
				if (total) this.arr = total;
				done();
			});
		}
		name(n) { return this.app.frameName(this.tree.frame[n]); }
		// A node's own weight: its total less its children's.
		selfOf(n) {
			const t = this.tree;
			let s = this.totalAt(n);
			for (let c = n + 1, e = t.endOf(n); c < e; c = t.endOf(c)) s -= this.totalAt(c);
			return s;
		}
		zoomTo(n) {
			this.zoom = n;
			if (this.match) this.computeMatch();
			this.paint();
			this.onChange();
		}
		paint() {
			const t = this.tree, ctx = this.ctx, cv = this.canvas;
			const cssW = Math.max(200, cv.parentElement.clientWidth - 2);
			const z = this.zoom, zt = this.totalAt(z);
			// First pass: collect the frames to draw (wider than half a pixel).
			const dr = this.drawn;
			dr.n = 0;
			const scale = zt > 0 ? cssW / zt : 0;
			const push = (node, px, pw, d) => {
				if (dr.n === dr.node.length) {
					const m = dr.n * 2;
					const grow = (a, C) => { const b = new C(m); b.set(a); return b; };
					dr.node = grow(dr.node, Int32Array); dr.x = grow(dr.x, Float64Array);
					dr.w = grow(dr.w, Float64Array); dr.d = grow(dr.d, Int32Array);
				}
				dr.node[dr.n] = node; dr.x[dr.n] = px; dr.w[dr.n] = pw; dr.d[dr.n] = d; dr.n++;
			};
			let maxD = 0;
			// Ancestors of the zoomed frame, full width.
			for (let a = z; a > 0; a = parentOf(t, a)) { push(a, 0, cssW, t.depth[a] - 1); }
			if (zt > 0) {
				// Depth-first over frames at least half a pixel wide (their children are
				// narrower, so a narrow frame ends its branch); x from the zoomed frame's left
				// edge, each child right of the ones before it. The children after the last one
				// that can be half a pixel wide (their parent's total less the children's before
				// them) are not visited: at a million stacks a paint of the root visited 40%
				// fewer nodes. wst holds the totals of the frames on the stack.
				let stack = this.stackBuf || (this.stackBuf = new Int32Array(1024));
				let xst = this.xBuf || (this.xBuf = new Float64Array(1024));
				let wst = this.wBuf || (this.wBuf = new Float64Array(1024));
				let sp = 0;
				const depth = t.depth, arr = this.arr, sums = this.sums;
				// Each child's weight: from the totals per node, or from the running sums of
				// the stacks between its first node and the next child's.
				const kidsOf = (p, px, rest) => {
					let k = arr ? 0 : leafIndex(sums.leaf, p + 1, 0);
					for (let c = p + 1, e = t.endOf(p); c < e && rest * scale >= 0.5;) {
						const ce = t.endOf(c);
						let tc;
						if (arr) tc = arr[c];
						else { const k2 = leafIndex(sums.leaf, ce, k); tc = sums.sum[k2] - sums.sum[k]; k = k2; }
						const w = tc * scale;
						if (w >= 0.5) {
							if (sp === stack.length) {
								const b = new Int32Array(sp * 2); b.set(stack); stack = this.stackBuf = b;
								const bx = new Float64Array(sp * 2); bx.set(xst); xst = this.xBuf = bx;
								const bw = new Float64Array(sp * 2); bw.set(wst); wst = this.wBuf = bw;
							}
							stack[sp] = c; wst[sp] = tc; xst[sp++] = px;
						}
						px += w;
						rest -= tc;
						c = ce;
					}
				};
				kidsOf(z, 0, zt);
				while (sp > 0) {
					const c = stack[--sp], px = xst[sp], tc = wst[sp];
					const d = depth[c] - 1;
					if (d > maxD) maxD = d;
					push(c, px, tc * scale, d);
					kidsOf(c, px, tc);
				}
			}
			if (t.depth[z] - 1 > maxD) maxD = t.depth[z] - 1;
			this.lastDepth = maxD;
			const rows = Math.min(maxD + 2, Math.floor(30000 / ROW));
			const cssH = rows * ROW;
			const dpr = window.devicePixelRatio || 1;
			// The canvas only grows (but for a new width): a resize gives it a fresh backing
			// store, which cost a zoom on a 10-minute dump's page 100-400 ms. The rows drawn
			// are its bottom cssH pixels; a negative top margin hides the rest (its box clips).
			const PW = Math.round(cssW * dpr);
			if (cv.width !== PW || this.fullH < cssH) {
				this.fullH = cv.width !== PW ? cssH : Math.max(cssH, this.fullH);
				cv.width = PW; cv.height = Math.round(this.fullH * dpr);
				cv.style.width = cssW + "px"; cv.style.height = this.fullH + "px";
			}
			const hidden = this.fullH - cssH;
			if (hidden !== this.hidden) { cv.style.marginTop = hidden ? -hidden + "px" : ""; this.hidden = hidden; }
			this.cssW = cssW; this.cssH = cssH; this.rows = rows;
			ctx.setTransform(1, 0, 0, 1, 0, 0);
			const names = this.app.names, nameIdx = this.app.frameNameIdx;
			const fr = t.frame;
			const m = this.match;
			const nAnc = this.ancestorsCount();
			const colours = this.app.colours || (this.app.colours = new Map());
			const colourOf = (node) => {
				if (m && m[fr[node]]) return MATCH;
				if (this.colour) return this.colour(node);
				const si = nameIdx[fr[node]];
				let c = colours.get(si);
				if (c === undefined) { c = warm(names[si]); colours.set(si, c); }
				return c;
			};
			// Frames under 2 px wide are written straight into the pixels (one fillRect each
			// costs more than the frame is worth), the wider ones drawn over them with labels.
			const PH = cv.height, top = Math.min(PH, Math.round(hidden * dpr));
			const direct = PW * PH <= 16e6;
			if (direct) {
				// The pixels are kept from one paint to the next: a fresh 5 MB buffer per
				// zoom or search cost tens of ms in page faults.
				let img = this.img;
				if (!img || img.width !== PW || img.height !== PH) img = this.img = ctx.createImageData(PW, PH);
				const px32 = this.px32 && this.px32.buffer === img.data.buffer ? this.px32 : (this.px32 = new Uint32Array(img.data.buffer));
				px32.fill(0xffffffff, top * PW, PH * PW);
				const rowPx = Math.max(1, Math.round((ROW - 1) * dpr));
				for (let i = 0; i < dr.n; i++) {
					const pw = dr.w[i], d = dr.d[i];
					if (pw >= 2 || d >= rows) continue;
					const c = colourOf(dr.node[i]);
					const abgr = (0xff000000 | ((c & 255) << 16) | (c & 0xff00) | (c >>> 16)) >>> 0;
					const x0 = Math.floor(dr.x[i] * dpr);
					const x1 = Math.max(x0 + 1, Math.floor((dr.x[i] + pw - 0.5) * dpr));
					const y0 = Math.round(this.yOf(d) * dpr);
					for (let y = y0; y < y0 + rowPx && y < PH; y++) {
						const o = y * PW;
						for (let x = x0; x < x1 && x < PW; x++) px32[o + x] = abgr;
					}
				}
				ctx.putImageData(img, 0, 0, 0, top, PW, PH - top);
			}
			ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
			if (!direct) { ctx.fillStyle = "#fff"; ctx.fillRect(0, hidden, cssW, cssH); }
			ctx.font = "11px sans-serif";
			ctx.textBaseline = "middle";
			const charW = this.charW || (this.charW = ctx.measureText("abcdefghijklmnopqrstuvwxyz").width / 26);
			let lastFill = null, lastAlpha = 1;
			for (let i = 0; i < dr.n; i++) {
				const node = dr.node[i], d = dr.d[i];
				const px = dr.x[i], pw = dr.w[i];
				if (d >= rows || (direct && pw < 2 && node !== this.focus)) continue;
				const y = this.yOf(d);
				const faded = i > 0 && i < nAnc;
				const fill = css(colourOf(node));
				if (fill !== lastFill) { ctx.fillStyle = fill; lastFill = fill; }
				const alpha = faded ? 0.6 : 1;
				if (alpha !== lastAlpha) { ctx.globalAlpha = alpha; lastAlpha = alpha; }
				ctx.fillRect(px, y, Math.max(pw - 0.5, 0.5), ROW - 1);
				if (node === this.focus) {
					ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
					ctx.strokeRect(px + 1, y + 1, Math.max(pw - 2.5, 1), ROW - 3);
				}
				if (pw > charW * 3 + 6) {
					const nm = names[nameIdx[fr[node]]];
					const maxc = Math.floor((pw - 6) / charW);
					const label = nm.length <= maxc ? nm : nm.slice(0, Math.max(maxc - 2, 1)) + "..";
					ctx.fillStyle = lastFill = "#000";
					ctx.fillText(label, px + 3, y + ROW / 2);
				}
			}
			ctx.globalAlpha = 1;
			this.painted = performance.now();
		}
		ancestorsCount() {
			let c = 0;
			for (let a = this.zoom; a > 0; a = parentOf(this.tree, a)) c++;
			return c;
		}
		// The top of row d in the canvas (rows of the hidden part above: see paint).
		yOf(d) { return this.hidden + (this.icicle ? d : this.rows - 1 - d) * ROW; }
		at(e) {
			const r = this.canvas.getBoundingClientRect();
			const px = e.clientX - r.left, py = e.clientY - r.top;
			const r0 = Math.floor((py - this.hidden) / ROW);
			const d = this.icicle ? r0 : this.rows - 1 - r0;
			const dr = this.drawn;
			for (let i = 0; i < dr.n; i++) {
				if (dr.d[i] === d && px >= dr.x[i] && px < dr.x[i] + dr.w[i]) return dr.node[i];
			}
			return -1;
		}
		hover(e) { this.onHover(this.at(e)); }
		// Drawn position of a node (for tests and keyboard), or null.
		rectOf(n) {
			const dr = this.drawn;
			for (let i = 0; i < dr.n; i++) if (dr.node[i] === n) {
				return { x: dr.x[i], y: this.yOf(dr.d[i]), w: dr.w[i], h: ROW };
			}
			return null;
		}
		setSearch(re) {
			if (!re) { this.match = null; this.matchNodes = []; this.paint(); return null; }
			const names = this.app.names, fr = this.app.frameNameIdx;
			// Each name tested once: byName[s] is 1 + whether name s matches, 0 untested.
			const byName = new Uint8Array(names.length);
			const m = new Uint8Array(fr.length);
			for (let f = 0; f < fr.length; f++) {
				const si = fr[f];
				let v = byName[si];
				if (v === 0) { re.lastIndex = 0; v = byName[si] = re.test(names[si]) ? 2 : 1; }
				m[f] = v - 1;
			}
			this.match = m;
			const share = this.computeMatch();
			this.paint();
			return share;
		}
		// Matched weight within the zoomed frame: topmost matches only (nested counted once),
		// by subtree ranges (see byNameSteps).
		computeMatch() {
			const t = this.tree, m = this.match, z = this.zoom;
			const nodes = [];
			let sum = 0;
			// The index by name is built once the viewer is ready (for the main flame graph);
			// until then, and for the sandwich's, one pass over the zoomed frame's nodes.
			const idx = t.byName || null;
			let cand = 0;
			const names = [];
			for (let si = 0; idx && si + 1 < idx.first.length; si++) {
				const k = idx.first[si + 1] - idx.first[si];
				if (k && m[idx.frameOf[si]]) { cand += k; names.push(si); }
			}
			if (z > 0 && m[t.frame[z]]) { sum = this.totalAt(z); nodes.push(z); }
			else {
				// Topmost matches in index order, each one's subtree skipped: from the few
				// candidates of the index by name, put in order by a bit per node (a sort of
				// a million stacks' 250 thousand candidates cost 7-45 ms, the bits 1-2 ms),
				// or by one pass over the zoomed frame's nodes when candidates are many.
				const lo = z + 1, hi = t.endOf(z);
				if (idx && cand * 16 < hi - lo) {
					const bits = t.candBits || (t.candBits = new Int32Array((t.n + 31) >>> 5));
					for (const si of names) {
						for (let j = idx.first[si]; j < idx.first[si + 1]; j++) {
							const v = idx.nodes[j];
							if (v >= lo && v < hi) bits[v >>> 5] |= 1 << (v & 31);
						}
					}
					// Each word is read and cleared (the bits are kept for the next search).
					const cur = { k: 0 };
					let covered = lo;
					for (let wi = lo >>> 5, we = (hi + 31) >>> 5; wi < we; wi++) {
						let word = bits[wi];
						if (word === 0) continue;
						bits[wi] = 0;
						for (; word !== 0; word &= word - 1) {
							const v = (wi << 5) + 31 - Math.clz32(word & -word);
							if (v < covered) continue;
							const e = t.endOf(v), w = this.totalFrom(v, e, cur);
							if (w > 0) { sum += w; nodes.push(v); covered = e; }
						}
					}
				} else {
					const fr = t.frame, cur = { k: 0 };
					for (let i = lo; i < hi;) {
						if (m[fr[i]]) {
							const e = t.endOf(i), w = this.totalFrom(i, e, cur);
							if (w > 0) { sum += w; nodes.push(i); i = e; continue; }
						}
						i++;
					}
				}
			}
			this.matchNodes = nodes; // put in left-to-right order when first stepped through
			this.matchSorted = false;
			this.matchSum = sum;
			const zt = this.totalAt(z);
			return zt > 0 ? sum / zt : 0;
		}
		stepMatch(dir) {
			const l = this.matchNodes, t = this.tree;
			if (!l.length) return;
			if (!this.matchSorted) {
				l.sort((a, b) => a - b); // depth first: left to right, a frame before its callees
				this.matchSorted = true;
			}
			let i = l.indexOf(this.focus);
			i = i < 0 ? (dir > 0 ? 0 : l.length - 1) : (i + dir + l.length) % l.length;
			this.focus = l[i];
			this.paint();
			this.onHover(this.focus);
		}
		// Arrow keys: up/down to the parent or the widest child, left/right to the neighbour
		// frame of the same depth.
		move(key) {
			const t = this.tree;
			let f = this.focus;
			if (f <= 0) f = this.zoom > 0 ? this.zoom : this.widestChild(0);
			else {
				const towardRoot = this.icicle ? "ArrowUp" : "ArrowDown";
				const towardLeaf = this.icicle ? "ArrowDown" : "ArrowUp";
				if (key === towardRoot && parentOf(t, f) > 0) f = parentOf(t, f);
				else if (key === towardLeaf) { const c = this.widestChild(f); if (c >= 0) f = c; }
				else if (key === "ArrowLeft" || key === "ArrowRight") {
					const dr = this.drawn, d = t.depth[f] - 1, r = this.rectOf(f);
					let best = -1, bx = key === "ArrowLeft" ? -Infinity : Infinity;
					const fx = r ? r.x : 0;
					for (let i = 0; i < dr.n && r; i++) {
						if (dr.d[i] !== d) continue;
						const nx = dr.x[i];
						if (key === "ArrowLeft" && nx < fx && nx > bx) { bx = nx; best = dr.node[i]; }
						if (key === "ArrowRight" && nx > fx && nx < bx) { bx = nx; best = dr.node[i]; }
					}
					if (best >= 0) f = best;
				}
			}
			if (f > 0) { this.focus = f; this.paint(); this.onHover(f); }
		}
		widestChild(p) {
			const t = this.tree;
			let best = -1, bw = 0;
			for (let c = p + 1, e = t.endOf(p); c < e; c = t.endOf(c)) {
				const w = this.totalAt(c);
				if (w > bw) { bw = w; best = c; }
			}
			return best;
		}
	}

	// ---- the application ---------------------------------------------------------------------
	class App {
		constructor(data) {
			this.data = data;
			this.names = data.strings;
			const F = data.frames;
			this.frameNameIdx = new Int32Array(F.name);
			this.frameModule = F.module; this.frameFile = F.file; this.frameLine = F.line;
			// Name ranks: frames ordered by name so that siblings are laid out alphabetically.
			const used = Array.from(new Set(F.name));
			used.sort((a, b) => (this.names[a] < this.names[b] ? -1 : this.names[a] > this.names[b] ? 1 : 0));
			const rankOfString = new Map();
			used.forEach((s, i) => rankOfString.set(s, i));
			const rank = new Int32Array(F.name.length + 1);
			for (let f = 0; f < F.name.length; f++) rank[f] = rankOfString.get(F.name[f]);
			this.nameRank = rank;
			// The root's frame is -1; point it to an extra slot so typed lookups stay in range.
			// The tree from "depth" (inflame html: depth first, siblings in name order), else
			// from "parent" or "parent_delta" (node index minus parent index), put in that
			// order when it is not (node indexes of the views then renumbered).
			// Decoded arrays are typed already: they are converted in place, not copied.
			const N = data.nodes, nf = F.name.length;
			let frame = N.frame instanceof Int32Array ? N.frame : ArrayBuffer.isView(N.frame) ? N.frame : new Int32Array(N.frame);
			frame[0] = nf;
			if (frame[0] !== nf) { frame = Int32Array.from(frame); frame[0] = nf; } // a type too narrow for it
			this.frameNameIdx = new Int32Array(nf + 1);
			this.frameNameIdx.set(F.name);
			const T = window.inflameTimings || {};
			T.ranks = performance.now();
			if (N.depth) this.tree = treeFromDepth(N.depth, frame, null);
			else {
				let parent;
				if (N.parent_delta) {
					const d = N.parent_delta;
					parent = d instanceof Int32Array ? d : new Int32Array(d.length);
					for (let i = d.length - 1; i > 0; i--) parent[i] = i - d[i];
					parent[0] = -1;
				} else parent = new Int32Array(N.parent);
				if (parent.length !== frame.length) throw new Error("the call tree's arrays differ in length");
				for (let i = 1; i < parent.length; i++) if (!(parent[i] >= 0 && parent[i] < i)) throw new Error("a node's parent is not before it");
				this.tree = makeTree(parent, frame, rank);
				const m = this.tree.remap;
				if (m) {
					const renumber = (a) => { if (!a) return a; const b = new Int32Array(a.length); for (let i = 0; i < a.length; i++) b[i] = m[a[i]]; return b; };
					for (const v of data.views) {
						v.stack_node = renumber(v.stack_node);
						if (v.samples) v.samples.node = renumber(v.samples.node);
					}
					if (data.diff) data.diff.base_stack_node = renumber(data.diff.base_stack_node);
				}
			}
			T.tree = performance.now();
			this.threads = data.threads || [];
			this.views = data.views.map((v, i) => this.prepareView(v, i));
			T.views = performance.now();
			this.viewIndex = data.diff ? (data.diff.view | 0) : 0;
			this.range = null; // [t0, t1] ns since start
			this.threadSel = null; // Set of thread indexes
			this.liveAtEnd = false;
			this.pane = "flame";
		}
		frameName(f) { return this.names[this.frameNameIdx[f]]; }
		// A view's self weights and samples are made when first used (the view shown, a
		// selection): a page opens on one view and need not pay for the others.
		prepareView(v, index) {
			const n = this.tree.n;
			const pv = { src: v, index, name: v.name, unit: v.unit, seconds_per_sample: v.seconds_per_sample || 0 };
			const lazy = (key, make) => Object.defineProperty(pv, key, {
				configurable: true, enumerable: true,
				get() { const val = make(); Object.defineProperty(pv, key, { value: val, enumerable: true }); return val; },
			});
			const has = v.samples && v.samples.node && v.samples.node.length;
			lazy("samples", () => {
				if (!has) return null;
				const s = v.samples, m = s.node.length;
				const time = new Float64Array(m);
				let acc = 0;
				for (let i = 0; i < m; i++) { acc += s.time[i]; time[i] = acc; }
				const typed = (a, C) => (ArrayBuffer.isView(a) ? a : new C(a));
				return {
					m, node: typed(s.node, Int32Array), weight: typed(s.weight, Float64Array), time,
					thread: typed(s.thread, Int32Array),
					freed: s.freed ? typed(s.freed, Float64Array) : null,
				};
			});
			pv.hasSamples = !!has;
			pv.hasFreed = !!(has && v.samples.freed);
			return pv;
		}
		get view() { return this.views[this.viewIndex]; }
		// The weights of the current view under the current selection, as totalsOf takes them:
		// [weights of the leaf nodes, the nodes] without a selection, else [self per node].
		selectedSelf() {
			const v = this.view;
			if (!v.hasSamples || (!this.range && !this.threadSel)) return [v.src.stack_weight, v.src.stack_node];
			const s = v.samples, self = new Float64Array(this.tree.n);
			const r = this.range, ts = this.threadSel;
			const t0 = r ? r[0] : -Infinity, t1 = r ? r[1] : Infinity;
			const live = this.liveAtEnd && s.freed;
			const end = r ? r[1] : Infinity;
			for (let i = 0; i < s.m; i++) {
				const t = s.time[i];
				if (t < t0 || t >= t1) continue;
				if (ts && !ts.has(s.thread[i])) continue;
				if (live && s.freed[i] >= 0 && s.freed[i] < end) continue;
				self[s.node[i]] += s.weight[i];
			}
			return [self, null];
		}
		mount(root) {
			root.textContent = "";
			if (!document.getElementById("ifl-style")) {
				const style = el("style", { id: "ifl-style" });
				style.textContent = CSS;
				document.head.appendChild(style);
			}
			const app = el("div", { id: "inflame-app" });
			root.appendChild(app);
			app.appendChild(el("div", { id: "ifl-title" }, this.data.title || "inflame"));
			// View tabs.
			const tabs = el("div", { class: "ifl-bar", id: "ifl-views" });
			this.views.forEach((v, i) => {
				const b = el("button", { class: "ifl-tab", "data-view": v.name }, v.name + (this.data.diff && i === (this.data.diff.view | 0) ? " (diff)" : ""));
				b.addEventListener("click", () => this.setView(i));
				tabs.appendChild(b);
			});
			app.appendChild(tabs);
			// Timeline.
			const tl = el("div", { id: "ifl-timeline-box" });
			this.tlCanvas = el("canvas", { id: "ifl-timeline" });
			this.heatCanvas = el("canvas", { id: "ifl-heat" });
			tl.appendChild(this.tlCanvas);
			tl.appendChild(el("div", { id: "ifl-heat-title" }, "Sub-second heat map: a column per second, a row per 20 ms (drag to select)"));
			tl.appendChild(this.heatCanvas);
			app.appendChild(tl);
			this.tlBox = tl;
			const selbar = el("div", { class: "ifl-bar", id: "ifl-selbar" });
			this.selText = el("span", { id: "ifl-selection" }, "");
			const clearSel = el("button", { id: "ifl-clear-selection" }, "Clear selection");
			clearSel.addEventListener("click", () => { this.range = null; this.threadSel = null; this.refresh(); });
			const liveLab = el("label", { id: "ifl-live-label" });
			this.liveBox = el("input", { type: "checkbox", id: "ifl-live" });
			this.liveBox.addEventListener("change", () => { this.liveAtEnd = this.liveBox.checked; this.refresh(); });
			liveLab.appendChild(this.liveBox);
			liveLab.appendChild(document.createTextNode(" only what is still live at the range's end"));
			selbar.append(this.selText, clearSel, liveLab);
			app.appendChild(selbar);
			// Pane tabs and tools.
			const bar = el("div", { class: "ifl-bar" });
			for (const [id, label] of [["flame", "Flame graph"], ["topdown", "Top-down"], ["bottomup", "Bottom-up"], ["sandwich", "Sandwich"]]) {
				const b = el("button", { class: "ifl-tab ifl-pane-tab", "data-pane": id }, label);
				b.addEventListener("click", () => this.setPane(id));
				bar.appendChild(b);
			}
			const mk = (id, label, fn) => { const b = el("button", { id }, label); b.addEventListener("click", fn); bar.appendChild(b); return b; };
			mk("ifl-reset", "Reset zoom", () => { this.flame.focus = -1; this.flame.zoomTo(0); });
			mk("ifl-toggle", "Flame / icicle", () => { this.flame.icicle = !this.flame.icicle; this.flame.paint(); });
			this.search = el("input", { id: "ifl-search", placeholder: "search (regex)", size: 24 });
			this.search.addEventListener("input", () => this.runSearch());
			bar.appendChild(this.search);
			const icLab = el("label");
			this.ic = el("input", { type: "checkbox", id: "ifl-ic" });
			this.ic.addEventListener("change", () => this.runSearch());
			icLab.append(this.ic, document.createTextNode(" ignore case"));
			bar.appendChild(icLab);
			mk("ifl-prev", "Prev", () => this.flame.stepMatch(-1));
			mk("ifl-next", "Next", () => this.flame.stepMatch(1));
			this.matched = el("span", { id: "ifl-matched" }, "");
			bar.appendChild(this.matched);
			mk("ifl-copy", "Copy stack", () => this.copyStack());
			mk("ifl-open-sandwich", "Sandwich of frame", () => { if (this.flame.focus > 0) this.openSandwich(this.tree.frame[this.flame.focus]); });
			app.appendChild(bar);
			this.crumbs = el("div", { id: "ifl-crumbs", class: "ifl-bar" });
			app.appendChild(this.crumbs);
			this.details = el("div", { id: "ifl-details" }, " ");
			app.appendChild(this.details);
			this.status = el("div", { id: "ifl-status" }, "");
			app.appendChild(this.status);
			// Flame graph.
			const fb = el("div", { id: "ifl-flame-box" });
			this.flameCanvas = el("canvas", { id: "ifl-flame" });
			fb.appendChild(this.flameCanvas);
			app.appendChild(fb);
			this.flameBox = fb;
			// Tables and sandwich.
			this.tableBox = el("div", { id: "ifl-table-box", class: "ifl-hidden" });
			app.appendChild(this.tableBox);
			this.sandBox = el("div", { id: "ifl-sandwich", class: "ifl-hidden" });
			this.sandTitle = el("div", { class: "ifl-sandwich-title", id: "ifl-sandwich-title" }, "Pick a frame in the flame graph or a row of a table, then Sandwich.");
			this.sandBox.appendChild(this.sandTitle);
			this.sandBox.appendChild(el("div", {}, "Callers (merged, the function at the bottom)"));
			this.callersCanvas = el("canvas", { id: "ifl-callers" });
			this.sandBox.appendChild(el("div", { class: "ifl-cv-box" })).appendChild(this.callersCanvas);
			this.sandBox.appendChild(el("div", {}, "Callees (merged, the function at the top)"));
			this.calleesCanvas = el("canvas", { id: "ifl-callees" });
			this.sandBox.appendChild(el("div", { class: "ifl-cv-box" })).appendChild(this.calleesCanvas);
			app.appendChild(this.sandBox);
			this.help = el("div", { id: "ifl-help", class: "ifl-hidden" },
				"Keys\n  /        search\n  n, N     next / previous match\n  Esc      clear the search, then the zoom, then the selection\n" +
				"  arrows   move between frames (up/down: parent/child, left/right: neighbours)\n  Enter    zoom into the focused frame\n" +
				"  s        sandwich of the focused frame\n  c        copy the focused frame's stack\n  ?        this help\n\n" +
				"Mouse\n  click a frame to zoom; the breadcrumb goes back up\n  drag on the timeline or heat map to select a time range\n" +
				"  click a thread's lane to select it (shift-click adds threads)");
			app.appendChild(this.help);

			this.flame = new Flame(this, this.flameCanvas, {
				onHover: (n) => this.showDetails(n),
				onChange: () => { this.updateCrumbs(); this.updateMatched(); },
			});
			this.setupTimeline();
			document.addEventListener("keydown", (e) => this.key(e));
			window.addEventListener("resize", () => { this.flame.paint(); this.paintTimeline(); });
			this.setView(this.viewIndex, true);
		}
		setView(i, first) {
			this.viewIndex = i;
			document.querySelectorAll(".ifl-tab[data-view]").forEach((b, k) => b.classList.toggle("on", k === i));
			const v = this.view;
			this.tlBox.classList.toggle("ifl-hidden", !v.hasSamples);
			document.getElementById("ifl-live-label").classList.toggle("ifl-hidden", !v.hasFreed);
			this.refresh(first);
		}
		// Shows pane id (painted: the flame graph on it is up to date already).
		setPane(id, painted) {
			this.pane = id;
			document.querySelectorAll(".ifl-pane-tab").forEach((b) => b.classList.toggle("on", b.dataset.pane === id));
			this.flameBox.classList.toggle("ifl-hidden", id !== "flame");
			this.tableBox.classList.toggle("ifl-hidden", id !== "topdown" && id !== "bottomup");
			this.sandBox.classList.toggle("ifl-hidden", id !== "sandwich");
			if (id === "flame") { if (!painted) this.flame.paint(); }
			else if (id === "topdown" || id === "bottomup") this.renderTable();
			else if (id === "sandwich") this.renderSandwich();
		}
		// Recompute the selection's weights and everything drawn from them.
		refresh(first) {
			const [self, nodes] = this.selectedSelf();
			let extra = null;
			if (this.data.diff && this.viewIndex === (this.data.diff.view | 0)) extra = { colour: this.diffColour(self, nodes) };
			this.flame.set(this.tree, self, extra, nodes);
			if (first && window.inflameTimings) window.inflameTimings.set = performance.now();
			if (first) { this.firstPaint = performance.now(); performance.mark("inflame-painted"); }
			this.updateCrumbs();
			this.updateSelectionText();
			if (this.search.value) this.runSearch();
			this.updateStatus();
			const later = () => {
				this.paintTimeline();
				if (this.pane !== "flame") this.setPane(this.pane);
				else if (first) this.setPane("flame", true);
			};
			// After the first paint: the timeline; then the viewer is ready (every pane, the
			// timeline, zoom and search work: window.inflameTimings.ready), and it indexes the
			// tree in slices between other tasks (indexInBackground).
			if (first) {
				requestAnimationFrame(() => setTimeout(() => {
					later();
					this.ready = performance.now();
					if (window.inflameTimings) window.inflameTimings.ready = this.ready;
					this.indexInBackground();
				}, 0));
			} else later();
		}
		// The subtrees' sizes (ends at once), every node's total, then the index by name that
		// makes searches of few frames faster; .indexed once all are made. Each is a slice of
		// nodes per task, so that input is served meanwhile (a search, zoom or hover waits for
		// one slice at most) and gives the same answer as after, from what is made so far.
		indexInBackground() {
			const t = this.tree, T = window.inflameTimings, alive = () => this.tree === t;
			inSlices(smallSizesSteps(t), alive, (size) => {
				if (size) t.size = size;
				if (T) T.sized = performance.now();
				this.flame.totalsInBackground(() => {
					if (T) T.totals = performance.now();
					inSlices(byNameSteps(t, this.frameNameIdx), alive, (idx) => {
						if (idx) t.byName = idx;
						this.indexed = performance.now();
						if (T) T.byName = T.indexed = this.indexed;
					});
				});
			});
		}
		updateStatus() {
			const v = this.view, tot = this.flame.totalAt(0);
			let s = "Total: " + fmtValue(v, tot);
			if (this.data.diff && this.viewIndex === (this.data.diff.view | 0)) {
				s += "; base " + fmtValue(v, this.diffBaseTotal[0]) + " (" + (this.data.diff.base_name || "before") + " -> " + (this.data.diff.after_name || "after") + "; red grew, blue shrank)";
			}
			this.status.textContent = s;
			this.status.dataset.total = String(tot);
		}
		// Differential colours: red where the share grew, blue where it shrank, by normalised share.
		diffColour(self, nodes) {
			const d = this.data.diff, n = this.tree.n;
			const btot = totalsOf(this.tree, d.base_stack_weight, d.base_stack_node), atot = totalsOf(this.tree, self, nodes);
			this.diffBaseTotal = btot;
			const bt = btot[0] || 1, at = atot[0] || 1;
			const delta = new Float64Array(n);
			let maxAbs = 0;
			for (let i = 1; i < n; i++) {
				delta[i] = atot[i] / at - btot[i] / bt;
				if (Math.abs(delta[i]) > maxAbs) maxAbs = Math.abs(delta[i]);
			}
			this.diffDelta = delta;
			return (node) => {
				const v = maxAbs > 0 ? delta[node] / maxAbs : 0;
				const k = Math.round(255 * (1 - Math.min(Math.abs(v), 1)));
				return v > 0 ? 0xff0000 | (k << 8) | k : v < 0 ? (k << 16) | (k << 8) | 0xff : 0xffffff;
			};
		}
		showDetails(n) {
			if (n < 0 && this.flame.focus > 0) n = this.flame.focus;
			if (n < 0) { this.details.textContent = " "; return; }
			const f = this.flame, t = this.tree, fr = t.frame[n], v = this.view;
			const mod = this.names[this.frameModule[fr]] || "";
			const file = this.names[this.frameFile[fr]] || "";
			const line = this.frameLine[fr] || 0;
			const all = f.totalAt(0), tn = f.totalAt(n), self = f.selfOf(n);
			let s = this.frameName(fr) + (mod ? "  [" + mod + "]" : "") +
				"\nself " + fmtValue(v, self) + " (" + pct(self, all) + ")" +
				"  total " + fmtValue(v, tn) + " (" + pct(tn, all) + ")";
			if (this.diffDelta && this.data.diff && this.viewIndex === (this.data.diff.view | 0)) {
				const d = this.diffDelta[n] * 100;
				s += "  base " + fmtValue(v, this.diffBaseTotal[n]) + "  delta " + (d >= 0 ? "+" : "") + d.toFixed(2) + "%";
			}
			if (file) s += "\n" + file + (line ? ":" + line : "");
			this.details.textContent = s;
			this.details.dataset.node = String(n);
		}
		updateCrumbs() {
			const c = this.crumbs;
			c.textContent = "";
			const path = [];
			for (let a = this.flame.zoom; a > 0; a = parentOf(this.tree, a)) path.push(a);
			const all = el("button", { "data-node": "0" }, "all");
			all.addEventListener("click", () => this.flame.zoomTo(0));
			c.appendChild(all);
			for (let i = path.length - 1; i >= 0; i--) {
				const a = path[i];
				c.appendChild(document.createTextNode(" > "));
				const b = el("button", { "data-node": String(a) }, this.frameName(this.tree.frame[a]));
				b.addEventListener("click", () => this.flame.zoomTo(a));
				c.appendChild(b);
			}
		}
		runSearch() {
			const q = this.search.value;
			if (!q) { this.flame.setSearch(null); this.matched.textContent = ""; return; }
			let re;
			try { re = new RegExp(q, this.ic.checked ? "i" : ""); } catch (e) { this.matched.textContent = "bad regex"; return; }
			this.flame.setSearch(re);
			this.updateMatched();
		}
		updateMatched() {
			if (!this.flame.match) { this.matched.textContent = ""; return; }
			const f = this.flame;
			const zt = f.totalAt(f.zoom), share = zt > 0 ? f.matchSum / zt : 0;
			this.matched.textContent = "Matched: " + (100 * share).toFixed(1) + "% (" + fmtValue(this.view, f.matchSum) + ", " + f.matchNodes.length + " frames)";
			this.matched.dataset.share = String(share);
		}
		stackText(n) {
			const lines = [];
			for (let a = n; a > 0; a = parentOf(this.tree, a)) lines.push(this.frameName(this.tree.frame[a]));
			return lines.join("\n");
		}
		copyStack() {
			const n = this.flame.focus;
			if (n <= 0) return;
			const text = this.stackText(n);
			this.lastCopied = text;
			if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).catch(() => this.copyFallback(text));
			else this.copyFallback(text);
		}
		copyFallback(text) {
			const ta = el("textarea");
			ta.value = text;
			document.body.appendChild(ta);
			ta.select();
			try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
			ta.remove();
		}
		key(e) {
			if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA")) {
				if (e.key === "Escape") { e.target.value = ""; this.runSearch(); e.target.blur(); }
				else if (e.key === "Enter" && e.target === this.search) this.flame.stepMatch(e.shiftKey ? -1 : 1);
				return;
			}
			const f = this.flame;
			switch (e.key) {
			case "/": e.preventDefault(); this.setPane(this.pane === "flame" ? "flame" : this.pane); this.search.focus(); break;
			case "?": this.help.classList.toggle("ifl-hidden"); break;
			case "Escape":
				if (!this.help.classList.contains("ifl-hidden")) this.help.classList.add("ifl-hidden");
				else if (this.search.value) { this.search.value = ""; this.runSearch(); }
				else if (f.zoom !== 0 || f.focus > 0) { f.focus = -1; f.zoomTo(0); }
				else if (this.range || this.threadSel) { this.range = null; this.threadSel = null; this.refresh(); }
				break;
			case "n": f.stepMatch(1); break;
			case "N": f.stepMatch(-1); break;
			case "Enter": if (f.focus > 0) f.zoomTo(f.focus); break;
			case "c": this.copyStack(); break;
			case "s": if (f.focus > 0) this.openSandwich(this.tree.frame[f.focus]); break;
			case "ArrowUp": case "ArrowDown": case "ArrowLeft": case "ArrowRight":
				if (this.pane === "flame") { e.preventDefault(); f.move(e.key); }
				break;
			default: break;
			}
		}

		// ---- timeline, heat map, live heap ----
		setupTimeline() {
			const tc = this.tlCanvas;
			let down = null;
			const timeAt = (e) => {
				const r = tc.getBoundingClientRect();
				const x = e.clientX - r.left;
				return { x, y: e.clientY - r.top, t: Math.max(0, Math.min(1, (x - this.tlLeft) / this.tlW)) * this.span() };
			};
			tc.addEventListener("mousedown", (e) => { down = timeAt(e); down.shift = e.shiftKey; e.preventDefault(); });
			tc.addEventListener("mousemove", (e) => {
				if (!down) return;
				const p = timeAt(e);
				if (Math.abs(p.x - down.x) > 3) { this.dragRange = [Math.min(down.t, p.t), Math.max(down.t, p.t)]; this.paintTimeline(); }
			});
			window.addEventListener("mouseup", (e) => {
				if (!down) return;
				const p = timeAt(e), d0 = down;
				down = null;
				this.dragRange = null;
				if (Math.abs(p.x - d0.x) > 3) {
					this.range = [Math.round(Math.min(d0.t, p.t)), Math.round(Math.max(d0.t, p.t))];
					this.refresh();
				} else {
					const lane = Math.floor((d0.y - this.tlTop) / this.laneH);
					if (lane >= 0 && lane < this.threads.length) {
						if (d0.shift && this.threadSel) {
							const s = new Set(this.threadSel);
							if (s.has(lane)) s.delete(lane); else s.add(lane);
							this.threadSel = s.size ? s : null;
						} else if (this.threadSel && this.threadSel.size === 1 && this.threadSel.has(lane)) this.threadSel = null;
						else this.threadSel = new Set([lane]);
						this.refresh();
					}
				}
			});
			// Heat map: drag from one cell to another selects the slices between them.
			const hc = this.heatCanvas;
			let hdown = null;
			const cellAt = (e) => {
				const r = hc.getBoundingClientRect();
				const col = Math.floor((e.clientX - r.left - this.heatLeft) / this.heatCellW);
				const row = Math.floor((e.clientY - r.top) / this.heatCellH);
				const c = Math.max(0, Math.min(this.heatCols - 1, col)), w = Math.max(0, Math.min(this.heatRows - 1, row));
				return c * 1e9 + w * 2e7;
			};
			hc.addEventListener("mousedown", (e) => { hdown = cellAt(e); e.preventDefault(); });
			hc.addEventListener("mouseup", (e) => {
				if (hdown === null) return;
				const a = hdown, b = cellAt(e);
				hdown = null;
				this.range = [Math.min(a, b), Math.min(Math.max(a, b) + 2e7, this.span())];
				this.refresh();
			});
		}
		span() {
			const v = this.view;
			let d = this.data.duration_ns || 0;
			if (v.hasSamples && v.samples.m) d = Math.max(d, v.samples.time[v.samples.m - 1] + 1);
			return d || 1;
		}
		paintTimeline() {
			const v = this.view;
			if (!v.hasSamples) return;
			const s = v.samples, span = this.span();
			const cssW = Math.max(300, this.tlBox.clientWidth - 2);
			const left = 150, right = 8, laneH = 14, top = 18;
			const nt = this.threads.length;
			const heap = s.freed ? 70 : 0;
			const cssH = top + nt * laneH + heap + 6;
			const dpr = window.devicePixelRatio || 1;
			const tc = this.tlCanvas, ctx = tc.getContext("2d");
			tc.width = Math.round(cssW * dpr); tc.height = Math.round(cssH * dpr);
			tc.style.width = cssW + "px"; tc.style.height = cssH + "px";
			ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
			this.tlLeft = left; this.tlW = cssW - left - right; this.tlTop = top; this.laneH = laneH;
			ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cssW, cssH);
			ctx.font = "11px sans-serif"; ctx.textBaseline = "middle"; ctx.fillStyle = "#000";
			// Time axis: a tick per second (or a tenth when short).
			const secs = span / 1e9;
			const step = secs > 20 ? Math.ceil(secs / 20) : secs > 2 ? 1 : 0.1;
			ctx.strokeStyle = "#ddd";
			for (let t = 0; t <= secs + 1e-9; t += step) {
				const x = left + (t * 1e9 / span) * this.tlW;
				ctx.beginPath(); ctx.moveTo(x, top - 4); ctx.lineTo(x, cssH); ctx.stroke();
				ctx.fillStyle = "#555"; ctx.fillText(t.toFixed(step < 1 ? 1 : 0) + "s", x + 2, 8);
			}
			// Lanes: samples per pixel column, shade by density.
			const W = Math.max(1, Math.floor(this.tlW));
			const bins = new Float64Array(nt * W);
			let maxBin = 0;
			for (let i = 0; i < s.m; i++) {
				const b = Math.min(W - 1, Math.floor(s.time[i] / span * W));
				const k = s.thread[i] * W + b;
				const c = (bins[k] += (v.unit === "bytes" ? 1 : s.weight[i]));
				if (c > maxBin) maxBin = c;
			}
			for (let l = 0; l < nt; l++) {
				const y = top + l * laneH;
				const th = this.threads[l];
				const sel = !this.threadSel || this.threadSel.has(l);
				ctx.fillStyle = sel ? (l % 2 ? "#f4f4f4" : "#fff") : "#e0e0e0";
				ctx.fillRect(0, y, cssW, laneH);
				ctx.fillStyle = sel ? "#000" : "#999";
				const label = (this.names[th.name] || "?") + " " + th.tid + (th.exited ? " (exited)" : "");
				ctx.fillText(label.length > 24 ? label.slice(0, 23) + ".." : label, 3, y + laneH / 2);
				for (let b = 0; b < W; b++) {
					const c = bins[l * W + b];
					if (!c) continue;
					const a = 0.25 + 0.75 * c / maxBin;
					ctx.fillStyle = sel ? "rgba(200,60,20," + a + ")" : "rgba(120,120,120," + a + ")";
					ctx.fillRect(left + b * this.tlW / W, y + 2, Math.max(1, this.tlW / W), laneH - 4);
				}
			}
			if (heap) this.paintHeap(ctx, s, span, left, top + nt * laneH + 4, heap - 8);
			// Selected range (or the one being dragged).
			const r = this.dragRange || this.range;
			if (r) {
				const x0 = left + r[0] / span * this.tlW, x1 = left + r[1] / span * this.tlW;
				ctx.fillStyle = "rgba(40,90,220,0.18)"; ctx.fillRect(x0, top - 4, Math.max(1, x1 - x0), cssH - top + 4);
				ctx.strokeStyle = "rgba(40,90,220,0.9)"; ctx.strokeRect(x0, top - 4, Math.max(1, x1 - x0), cssH - top + 4);
			}
			this.paintHeat(s, span);
		}
		// The live heap over time from the allocation and free times, peak marked.
		paintHeap(ctx, s, span, left, y0, h) {
			const frees = [];
			for (let i = 0; i < s.m; i++) if (s.freed[i] >= 0) frees.push(i);
			frees.sort((a, b) => s.freed[a] - s.freed[b]);
			const W = Math.max(1, Math.floor(this.tlW));
			const level = new Float64Array(W);
			let live = 0, peak = 0, peakT = 0, i = 0, j = 0;
			// Merge allocations (in time order) and frees (sorted) into a level per column.
			for (let b = 0; b < W; b++) {
				const tEnd = (b + 1) / W * span;
				let colMax = live;
				while (i < s.m || j < frees.length) {
					const ta = i < s.m ? s.time[i] : Infinity;
					const tf = j < frees.length ? s.freed[frees[j]] : Infinity;
					if (Math.min(ta, tf) >= tEnd) break;
					if (ta <= tf) { live += s.weight[i]; if (live > peak) { peak = live; peakT = ta; } i++; } else { live -= s.weight[frees[j]]; j++; }
					if (live > colMax) colMax = live;
				}
				level[b] = colMax;
			}
			this.heapPeak = peak; this.heapPeakT = peakT;
			ctx.fillStyle = "#000"; ctx.fillText("live heap", 3, y0 + h / 2);
			ctx.strokeStyle = "#2a6"; ctx.lineWidth = 1.5; ctx.beginPath();
			for (let b = 0; b < W; b++) {
				const x = left + b * this.tlW / W, y = y0 + h - (peak > 0 ? level[b] / peak * h : 0);
				if (b) ctx.lineTo(x, y); else ctx.moveTo(x, y);
			}
			ctx.stroke(); ctx.lineWidth = 1;
			const px = left + peakT / span * this.tlW;
			ctx.fillStyle = "#c00"; ctx.beginPath(); ctx.arc(px, y0, 3, 0, 7); ctx.fill();
			ctx.fillText("peak " + fmtBytes(peak), Math.min(px + 5, left + this.tlW - 90), y0 + 6);
		}
		paintHeat(s, span) {
			const cols = Math.max(1, Math.ceil(span / 1e9)), rows = 50;
			const hc = this.heatCanvas, ctx = hc.getContext("2d");
			const cssW = Math.max(300, this.tlBox.clientWidth - 2);
			const left = 150, cellW = Math.max(2, Math.min(40, (cssW - left - 8) / cols)), cellH = 3;
			const cssH = rows * cellH;
			const dpr = window.devicePixelRatio || 1;
			hc.width = Math.round(cssW * dpr); hc.height = Math.round(cssH * dpr);
			hc.style.width = cssW + "px"; hc.style.height = cssH + "px";
			ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
			this.heatLeft = left; this.heatCellW = cellW; this.heatCellH = cellH; this.heatCols = cols; this.heatRows = rows;
			const cnt = new Float64Array(cols * rows);
			let max = 0;
			const ts = this.threadSel;
			for (let i = 0; i < s.m; i++) {
				if (ts && !ts.has(s.thread[i])) continue;
				const t = s.time[i];
				const c = Math.floor(t / 1e9), r = Math.min(rows - 1, Math.floor((t - c * 1e9) / 2e7));
				const k = c * rows + r;
				if (++cnt[k] > max) max = cnt[k];
			}
			ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, cssW, cssH);
			ctx.fillStyle = "#000"; ctx.font = "11px sans-serif"; ctx.textBaseline = "top";
			ctx.fillText("0 ms", 3, 0); ctx.fillText("1000 ms", 3, cssH - 11);
			for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) {
				const v = cnt[c * rows + r];
				const t0 = c * 1e9 + r * 2e7;
				const inR = this.range && t0 + 2e7 > this.range[0] && t0 < this.range[1];
				if (v) {
					const a = v / max;
					ctx.fillStyle = "rgb(255," + Math.round(235 - 190 * a) + "," + Math.round(200 - 190 * a) + ")";
				} else ctx.fillStyle = "#f6f6f6";
				ctx.fillRect(left + c * cellW, r * cellH, cellW - 0.5, cellH - 0.3);
				if (inR) { ctx.fillStyle = "rgba(40,90,220,0.35)"; ctx.fillRect(left + c * cellW, r * cellH, cellW - 0.5, cellH - 0.3); }
			}
		}
		updateSelectionText() {
			const parts = [];
			if (this.range) parts.push("time " + (this.range[0] / 1e9).toFixed(3) + " s to " + (this.range[1] / 1e9).toFixed(3) + " s");
			if (this.threadSel) parts.push("threads " + Array.from(this.threadSel).map((l) => (this.names[this.threads[l].name] || "?") + " " + this.threads[l].tid).join(", "));
			this.selText.textContent = parts.length ? "Selection: " + parts.join("; ") : "Selection: everything (drag on the timeline for a range, click a lane for a thread)";
		}

		// ---- tables ----
		renderTable() {
			const box = this.tableBox;
			box.textContent = "";
			const bottomUp = this.pane === "bottomup";
			const f = this.flame, all = f.totalAt(0), v = this.view;
			const diff = this.diffBaseTotal && this.data.diff && this.viewIndex === (this.data.diff.view | 0);
			const table = el("table", { class: "ifl-table", id: "ifl-table" });
			const head = el("tr");
			const cols = [["name", bottomUp ? "Function (callers below)" : "Function (callees below)"], ["self", "Self"], ["selfp", "Self %"], ["total", "Total"], ["totalp", "Total %"]];
			if (diff) cols.push(["base", "Base total"], ["delta", "Delta share"]);
			this.sortKey = this.sortKey || "total";
			for (const [k, label] of cols) {
				const th = el("th", { "data-sort": k }, label + (this.sortKey === k ? " v" : ""));
				th.addEventListener("click", () => { this.sortKey = k === "selfp" ? "self" : k === "totalp" ? "total" : k; this.renderTable(); });
				head.appendChild(th);
			}
			table.appendChild(head);
			box.appendChild(table);
			// A row: {label, self, total, base, delta, kids(): rows}.
			const sortRows = (rows) => {
				const k = this.sortKey;
				if (k === "name") rows.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
				else rows.sort((a, b) => (b[k] || 0) - (a[k] || 0));
				return rows;
			};
			// Rows are inserted after `after`; each remembers the rows it opened, so closing
			// removes them with everything they opened in turn.
			const closeRow = (tr) => { for (const c of tr.ifl_open || []) { closeRow(c); c.remove(); } tr.ifl_open = null; };
			const addRows = (rows, after, depth) => {
				sortRows(rows);
				const LIMIT = 300;
				let anchor = after;
				const made = [];
				const place = (tr) => { if (anchor === table) table.appendChild(tr); else anchor.after(tr); anchor = tr; made.push(tr); };
				for (const r of rows.slice(0, LIMIT)) {
					const tr = el("tr", { class: "ifl-row" });
					tr.dataset.name = r.label;
					tr.dataset.depth = String(depth);
					const td = el("td");
					td.style.paddingLeft = (4 + depth * 14) + "px";
					const tog = el("span", { class: "ifl-tog" }, r.hasKids ? "+" : " ");
					td.append(tog, document.createTextNode(r.label));
					tr.appendChild(td);
					tr.append(el("td", {}, fmtValue(v, r.self)), el("td", {}, pct(r.self, all)), el("td", {}, fmtValue(v, r.total)), el("td", {}, pct(r.total, all)));
					if (diff) tr.append(el("td", {}, fmtValue(v, r.base || 0)), el("td", {}, ((r.delta || 0) >= 0 ? "+" : "") + (100 * (r.delta || 0)).toFixed(2) + "%"));
					tr.dataset.self = String(r.self);
					tr.dataset.total = String(r.total);
					const toggle = () => {
						if (!r.hasKids) return;
						if (tr.ifl_open) { closeRow(tr); tog.textContent = "+"; return; }
						tr.ifl_open = addRows(r.kids(), tr, depth + 1);
						tog.textContent = "-";
					};
					tog.addEventListener("click", toggle);
					tr.addEventListener("dblclick", toggle);
					tr.addEventListener("click", () => { if (r.frame !== undefined) this.sandFrame = r.frame; });
					place(tr);
				}
				if (rows.length > LIMIT) place(el("tr", {}, "... " + (rows.length - LIMIT) + " more"));
				return made;
			};
			const t = this.tree;
			const base = diff ? this.diffBaseTotal : null;
			const bt = base ? base[0] || 1 : 1;
			if (!bottomUp) {
				const rowOf = (n) => ({
					label: this.frameName(t.frame[n]), frame: t.frame[n], self: f.selfOf(n), total: f.totalAt(n),
					base: base ? base[n] : 0, delta: base ? f.totalAt(n) / (all || 1) - base[n] / bt : 0,
					hasKids: t.endOf(n) > n + 1,
					kids: () => { const r = []; for (let c = n + 1, e = t.endOf(n); c < e; c = t.endOf(c)) if (f.totalAt(c) > 0 || (base && base[c] > 0)) r.push(rowOf(c)); return r; },
				});
				const top = rowOf(0).kids();
				addRowsTree(top);
			} else {
				// Bottom-up: each function with the self weight of its frames, then its callers
				// (every node's self: from the totals per node, made first).
				const groups = new Map();
				void f.total;
				for (let n = 1; n < t.n; n++) {
					const w = f.selfOf(n);
					if (w <= 0) continue;
					const key = this.frameNameIdx[t.frame[n]];
					let g = groups.get(key);
					if (!g) groups.set(key, (g = []));
					g.push({ leaf: n, at: n, w });
				}
				const rowOfGroup = (label, frame, entries) => {
					let w = 0;
					for (const e of entries) w += e.w;
					return {
						label, frame, self: entries.depth0 ? w : 0, total: w,
						hasKids: entries.some((e) => t.parent[e.at] > 0),
						kids: () => {
							const g2 = new Map();
							for (const e of entries) {
								const p = t.parent[e.at];
								if (p <= 0) continue;
								const key = this.frameNameIdx[t.frame[p]];
								let g = g2.get(key);
								if (!g) g2.set(key, (g = []));
								g.push({ leaf: e.leaf, at: p, w: e.w });
							}
							return Array.from(g2, ([k, es]) => rowOfGroup(this.names[k], t.frame[es[0].at], es));
						},
					};
				};
				const rows = [];
				for (const [k, es] of groups) {
					es.depth0 = true;
					rows.push(rowOfGroup(this.names[k], t.frame[es[0].at], es));
				}
				addRowsTree(rows);
			}
			function addRowsTree(rows) { addRows(rows, table, 0); }
		}

		// ---- sandwich ----
		openSandwich(frame) {
			this.sandFrame = frame;
			this.setPane("sandwich");
		}
		renderSandwich() {
			if (this.sandFrame === undefined) { if (this.flame.focus > 0) this.sandFrame = this.tree.frame[this.flame.focus]; else return; }
			const t = this.tree, f = this.flame, nameIdx = this.frameNameIdx[this.sandFrame];
			const isF = (n) => n > 0 && this.frameNameIdx[t.frame[n]] === nameIdx;
			// Topmost occurrences: nodes of the function with no ancestor of it.
			const under = new Uint8Array(t.n), tops = [];
			for (let n = 1; n < t.n; n++) {
				if (under[t.parent[n]]) { under[n] = 1; continue; }
				if (isF(n)) { under[n] = 1; if (f.total[n] > 0) tops.push(n); }
			}
			// Merged trees built as (parent, frame, self) with children keyed by frame name.
			const build = () => {
				const parent = [-1], frame = [this.frameNameIdx.length - 1], self = [0], kidsMap = [new Map()];
				const child = (p, fr) => {
					const key = this.frameNameIdx[fr];
					let c = kidsMap[p].get(key);
					if (c === undefined) { c = parent.length; parent.push(p); frame.push(fr); self.push(0); kidsMap.push(new Map()); kidsMap[p].set(key, c); }
					return c;
				};
				return { parent, frame, self, child };
			};
			const callees = build(), callers = build();
			let sum = 0;
			for (const top of tops) {
				sum += f.total[top];
				// Callees: the subtree below the occurrence, merged by path.
				const croot = callees.child(0, this.sandFrame);
				const st = [[top, croot]];
				while (st.length) {
					const [n, m] = st.pop();
					callees.self[m] += f.selfOf(n);
					for (let c = n + 1, e = t.endOf(n); c < e; c = t.endOf(c)) if (f.total[c] > 0) st.push([c, callees.child(m, t.frame[c])]);
				}
				// Callers: the path up from the occurrence, inverted, carrying its total.
				let m = callers.child(0, this.sandFrame);
				for (let a = t.parent[top]; a > 0; a = t.parent[a]) m = callers.child(m, t.frame[a]);
				callers.self[m] += f.total[top];
			}
			this.sandTitle.textContent = "Sandwich of " + this.names[nameIdx] + ": " + fmtValue(this.view, sum) + " (" + pct(sum, f.total[0]) + ")";
			this.sandTitle.dataset.total = String(sum);
			const mkFlame = (canvas, b, icicle) => {
				const tree = makeTree(new Int32Array(b.parent), new Int32Array(b.frame), this.nameRank);
				const self = new Float64Array(tree.n);
				for (let i = 0; i < tree.n; i++) self[tree.remap ? tree.remap[i] : i] = b.self[i];
				let fl = canvas.ifl_flame;
				if (!fl) fl = canvas.ifl_flame = new Flame(this, canvas, { icicle, onHover: (n) => { if (n >= 0) this.details.textContent = this.frameName(fl.tree.frame[n]) + "  total " + fmtValue(this.view, fl.total[n]); } });
				fl.zoom = 0; fl.focus = -1;
				fl.set(tree, self);
				return fl;
			};
			this.sandCallers = mkFlame(this.callersCanvas, callers, false);
			this.sandCallees = mkFlame(this.calleesCanvas, callees, true);
		}
	}

	// Integer arrays may come compact: {"n": N, "zv": base64 of N zigzag LEB128 varints} (see
	// doc/viewer-data.md). decodeArrays replaces each such object by an Int32Array (a
	// Float64Array when a value does not fit 32 bits); plain JSON arrays are left as they are.
	// Indexed by any UTF-16 code unit, so that every character outside the alphabet reads -1.
	const B64 = new Int8Array(65536).fill(-1);
	for (let i = 0; i < 64; i++) B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
	// Base64 text to bytes (no atob: one table look-up per character, straight into a Uint8Array).
	function b64Bytes(s) {
		let len = s.length;
		while (len && s.charCodeAt(len - 1) === 61) len--; // '=' padding
		const out = new Uint8Array((len * 3) >> 2);
		let o = 0, i = 0, bad = 0;
		for (; i + 4 <= len; i += 4) {
			const a = B64[s.charCodeAt(i)], b = B64[s.charCodeAt(i + 1)], c = B64[s.charCodeAt(i + 2)], d = B64[s.charCodeAt(i + 3)];
			bad |= a | b | c | d;
			const v = (a << 18) | (b << 12) | (c << 6) | d;
			out[o++] = v >> 16; out[o++] = (v >> 8) & 255; out[o++] = v & 255;
		}
		if (len - i >= 2) {
			const a = B64[s.charCodeAt(i)], b = B64[s.charCodeAt(i + 1)], c = len - i > 2 ? B64[s.charCodeAt(i + 2)] : 0;
			bad |= a | b | c;
			out[o++] = (a << 2) | (b >> 4);
			if (len - i > 2) out[o++] = ((b & 15) << 4) | (c >> 2);
		} else if (len - i === 1) bad = -1;
		if (bad < 0 || o !== out.length) throw new Error("an encoded array is not base64");
		return out;
	}
	function zvDecode(o) {
		const n = o.n, bin = b64Bytes(o.zv), len = bin.length;
		if (!(n >= 0 && n <= len)) throw new Error("an encoded array's length does not match its data");
		let out = new Int32Array(n), p = 0;
		for (let i = 0; i < n; i++) {
			let b = bin[p++];
			if (b < 128) { out[i] = (b >>> 1) ^ -(b & 1); continue; }
			let u = b & 127, mul = 128;
			do { b = bin[p++]; u += (b & 127) * mul; mul *= 128; } while (b >= 128);
			const v = u % 2 ? -(u + 1) / 2 : u / 2;
			if ((v | 0) !== v && out instanceof Int32Array) out = Float64Array.from(out);
			out[i] = v;
		}
		if (p !== len) throw new Error("an encoded array's length does not match its data");
		return out;
	}
	// Blobs ({"n": N, "t": "u16", "b": K, "z": 0|1}) are listed in pending as [object, key,
	// blob] for decodeBlobs.
	function decodeArrays(o, pending) {
		for (const k of Object.keys(o)) {
			const v = o[k];
			if (!v || typeof v !== "object" || ArrayBuffer.isView(v)) continue;
			if (typeof v.zv === "string") o[k] = zvDecode(v);
			else if (typeof v.b === "number" && typeof v.t === "string") {
				if (!pending) throw new Error("an array refers to data outside this block");
				pending.push([o, k, v]);
			} else if (Array.isArray(v)) { if (v.length && v[0] && typeof v[0] === "object") v.forEach((x) => decodeArrays(x, pending)); }
			else decodeArrays(v, pending);
		}
		return o;
	}
	// A blob's bytes are N little-endian values of type t (the viewer reads them as typed
	// arrays: every browser runs little-endian), deflated (raw deflate) when z is 1, in base64
	// in the page's script elements of type application/octet-stream and data-b="K", in order.
	// Elements of at most 128 KiB each: the browser reads many small elements much faster than
	// one big one, and each is decoded alone, straight into the array.
	const TYPES = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i8: Int8Array, i16: Int16Array, i32: Int32Array, f64: Float64Array };
	const fromB64 = (s) => (Uint8Array.fromBase64 ? Uint8Array.fromBase64(s) : b64Bytes(s));
	function b64Into(s, out, o) {
		if (out.setFromBase64) {
			const r = out.subarray(o).setFromBase64(s);
			if (r.read !== s.length) throw new Error("an array's data is longer than its length");
			return r.written;
		}
		const b = b64Bytes(s);
		if (o + b.length > out.length) throw new Error("an array's data is longer than its length");
		out.set(b, o);
		return b.length;
	}
	// Type "uW" (W from 9 to 23 but 16): N values of W bits each, most significant bit first.
	function packedBits(t) {
		const m = /^u([0-9]+)$/.exec(t), w = m ? Number(m[1]) : 0;
		return w >= 9 && w <= 23 && w !== 16 ? w : 0;
	}
	// Packed values from bytes b[0 .. len), a piece of the array at a time: state carries the
	// bits left over from one piece to the next ({acc, have, i}: the bits not yet used, how
	// many, and the next value's index). Pieces of text are decoded one by one into one small
	// buffer (natively where the browser can), so the array's bytes are never held whole: at
	// 1M stacks they were 45 MB, and on the machine measured every fresh megabyte cost ~10 ms
	// of page faults. Bits past the last value must be zero.
	function unpackInto(b, len, w, out, st) {
		let acc = st.acc, have = st.have, i = st.i, p = 0, bad = 0;
		const n = out.length, mask = (1 << w) - 1;
		if (w === 12 && have === 0) {
			// Two values in three bytes.
			const stop = Math.min(Math.floor(len / 3), (n - i) >> 1) * 3;
			for (; p < stop; p += 3) {
				const m = b[p + 1];
				out[i++] = (b[p] << 4) | (m >> 4);
				out[i++] = ((m & 15) << 8) | b[p + 2];
			}
		}
		for (; p < len; p++) {
			acc = (acc << 8) | b[p];
			have += 8;
			while (have >= w) {
				have -= w;
				const v = (acc >>> have) & mask;
				if (i < n) out[i++] = v;
				else if (v) bad = 1;
				acc &= (1 << have) - 1;
			}
		}
		if (bad) throw new Error("an array's data is longer than its length");
		st.acc = acc; st.have = have; st.i = i;
	}
	async function blobArray(spec, pieces) {
		const w = packedBits(spec.t), n = spec.n;
		const C = w ? (w < 16 ? Uint16Array : Uint32Array) : TYPES[spec.t];
		if (!C || !(Number.isInteger(n) && n >= 0)) throw new Error("an array of an unknown type or length");
		const nbytes = w ? Math.ceil(n * w / 8) : n * C.BYTES_PER_ELEMENT;
		if (w && !spec.z) {
			const out = new C(n), st = { acc: 0, have: 0, i: 0 };
			let scratch = new Uint8Array(98304), got = 0;
			for (const e of pieces) {
				const s = e.textContent, room = Math.ceil(s.length / 4) * 3;
				if (room > scratch.length) scratch = new Uint8Array(room);
				const m = b64Into(s, scratch, 0);
				unpackInto(scratch, m, w, out, st);
				got += m;
			}
			if (st.i !== n || got !== nbytes) throw new Error("an array's data does not match its length");
			return out;
		}
		const bytes = new Uint8Array(nbytes);
		let o = 0;
		if (!spec.z) {
			for (const e of pieces) o += b64Into(e.textContent, bytes, o);
		} else {
			if (typeof DecompressionStream !== "function") throw new Error("this browser cannot decompress the profile (no DecompressionStream)");
			const ds = new DecompressionStream("deflate-raw"), w = ds.writable.getWriter();
			const feed = (async () => {
				for (const e of pieces) { await w.ready; w.write(fromB64(e.textContent)).catch(() => {}); }
				await w.close();
			})();
			feed.catch(() => {});
			const r = ds.readable.getReader();
			for (;;) {
				const { value, done } = await r.read();
				if (done) break;
				if (o + value.length > bytes.length) throw new Error("an array's data is longer than its length");
				bytes.set(value, o);
				o += value.length;
			}
			await feed;
		}
		if (o !== bytes.length) throw new Error("an array's data is shorter than its length");
		if (!w) return new C(bytes.buffer);
		const out = new C(n), st = { acc: 0, have: 0, i: 0 };
		unpackInto(bytes, bytes.length, w, out, st);
		if (st.i !== n) throw new Error("an array's data is shorter than its length");
		return out;
	}
	// Decodes the pending blobs of decodeArrays into their places, then drops their elements.
	async function decodeBlobs(pending) {
		const pieces = new Map();
		for (const e of document.querySelectorAll("script[data-b]")) {
			let l = pieces.get(e.dataset.b);
			if (!l) pieces.set(e.dataset.b, (l = []));
			l.push(e);
		}
		await Promise.all(pending.map(async ([o, k, v]) => { o[k] = await blobArray(v, pieces.get(String(v.b)) || []); }));
		for (const l of pieces.values()) for (const e of l) e.remove();
	}

	// The preview (doc/viewer-data.md): the first view's flame graph cut to the frames wide
	// enough to be drawn, with totals and its own names, held before this script while the full
	// data follow it. Drawn at once, in a box the full viewer replaces, so that a big page shows
	// its flame graph while the browser still reads the rest.
	function showPreview(root, T) {
		const node = document.getElementById("inflame-preview");
		if (!node) return;
		const pv = decodeArrays(JSON.parse(node.textContent));
		const names = pv.names, n = pv.parent_delta.length;
		if (!Array.isArray(names) || pv.name.length !== n || pv.total.length !== n || !n) return;
		const parent = new Int32Array(n), frame = new Int32Array(n);
		parent[0] = -1;
		frame[0] = names.length;
		for (let i = 1; i < n; i++) {
			const p = i - pv.parent_delta[i], f = pv.name[i];
			if (!(p >= 0 && p < i) || !(f >= 0 && f < names.length)) return;
			parent[i] = p; frame[i] = f;
		}
		// Names are frames here: rank them for the layout as the viewer does.
		const order = names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
		const rank = new Int32Array(names.length + 1);
		order.forEach((f, r) => { rank[f] = r; });
		const tree = makeTree(parent, frame, rank);
		const own = new Float64Array(pv.total), self = new Float64Array(n);
		for (let i = 1; i < n; i++) own[parent[i]] -= pv.total[i];
		for (let i = 0; i < n; i++) self[tree.remap ? tree.remap[i] : i] = own[i];
		const nameIdx = new Int32Array(names.length + 1);
		for (let i = 0; i < names.length; i++) nameIdx[i] = i;
		const app = { names: names.concat([""]), frameNameIdx: nameIdx, colours: null, frameName(f) { return this.names[f]; } };
		const style = el("style", { id: "ifl-style" });
		style.textContent = CSS;
		document.head.appendChild(style);
		const box = el("div", { id: "inflame-app" });
		box.appendChild(el("div", { id: "ifl-title" }, document.title || "inflame"));
		box.appendChild(el("div", { id: "ifl-preview-status" }, "Reading the whole profile: this flame graph shows its first view; the rest comes in a moment."));
		const fb = el("div", { id: "ifl-flame-box" });
		const cv = el("canvas", { id: "ifl-preview" });
		fb.appendChild(cv);
		box.appendChild(fb);
		root.appendChild(box);
		const flame = new Flame(app, cv, {});
		flame.set(tree, self);
		T.preview = performance.now();
		window.inflamePreview = flame;
		// When the browser next shows a frame: the preview is on the screen.
		requestAnimationFrame(() => setTimeout(() => { T.previewShown = performance.now(); }, 0));
	}

	// Reads the data block and mounts the viewer. window.inflameTimings records when each
	// stage ended (performance.now(), from navigation start) for bench/html_paint.mjs;
	// window.inflameViewer is the viewer, for tests.
	function rootElement() {
		let root = document.getElementById("inflame");
		if (!root) { root = el("div", { id: "inflame" }); document.body.appendChild(root); }
		return root;
	}
	async function start() {
		const T = window.inflameTimings || (window.inflameTimings = { start: performance.now() });
		const node = document.getElementById("inflame-data");
		const root = rootElement();
		if (!node) { root.textContent = "inflame: this page holds no profile data"; return; }
		let data;
		try {
			const txt = node.textContent;
			T.text = performance.now();
			data = JSON.parse(txt);
			T.parsed = performance.now();
		} catch (e) {
			root.textContent = "inflame: the profile data is not valid JSON: " + e.message;
			return;
		}
		try {
			const pending = [];
			if (data && typeof data === "object") decodeArrays(data, pending);
			await decodeBlobs(pending);
			T.decoded = performance.now();
		} catch (e) {
			root.textContent = "inflame: the profile data is not valid: " + e.message;
			return;
		}
		if (!data || data.version !== 1 || !data.views || !data.views.length) {
			root.textContent = "inflame: no views in this profile (or an unknown data version)";
			return;
		}
		if (!document.title && data.title) document.title = String(data.title);
		let app;
		try {
			app = new App(data);
		} catch (e) {
			root.textContent = "inflame: the profile data is not valid: " + e.message;
			return;
		}
		T.built = performance.now();
		window.inflameViewer = app;
		app.mount(root);
		T.mounted = performance.now();
	}
	if (document.readyState === "loading") {
		// inflame html writes the data after this script: show the preview while they load.
		if (document.body && !document.getElementById("inflame-data")) {
			const T = (window.inflameTimings = { start: performance.now() });
			try { showPreview(rootElement(), T); } catch (e) { /* the full viewer follows */ }
		}
		document.addEventListener("DOMContentLoaded", start);
	} else start();
})();
