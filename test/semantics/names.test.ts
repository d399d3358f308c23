// "Did you mean": the optimal-string-alignment distance against a direct transcription of its definition (the
// minimum over edit scripts, by brute force on short words), and the suggestions it makes.
import { describe, expect, it } from "vitest";
import { editDistance, suggestion } from "../../src/semantics/names.js";

/** The fewest edits (insert, delete, substitute, swap two adjacent letters), by breadth-first search over strings. */
function bruteForce(a: string, b: string): number {
  const letters = [...new Set(a + b)];
  let frontier = new Set([a]);
  const seen = new Set(frontier);
  for (let d = 0; ; d++) {
    if (frontier.has(b)) return d;
    const next = new Set<string>();
    for (const s of frontier) {
      const moves: string[] = [];
      for (let i = 0; i <= s.length; i++) for (const c of letters) moves.push(s.slice(0, i) + c + s.slice(i));
      for (let i = 0; i < s.length; i++) {
        moves.push(s.slice(0, i) + s.slice(i + 1));
        for (const c of letters) moves.push(s.slice(0, i) + c + s.slice(i + 1));
        if (i + 1 < s.length) moves.push(s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2));
      }
      for (const m of moves)
        if (m.length <= Math.max(a.length, b.length) + 1 && !seen.has(m)) {
          seen.add(m);
          next.add(m);
        }
    }
    frontier = next;
  }
}

describe("editDistance", () => {
  it("counts a swap of adjacent letters as one edit", () => {
    expect(editDistance("tahn", "tanh")).toBe(1);
    expect(editDistance("tyo", "toy")).toBe(1);
    expect(editDistance("sigmiod", "sigmoid")).toBe(1);
    expect(editDistance("ab", "ba")).toBe(1);
  });

  it("equals the fewest edits found by search, on every pair of short words over a small alphabet", () => {
    const words = ["", "a", "ab", "ba", "abc", "acb", "bca", "cab", "abca", "aabc"];
    for (const a of words) for (const b of words) expect(editDistance(a, b), `${a} → ${b}`).toBe(bruteForce(a, b));
  });
});

describe("suggestion", () => {
  it("proposes the closest name within a third of its length, never a far one", () => {
    expect(suggestion("tahn", ["linear", "tanh", "sigmoid"])).toEqual(["did you mean 'tanh'?"]);
    expect(suggestion("tyo", ["toy", "g"])).toEqual(["did you mean 'toy'?"]);
    expect(suggestion("xyz", ["toy", "g"])).toEqual([]);
  });
});
