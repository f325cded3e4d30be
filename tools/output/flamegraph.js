// Interactive behaviour of inflame's flame graphs: click a frame to zoom into it, "Reset Zoom"
// to go back, "Search" (or Ctrl-F) for a regular expression with the share of the total it
// matches, "ic" to toggle case sensitivity, hover for details. fg_cfg is written before this
// script by the SVG writer. Every frame is a <g fg:x fg:w> (start and width in counts) holding
// a <title>, a <rect> and a <text>; nothing here needs the network.
"use strict";
var fg = {frames: [], details: null, matched: null, searchbtn: null, unzoombtn: null,
	icbtn: null, term: null, ignorecase: false, zoomed: null};

function fg_frame(g) {
	while (g && g.tagName !== "g")
		g = g.parentNode;
	if (!g || g.fg === undefined)
		return null;
	return fg.frames[g.fg];
}

function init(evt) {
	fg.details = document.getElementById("details").firstChild;
	fg.matched = document.getElementById("matched").firstChild;
	fg.searchbtn = document.getElementById("search");
	fg.unzoombtn = document.getElementById("unzoom");
	fg.icbtn = document.getElementById("ignorecase");
	var gs = document.getElementById("frames").children;
	for (var i = 0; i < gs.length; i++) {
		var g = gs[i];
		var r = g.getElementsByTagName("rect")[0];
		var t = g.getElementsByTagName("text")[0];
		var info = g.getElementsByTagName("title")[0].textContent;
		var cut = info.lastIndexOf(" (");
		g.fg = i;
		fg.frames.push({g: g, rect: r, text: t, info: info,
			name: cut >= 0 ? info.substring(0, cut) : info,
			x: Number(g.getAttribute("fg:x")), w: Number(g.getAttribute("fg:w")),
			y: Number(r.getAttribute("y")), fill: r.getAttribute("fill"),
			rx: r.getAttribute("x"), rw: r.getAttribute("width"),
			tx: t.getAttribute("x"), label: t.textContent});
	}
	var frames = document.getElementById("frames");
	frames.addEventListener("click", function (e) {
		var f = fg_frame(e.target);
		if (f)
			zoom(f);
	});
	frames.addEventListener("mouseover", function (e) {
		var f = fg_frame(e.target);
		if (f)
			fg.details.nodeValue = fg_cfg.nametype + " " + f.info;
	});
	frames.addEventListener("mouseout", function () {
		fg.details.nodeValue = " ";
	});
	fg.unzoombtn.addEventListener("click", unzoom);
	fg.searchbtn.addEventListener("click", search_prompt);
	fg.icbtn.addEventListener("click", toggle_ignorecase);
	window.addEventListener("keydown", function (e) {
		if (e.keyCode === 114 || (e.ctrlKey && e.keyCode === 70)) {
			e.preventDefault();
			search_prompt();
		} else if (e.ctrlKey && e.keyCode === 73) {
			e.preventDefault();
			toggle_ignorecase();
		} else if (e.keyCode === 27) {
			reset_search();
		}
	});
}

// The label that fits in width pixels: the name, or its start and "..", or nothing.
function fit_label(name, width) {
	var chars = Math.floor(width / (fg_cfg.fontsize * fg_cfg.fontwidth));
	if (chars < 3)
		return "";
	if (name.length <= chars)
		return name;
	return name.substring(0, chars - 2) + "..";
}

function place(f, x, w) {
	f.rect.setAttribute("x", x.toFixed(2));
	f.rect.setAttribute("width", w.toFixed(2));
	f.text.setAttribute("x", (x + 3).toFixed(2));
	f.text.textContent = fit_label(f.name, w);
}

