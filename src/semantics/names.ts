// Helpers for messages about names: "did you mean …?" suggestions.

/**
 * The Damerau–Levenshtein distance (Lowrance–Wagner): insertions, deletions, substitutions and swaps of two adjacent
 * letters cost 1 each, also when the swapped pair is edited again, so `tahn` is one edit from `tanh`, as a typist's
 * slip is.
 */
export function editDistance(a: string, b: string): number {
  const big = a.length + b.length;
  // d[i + 1][j + 1] is the distance of a[0, i) and b[0, j); row and column 0 hold `big` as a sentinel
  const d = Array.from({ length: a.length + 2 }, () => new Array<number>(b.length + 2).fill(0));
  d[0][0] = big;
  for (let i = 0; i <= a.length; i++) {
    d[i + 1][0] = big;
    d[i + 1][1] = i;
  }
  for (let j = 0; j <= b.length; j++) {
    d[0][j + 1] = big;
    d[1][j + 1] = j;
  }
  const lastRow = new Map<string, number>(); // the last row of a in which each letter was seen
  for (let i = 1; i <= a.length; i++) {
    let lastCol = 0; // the last column of b, in this row, where b's letter matched a[i − 1]
    for (let j = 1; j <= b.length; j++) {
      const k = lastRow.get(b[j - 1]) ?? 0,
        l = lastCol;
      const same = a[i - 1] === b[j - 1];
      if (same) lastCol = j;
      d[i + 1][j + 1] = Math.min(
        d[i][j] + (same ? 0 : 1),
        d[i + 1][j] + 1,
        d[i][j + 1] + 1,
        d[k][l] + (i - k - 1) + 1 + (j - l - 1), // swap a[k − 1] … a[i − 1] with b[l − 1] … b[j − 1]
      );
    }
    lastRow.set(a[i - 1], i);
  }
  return d[a.length + 1][b.length + 1];
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
