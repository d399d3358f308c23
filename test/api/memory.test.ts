// A long-lived caller (an editor, a notebook) checks a spec and asks for its closed form on every edit: the heap
// must not keep what each edit built. Before graphs were owned by requests, 350 edits kept ~10 MB.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { checkSpec, metricSymbolic, pickMetric } from "../../src/index.js";
import { currentGraph } from "../../src/symbolic/expr.js";
import { heapAfterGC } from "../heap.js";

const TEXT = readFileSync("examples/paper-toy.rgnn", "utf8");
/** The k-th edit: other weights (so other nodes) each time, as a user tuning the spec makes. */
const edit = (k: number) => `${TEXT.replace(/0\.3/g, String(0.3 + k * 1e-4))}\n# edit ${k}\n`;

function hover(k: number): string {
  const r = checkSpec(edit(k), "examples/paper-toy.rgnn");
  if (!r.ok) throw new Error(r.message);
  return metricSymbolic(pickMetric(r.model))
    .definitions.map((d) => d.expr)
    .join("; ");
}

it("350 edits through checkSpec and metricSymbolic keep under 2 MB of heap", () => {
  for (let k = 0; k < 20; k++) hover(k); // warm: code, inline caches, interned strings of the spec's names
  const root = currentGraph().size;
  const before = heapAfterGC();
  const seen = new Set<string>();
  for (let k = 20; k < 370; k++) seen.add(hover(k));
  const grown = heapAfterGC() - before;
  expect(seen.size).toBe(350); // every edit gave its own closed form
  expect(currentGraph().size).toBe(root);
  expect(grown).toBeLessThan(2e6);
});