// Zooms so that frame z spans the whole width: its descendants are scaled, its ancestors
// are drawn across the width, half transparent, and everything else is hidden.
function zoom(z) {
	var usable = fg_cfg.width - 2 * fg_cfg.xpad;
	var ratio = usable / z.w;
	for (var i = 0; i < fg.frames.length; i++) {
		var f = fg.frames[i];
		var above = fg_cfg.inverted ? f.y >= z.y : f.y <= z.y;
		f.g.classList.remove("parent");
		f.g.classList.remove("hide");
		if (above && f.x >= z.x && f.x + f.w <= z.x + z.w) {
			place(f, fg_cfg.xpad + (f.x - z.x) * ratio, f.w * ratio);
		} else if (!above && f.x <= z.x && f.x + f.w >= z.x + z.w) {
			f.g.classList.add("parent");
			place(f, fg_cfg.xpad, usable);
		} else {
			f.g.classList.add("hide");
		}
	}
	fg.zoomed = z;
	fg.unzoombtn.classList.remove("hide");
	if (fg.term !== null)
		search(fg.term);
}

function unzoom() {
	for (var i = 0; i < fg.frames.length; i++) {
		var f = fg.frames[i];
		f.g.classList.remove("parent");
		f.g.classList.remove("hide");
		f.rect.setAttribute("x", f.rx);
		f.rect.setAttribute("width", f.rw);
		f.text.setAttribute("x", f.tx);
		f.text.textContent = f.label;
	}
	fg.zoomed = null;
	fg.unzoombtn.classList.add("hide");
	if (fg.term !== null)
		search(fg.term);
}

function toggle_ignorecase() {
	fg.ignorecase = !fg.ignorecase;
	if (fg.ignorecase)
		fg.icbtn.classList.add("show");
	else
		fg.icbtn.classList.remove("show");
	if (fg.term !== null)
		search(fg.term);
}

function search_prompt() {
	if (fg.term !== null) {
		reset_search();
		return;
	}
	var term = prompt("Enter a search term (regexp allowed, eg: ^ext4_)" +
		(fg.ignorecase ? ", ignoring case" : "") +
		"\nPress Ctrl-i to toggle case sensitivity", "");
	if (term !== null && term !== "")
		search(term);
}

function reset_search() {
	for (var i = 0; i < fg.frames.length; i++)
		fg.frames[i].rect.setAttribute("fill", fg.frames[i].fill);
	fg.term = null;
	fg.searchbtn.classList.remove("show");
	fg.searchbtn.firstChild.nodeValue = "Search";
	fg.matched.nodeValue = " ";
}

// Highlights the frames whose name matches and shows the share of the total (or of the
// zoomed frame) they cover. Nested matches are not counted twice: the matched spans are
// merged before they are summed.
function search(term) {
	var re;
	try {
		re = new RegExp(term, fg.ignorecase ? "i" : "");
	} catch (e) {
		fg.matched.nodeValue = "Bad regexp";
		return;
	}
	var spans = [];
	var lo = fg.zoomed ? fg.zoomed.x : 0;
	var hi = fg.zoomed ? fg.zoomed.x + fg.zoomed.w : fg_cfg.total;
	for (var i = 0; i < fg.frames.length; i++) {
		var f = fg.frames[i];
		if (!re.test(f.name)) {
			f.rect.setAttribute("fill", f.fill);
			continue;
		}
		f.rect.setAttribute("fill", "rgb(230,0,230)");
		var a = Math.max(f.x, lo), b = Math.min(f.x + f.w, hi);
		if (b > a)
			spans.push([a, b]);
	}
	spans.sort(function (p, q) { return p[0] - q[0]; });
	var covered = 0, end = -1;
	for (var k = 0; k < spans.length; k++) {
		var s = spans[k];
		if (s[0] >= end) {
			covered += s[1] - s[0];
			end = s[1];
		} else if (s[1] > end) {
			covered += s[1] - end;
			end = s[1];
		}
	}
	fg.term = term;
	fg.searchbtn.classList.add("show");
	fg.searchbtn.firstChild.nodeValue = "Reset Search";
	var pct = hi > lo ? 100 * covered / (hi - lo) : 0;
	fg.matched.nodeValue = "Matched: " + (pct === 100 ? "100" : pct.toFixed(1)) + "%";
}
