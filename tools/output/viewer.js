// inflame's profile viewer: the script of the page `inflame html` writes.
// A placeholder until the viewer's script (helper viewerjs's work) lands: it reads the data
// block and lists the views with their totals, putting names into the page only as text.
"use strict";
(function () {
	const node = document.getElementById("inflame-data");
	if (!node) return;
	const data = JSON.parse(node.textContent);
	const add = (tag, text) => {
		const e = document.createElement(tag);
		e.textContent = text;
		document.body.appendChild(e);
		return e;
	};
	add("h1", data.title || "inflame");
	for (const v of data.views) {
		let total = 0;
		for (const w of v.stack_weight) total += w;
		add("p", v.name + ": " + total + " " + v.unit + " in " + v.stack_node.length +
			" stacks" + (v.samples ? ", " + v.samples.node.length + " samples" : ""));
	}
})();
