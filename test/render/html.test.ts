import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { htmlDocument } from "../../src/render/html.js";
import { model } from "../helpers.js";
import { requireTool } from "./tools.js";

const page = (name: string) =>
  htmlDocument(derive(model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples")));

describe("HTML output", () => {
  it("is one self-contained file: fonts inlined, nothing fetched", () => {
    const html = page("polar");
    expect(html).toContain("data:font/woff2;base64,");
    expect(html).not.toMatch(/url\(fonts\//);
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).toContain('<meta name="viewport"');
    expect(html).not.toContain("katex-error");
  });

  const hasChromium = requireTool("/usr/bin/chromium");
  it.runIf(hasChromium)("renders in headless Chromium with KaTeX fonts loaded and no failed requests", async () => {
    const { chromium } = await import("playwright-core");
    const dir = mkdtempSync(join(tmpdir(), "rgnn-html-"));
    const file = join(dir, "paper-toy.html");
    writeFileSync(file, page("paper-toy"));
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      for (const viewport of [
        { width: 390, height: 844 },
        { width: 420, height: 900 },
        { width: 1280, height: 900 },
      ]) {
        const p = await browser.newPage({ viewport });
        const failed: string[] = [];
        p.on("requestfailed", (r) => failed.push(r.url().slice(0, 80)));
        await p.goto(pathToFileURL(file).href);
        const fonts = await p.evaluate(async () => {
          await document.fonts.ready;
          return [...document.fonts].filter((f) => f.family.startsWith("KaTeX") && f.status === "loaded").map((f) => f.family);
        });
        expect(failed).toEqual([]);
        expect(new Set(fonts).size).toBeGreaterThanOrEqual(3); // main, math italic, size fonts at least
        expect(await p.locator(".katex-display").count()).toBeGreaterThan(50);
        expect(await p.locator(".step.failed").count()).toBe(0);
        // the page itself never scrolls sideways: wide formulas scroll inside their own box
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow).toBeLessThanOrEqual(1);
        // no formula is clipped silently: one wider than its box scrolls inside it, with a shadow at the hidden edge
        const boxes = await p.evaluate(() =>
          [...document.querySelectorAll(".formula")].map((f) => {
            const cs = getComputedStyle(f);
            return {
              wide: f.scrollWidth > f.clientWidth + 1,
              scrolls: cs.overflowX === "auto",
              shadow: cs.backgroundImage.includes("radial"),
            };
          }),
        );
        for (const b of boxes.filter((b) => b.wide)) expect(b).toEqual({ wide: true, scrolls: true, shadow: true });
        // index formulas are as dark as the text, not light grey
        const colours = await p.evaluate(() => [
          getComputedStyle(document.body).color,
          getComputedStyle(document.querySelector(".formula.general .katex")!).color,
        ]);
        expect(colours[1]).toBe(colours[0]);
        await p.screenshot({ path: join(dir, `paper-toy-${viewport.width}.png`) });
        await p.close();
      }
    } finally {
      await browser.close();
    }
  });
});
