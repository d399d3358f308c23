// The README's screenshots of the playground (docs/images/), from the built page: `npm run build`, then
// `node scripts/screenshots.mjs`. Needs Chromium at /usr/bin/chromium.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(repo, "docs/images"),
  site = mkdtempSync(join(tmpdir(), "rgnn-site-"));
execFileSync(process.execPath, [join(repo, "bin/rgnn.js"), "playground", "-o", site], { stdio: "ignore" });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const p = await browser.newPage({ viewport: { width: 1440, height: 1300 }, deviceScaleFactor: 1 });
p.on("pageerror", (e) => console.log("pageerror", e.message));
await p.goto(`file://${site}/index.html`);
await p.waitForFunction(() => window.rgnnPlayground?.firstShownAt !== null);
await p.waitForSelector("#grid svg");
const box = await p.locator("#ellipses svg").boundingBox();
await p.mouse.click(box.x + box.width * 0.42, box.y + box.height * 0.4);
await p.waitForSelector("#value .katex");
await p.screenshot({ path: `${out}/playground.png` });
// an error: "tanh" misspelt "tahn" on line 8
await p.locator(".cm-line").nth(7).click();
await p.keyboard.press("End");
await p.keyboard.press("Home");
for (let i = 0; i < 10; i++) await p.keyboard.press("ArrowRight");
await p.keyboard.press("Delete");
await p.keyboard.press("Delete");
await p.keyboard.type("hn");
await p.waitForSelector(".cm-lintRange-error");
await p.locator(".cm-lintRange-error").first().hover();
await p.waitForSelector(".cm-tooltip-lint");
await p.waitForTimeout(200);
await p.screenshot({ path: `${out}/playground-error.png`, clip: { x: 0, y: 0, width: 1440, height: 520 } });
await browser.close();
rmSync(site, { recursive: true, force: true });
