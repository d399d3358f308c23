// Mutations of the examples must end in success or in formatted diagnostics: never an
// uncaught exception, never a hang. (The slowest case is printed, not asserted: performance
// belongs to bench/, and the test timeout is the hang guard.)
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../../src/semantics/load.js";
import { DiagnosticError } from "../../src/syntax/diagnostics.js";
import { rng } from "../helpers.js";

const dir = fileURLToPath(new URL("../../examples/", import.meta.url));
const examples = readdirSync(dir)
  .filter((f) => f.endsWith(".rgnn"))
  .map((f) => readFileSync(dir + f, "utf8"));
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?|->|"[^"\n]*"|\S/g;

function mutate(text: string, r: () => number): string {
  const toks = [...text.matchAll(TOKEN)].map((m) => ({ at: m.index!, text: m[0] }));
  if (toks.length === 0) return `${text}manifold`;
  const pick = () => toks[Math.floor(r() * toks.length)];
  const k = Math.floor(r() * 7);
  const t = pick(),
    u = pick();
  switch (k) {
    case 0:
      return text.slice(0, t.at) + text.slice(t.at + t.text.length); // delete a token
    case 1:
      return `${text.slice(0, t.at) + t.text} ${text.slice(t.at)}`; // duplicate a token
    case 2: {
      // swap two tokens
      const [a, b] = t.at < u.at ? [t, u] : [u, t];
      if (a === b || a.at + a.text.length > b.at) return text;
      return text.slice(0, a.at) + b.text + text.slice(a.at + a.text.length, b.at) + a.text + text.slice(b.at + b.text.length);
    }
    case 3: {
      const i = Math.floor(r() * text.length);
      return text.slice(0, i) + text.slice(i + 1);
    } // delete a character
    case 4: {
      const i = Math.floor(r() * text.length);
      return text.slice(0, i) + text[Math.floor(r() * text.length)] + text.slice(i);
    } // insert one
    case 5:
      return text.slice(0, Math.floor(r() * text.length)); // truncate
    default:
      return (
        text.slice(0, t.at) +
        ["0", "-1e9", "99999", "NaN", "(", "]", "repeat 9999 {", "R^0", '"x.json"', "=", "1e400"][Math.floor(r() * 11)] +
        text.slice(t.at + t.text.length)
      );
  }
}

describe("robustness", () => {
  it("checks 3000 mutated specs without an uncaught exception", () => {
    const r = rng(20171204);
    let accepted = 0,
      rejected = 0,
      slowest = 0;
    for (let i = 0; i < 3000; i++) {
      let text = examples[i % examples.length];
      const rounds = 1 + Math.floor(r() * 3);
      for (let k = 0; k < rounds; k++) text = mutate(text, r);
      const t0 = performance.now();
      try {
        loadSpec(text, "mutant.rgnn", dir);
        accepted++;
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw new Error(`uncaught ${e} on input:\n${text}`);
        for (const d of e.diagnostics) {
          expect(d.span.line).toBeGreaterThanOrEqual(1);
          expect(d.span.col).toBeGreaterThanOrEqual(1);
          expect(d.message.length).toBeGreaterThan(0);
        }
        expect(e.message).toMatch(/^[^\n]+:\d+:\d+: error: /);
        rejected++;
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(`robustness: ${accepted} accepted, ${rejected} rejected, slowest ${slowest.toFixed(1)} ms`);
    expect(accepted + rejected).toBe(3000);
    expect(rejected).toBeGreaterThan(1000);
  });
});
