// Browser test of the flame graph's script in real headless Chromium, driven by
// playwright-core: load a generated SVG, hover, click a frame and check the zoom, search with
// a regular expression and check the matched share (nested matches counted once), toggle case,
// reset; on a differential graph, hover shows the delta and a search reset restores the delta
// colours. Usage: node flamegraph.test.mjs NODE_DIR SVG [DIFF_SVG]
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nodeDir, svgPath, diffPath] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeDir), "node_modules", "x.js"));
const { chromium } = require("playwright-core");

let failures = 0;
function check(cond, what, detail) {
	if (cond) {
		console.log("ok: " + what);
	} else {
		console.log("FAIL: " + what + (detail !== undefined ? " (" + detail + ")" : ""));
		failures++;
	}
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "inflame-chromium-"));
// A new, empty profile directory for this run.
const browser = await chromium.launchPersistentContext(profile, {
	executablePath: process.env.INFLAME_CHROMIUM || "/usr/bin/chromium",
	headless: true,
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
	const page = await browser.newPage();
	const errors = [];
	page.on("pageerror", (e) => errors.push(String(e)));
	let answer = null;
	page.on("dialog", (d) => d.accept(answer));
	await page.goto(pathToFileURL(path.resolve(svgPath)).href);

	// The frame <g> whose name is exactly `name` (the first one when there are several).
	const frame = (name) => page.locator("#frames > g", {
		has: page.locator("title", { hasText: new RegExp("^" + name + " \\(") }) }).first();
	const width = async (name) => Number(await frame(name).locator("rect").getAttribute("width"));
	const hidden = async (name) => (await frame(name).getAttribute("class") || "").includes("hide");
	const text = async (id) => (await page.locator("#" + id).textContent()).trim();
	const usable = 1180;

	check(await page.locator("#frames > g").count() > 5, "frames are drawn");
	check(Math.abs(await width("alpha") - usable * 50 / 200) < 0.02, "alpha is 25% wide",
		await width("alpha"));

	await frame("gamma").locator("rect").hover();
	check((await text("details")).startsWith("Function: gamma (50 samples, 25.00%)"),
		"hover shows details", await text("details"));

	await frame("alpha").locator("rect").click();
	check(Math.abs(await width("alpha") - usable) < 0.02, "click zooms alpha to full width",
		await width("alpha"));
	check(Math.abs(await width("leaf_two") - usable * 20 / 50) < 0.02,
		"children scale with the zoom", await width("leaf_two"));
	check(await hidden("gamma"), "frames outside the zoomed one are hidden");
	check((await frame("main").getAttribute("class") || "").includes("parent"),
		"ancestors are shown as parents");
	check(!(await page.locator("#unzoom").getAttribute("class") || "").includes("hide"),
		"Reset Zoom appears");
	check((await frame("alpha").locator("text").textContent()) === "alpha",
		"the label is redrawn");

	// Search while zoomed: the share is of the zoomed frame.
	answer = "^leaf_one$";
	await page.locator("#search").click();
	check(await text("matched") === "Matched: 60.0%", "search share within the zoom",
		await text("matched"));
	check(await frame("leaf_one").locator("rect").getAttribute("fill") === "rgb(230,0,230)",
		"matches are highlighted");
	await page.locator("#search").click(); // resets the search
	check(await text("matched") === "", "search reset");

	await page.locator("#unzoom").click();
	check(Math.abs(await width("alpha") - usable * 50 / 200) < 0.02, "Reset Zoom restores widths",
		await width("alpha"));
	check(!(await hidden("gamma")), "Reset Zoom shows all frames");

	// Nested matches (leaf_x inside... leaf_y) are counted once: 30+20+10+50 of 200.
	answer = "leaf";
	await page.locator("#search").click();
	check(await text("matched") === "Matched: 55.0%", "matched share without double counting",
		await text("matched"));
	await page.locator("#search").click();

	answer = "LEAF";
	await page.locator("#search").click();
	check(await text("matched") === "Matched: 0.0%", "search is case sensitive by default",
		await text("matched"));
	await page.locator("#ignorecase").click();
	check(await text("matched") === "Matched: 55.0%", "ic toggles case", await text("matched"));
	await page.keyboard.press("Escape");
	check(await text("matched") === "", "Escape resets the search");

	if (diffPath) {
		// Differential graph: 100 samples after; grows +20, shrinks -20 (the largest |delta|).
		await page.goto(pathToFileURL(path.resolve(diffPath)).href);
		const fill = async (name) => await frame(name).locator("rect").getAttribute("fill");
		check(await fill("shrinks") === "rgb(0,0,255)", "reduction is blue", await fill("shrinks"));
		check(await fill("grows") === "rgb(255,0,0)", "growth is red", await fill("grows"));
		check(await fill("same") === "rgb(255,255,255)", "no change is white", await fill("same"));
		await frame("grows").locator("rect").hover();
		check((await text("details")) === "Function: grows (30 samples, 30.00%; +20.00%)",
			"hover shows the delta", await text("details"));
		answer = "^grows$";
		await page.locator("#search").click();
		check(await fill("grows") === "rgb(230,0,230)", "diff match highlighted");
		await page.locator("#search").click();
		check(await fill("grows") === "rgb(255,0,0)", "search reset restores the delta colour",
			await fill("grows"));
		await frame("shrinks").locator("rect").click();
		check(Math.abs(await width("shrinks") - usable) < 0.02, "diff frames zoom",
			await width("shrinks"));
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
