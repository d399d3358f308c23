// Helpers for messages about names: "did you mean …?" suggestions.

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** A note suggesting the closest candidate, when one is close enough to be a likely typo. */
export function suggestion(name: string, candidates: Iterable<string>): string[] {
  let best: string | null = null,
    bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(name.length / 3)) ? [`did you mean '${best}'?`] : [];
}

export function listOf(items: readonly string[]): string {
  return items.map((s) => `'${s}'`).join(", ");
}
