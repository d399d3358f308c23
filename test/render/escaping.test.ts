// Every output format of `rgnn derive` (DERIVATION_FORMATS) against user text with every format's specials: the spec's
// path and its names reach each view escaped by that format's escaping function, and each view still parses as its
// format. Both tables below are keyed by DerivationFormat: a new format without its escaping fails to type-check here.
import katex from "katex";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { DERIVATION_FORMATS, type DerivationFormat, FORMAT_NAMES } from "../../src/render/formats.js";
import { escapeHtml, escapeMarkdown, escapeTex } from "../../src/render/notation.js";
import { model } from "../helpers.js";

/** Names with the specials of TeX ($ \ { } _ ^ % & # ~), HTML (< > & "), Markdown (* _ ` [ ] #) and JSON (" \). */
const HOSTILE = [
  'x$\\immediate\\openout5=pwned.txt \\immediate\\write5{owned}\\immediate\\closeout5$<b>"*_`.rgnn',
  '$\\input{/etc/hostname}$ <script>alert("x")</script> [l](m).rgnn',
  "a&b#c%d_e^f~g{h}<i>\"j'`k*[l](m)|n!\\.rgnn",
];
/** Control sequences and markup the hostile names carry: none may appear in a view where they would act. */
const TEX_INJECTED = /\\(immediate|openout|write5|closeout|input\{)/;
const HTML_INJECTED = /<(script|b|i)\b/;

/** Spec names reach the views too; identifiers can carry `_`, special in TeX and Markdown. */
const SPEC = `manifold Po_lar (r_1, theta)
manifold Pla_ne (x, y)
map po_lar : Po_lar -> Pla_ne {
  x = r_1 * cos(theta)
  y = r_1 * sin(theta)
}
metric g_1 = pullback of euclidean along po_lar
check g_1 is symmetric
`;
const NAMES = ["Po_lar", "po_lar"];

/** Each format's one escaping function for user text (src/render/notation.ts; JSON's string escaping). */
const ESCAPE: Record<DerivationFormat, (s: string) => string> = {
  tex: escapeTex,
  html: escapeHtml,
  json: (s) => JSON.stringify(s).slice(1, -1),
  md: escapeMarkdown,
};

const renders = (tex: string, displayMode: boolean) => () => katex.renderToString(tex, { throwOnError: true, displayMode });

/** That a view is well-formed as its format: it parses, and its formulas render. */
const VALID: Record<DerivationFormat, (out: string, file: string) => void> = {
  tex: (out) => {
    // braces balance and environments nest once escaped characters, \\ and comments are set aside
    const bare = out
      .replace(/\\\\/g, "")
      .replace(/\\[{}%$&#_^~]/g, "")
      .replace(/%.*$/gm, "");
    let depth = 0;
    for (const c of bare) {
      depth += c === "{" ? 1 : c === "}" ? -1 : 0;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
    const envs: string[] = [];
    for (const [, kind, env] of bare.matchAll(/\\(begin|end)\{([^}]*)\}/g)) {
      if (kind === "begin") envs.push(env);
      else expect(envs.pop()).toBe(env);
    }
    expect(envs).toEqual([]);
    expect(out.replace(/\\textbackslash\{\}/g, "")).not.toMatch(TEX_INJECTED);
  },
  html: (out) => {
    // tags nest (void and self-closed elements aside); no raw markup from the names; each formula renders again
    const body = out.replace(/<style[\s\S]*?<\/style>/g, "").replace(/<!--[\s\S]*?-->/g, "");
    const VOID = new Set(["meta", "br", "hr", "img", "link", "input", "col", "wbr", "source", "area", "base"]);
    const open: string[] = [];
    for (const [, close, tag, self] of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)(?:\s[^>]*?)?(\/?)>/g)) {
      const t = tag.toLowerCase();
      if (VOID.has(t) || self || t === "!doctype") continue;
      if (close) expect(open.pop()).toBe(t);
      else open.push(t);
    }
    expect(open).toEqual([]);
    expect(out).not.toMatch(HTML_INJECTED);
    expect(out).not.toContain("katex-error");
    const sources = [...out.matchAll(/<annotation encoding="application\/x-tex">([^<]*)<\/annotation>/g)].map((m) =>
      m[1]
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, "&"),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const s of sources) expect(renders(s, false)).not.toThrow();
  },
  json: (out, file) => {
    const doc = JSON.parse(out);
    expect(`${JSON.stringify(doc, null, 2)}\n`).toBe(out);
    expect(doc.file).toBe(file);
  },
  md: (out) => {
    const blocks = [...out.matchAll(/\$\$\n([\s\S]*?)\n\$\$/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(0);
    for (const tex of blocks) expect(renders(tex, true)).not.toThrow();
    const inline = [...out.replace(/\$\$\n[\s\S]*?\n\$\$/g, "").matchAll(/(?<!\\)\$([^$]+)(?<!\\)\$/g)].map((m) => m[1]);
    for (const tex of inline) expect(renders(tex, false)).not.toThrow();
    // a backslash escapes markup and control sequences alike; an escaped backslash (\\\\) escapes nothing after it
    const unescaped = out.replaceAll("\\\\", "");
    expect(unescaped).not.toMatch(TEX_INJECTED);
    expect(unescaped).not.toMatch(/(?<!\\)<(script|b|i)\b/);
  },
};

describe("user text in every derivation format", () => {
  it("each format has its escaping and its validation", () => {
    expect(Object.keys(ESCAPE).sort()).toEqual([...FORMAT_NAMES].sort());
    expect(Object.keys(VALID).sort()).toEqual([...FORMAT_NAMES].sort());
  });

  for (const f of FORMAT_NAMES)
    HOSTILE.forEach((file, k) => {
      it(`${f}: hostile path ${k + 1} and names with underscores are escaped, and the view is valid ${f}`, () => {
        const out = DERIVATION_FORMATS[f].render(derive(model(SPEC, file)));
        expect(out).not.toContain(file); // every name carries a special of every format: never written as typed
        expect(out).toContain(ESCAPE[f](file));
        for (const name of NAMES) expect(out).toContain(ESCAPE[f](name));
        VALID[f](out, file);
      });
    });
});
