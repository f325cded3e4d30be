// Loads files of `inflame speedscope` into the real speedscope viewer (npm package speedscope,
// its offline release page dist/release/index.html) in headless Chromium, the way speedscope's
// own command line does: a script file that calls speedscope.loadFileFromBase64, named by
// #localProfilePath=. Then checks that speedscope imported the file as its own format, shows
// the profiles by name, and that its Sandwich table gives each function the totals expected.
// Usage: node speedscope.test.mjs NODE_DIR OUT_DIR CASE...
//   CASE is FILE.json|PROFILES|FUNC=TOTAL,... (PROFILES: events joined by '+', each the name of
//   a profile or its prefix before ':'; TOTAL '' only asks the function to be listed).
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nodeDir, outDir, ...cases] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeDir), "node_modules", "x.js"));
const { chromium } = require("playwright-core");
const index = path.join(path.resolve(nodeDir), "node_modules", "speedscope", "dist", "release", "index.html");
let failures = 0;
function check(ok, what, detail) {
	console.log((ok ? "ok: " : "FAIL: ") + what + (ok || detail === undefined ? "" : " (" + detail + ")"));
	if (!ok) failures++;
}
fs.mkdirSync(outDir, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "inflame-speedscope-"));
const browser = await chromium.launch({
	executablePath: process.env.INFLAME_CHROMIUM || "/usr/bin/chromium",
	headless: true,
	args: ["--no-sandbox", "--no-first-run", "--disable-background-networking", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"],
});
let k = 0;
try {
	for (const c of cases) {
		// A case is tried again once when the only script error of its page is speedscope's WebGL
		// assertion on an incomplete framebuffer (checkFramebufferStatus in its "get
		// framebuffer"): that comes from the software renderer of a loaded machine (seen in
		// loaded runs of make check, never on a quiet one), not from the file; the second try
		// must pass whole. Any other script error counts at once.
		const before = failures, held = [];
		const flaky = await runCase(c, held);
		if (flaky) {
			console.log("retry: " + c.split("|")[0] + ": " + held.join("; "));
			failures = before;
			await runCase(c, []);
		}
	}
} finally {
	await browser.close();
	fs.rmSync(tmp, { recursive: true, force: true });
}

// Runs one case; returns whether its page's only script error was the framebuffer assertion
// (its text goes into held).
async function runCase(c, held) {
	{
		const [file, profiles, totals] = c.split("|");
		const name = path.basename(file);
		const js = path.join(tmp, "profile" + k++ + ".js");
		fs.writeFileSync(js, "speedscope.loadFileFromBase64(" + JSON.stringify(name) + ", " +
			JSON.stringify(fs.readFileSync(file).toString("base64")) + ")");
		const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
		const log = [], errors = [];
		page.on("console", (m) => log.push(m.text()));
		// (with where it was thrown: speedscope's own "Assertion failed." came twice in loaded runs
		// of make check, never alone, and says nothing more)
		page.on("pageerror", (e) => errors.push(String(e) + " at " + String(e.stack || "").split("\n").slice(1, 5).join(" / ")));
		page.on("dialog", (d) => { errors.push("dialog: " + d.message()); d.dismiss().catch(() => {}); });
		await page.goto(pathToFileURL(index).href + "#localProfilePath=" + js);
		await page.waitForFunction(() => /speedscope/.test(document.title) && document.title !== "speedscope", null, { timeout: 60000 })
			.catch(() => {});
		check(log.some((l) => /Importing as speedscope json file/.test(l)), name + ": imported as speedscope's own format", log.join(" | "));
		const body = await page.evaluate(() => document.body.innerText);
		// The file's profiles (one per event and thread): each asked-for name is one of them,
		// and speedscope's toolbar shows the first with its place among all ("(1/N)").
		const ps = JSON.parse(fs.readFileSync(file, "utf8")).profiles.map((x) => x.name);
		for (const p of profiles.split("+"))
			check(ps.some((x) => x === p || x.startsWith(p + ":")), name + ": has a profile " + p, ps.join(", "));
		const head = ps[0] + (ps.length > 1 ? " (1/" + ps.length + ")" : "");
		check(body.includes(head), name + ": speedscope shows " + head, body.slice(0, 200));
		await page.screenshot({ path: path.join(outDir, name + ".png") });
		// "@top": the function with the most self weight in the shown profile (first in the table).
		let wants = (totals || "").split(",").filter((x) => x);
		if (totals === "@top") {
			const j = JSON.parse(fs.readFileSync(file, "utf8")), p0 = j.profiles[j.activeProfileIndex || 0];
			const self = new Map();
			p0.samples.forEach((st, i) => { const f = st[st.length - 1]; self.set(f, (self.get(f) || 0) + p0.weights[i]); });
			const top = [...self.entries()].sort((a, b) => b[1] - a[1])[0][0];
			wants = [j.shared.frames[top].name + "="];
		}
		const fnOf = (want) => want.slice(0, want.lastIndexOf("="));
		const readRows = () => page.evaluate(() => {
			const t = document.body.innerText, out = {};
			// Rows: "TOTAL (x%)\n\tSELF (y%)\n\tNAME".
			const re = /([^\n\t]+?) \([^)]*\)\n\t[^\n]+\n\t([^\n]*)/g;
			let m;
			while ((m = re.exec(t))) out[m[2]] = m[1];
			return out;
		});
		await page.getByText("Sandwich").click();
		// The table is read once it lists every function asked for, or after 60 s: a fixed
		// wait of 300 ms could read it before speedscope drew it on a loaded machine.
		let rows = await readRows();
		for (const t0 = Date.now(); !wants.every((w) => fnOf(w) in rows) && Date.now() - t0 < 60000;) {
			await page.waitForTimeout(100);
			rows = await readRows();
		}
		for (const want of wants) {
			const i = want.lastIndexOf("="), fn = fnOf(want), tot = want.slice(i + 1);
			check(fn in rows && (tot === "" || rows[fn] === tot), name + ": Sandwich lists " + fn + (tot ? " with total " + tot : ""),
				JSON.stringify(rows).slice(0, 300));
		}
		await page.screenshot({ path: path.join(outDir, name + "-sandwich.png") });
		check(!(await page.evaluate(() => window.pwned)), name + ": no script of a name ran");
		check(errors.length === 0, name + ": no script errors or alerts", errors.join("; "));
		await page.close();
		held.push(...errors);
		return errors.length > 0 && errors.every((e) => /Assertion failed/.test(e) && /framebuffer/.test(e));
	}
}
if (failures) {
	console.log(failures + " check(s) failed");
	process.exit(1);
}
console.log("all passed");
