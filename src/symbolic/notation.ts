// Index notation for symbol names: W1 -> W_{1}, W1_12 -> W^{(1)}_{12} (layer 1, entry 12),
// x2_1 -> x^{(2)}_{1}, theta -> \\theta. Shared by derivations and renderers.

const GREEK = new Set([
  "alpha",
  "beta",
  "gamma",
  "delta",
  "epsilon",
  "zeta",
  "eta",
  "theta",
  "iota",
  "kappa",
  "lambda",
  "mu",
  "nu",
  "xi",
  "pi",
  "rho",
  "sigma",
  "tau",
  "upsilon",
  "phi",
  "chi",
  "psi",
  "omega",
  "Gamma",
  "Delta",
  "Theta",
  "Lambda",
  "Xi",
  "Pi",
  "Sigma",
  "Upsilon",
  "Phi",
  "Psi",
  "Omega",
]);

function base(letters: string): string {
  if (GREEK.has(letters)) return `\\${letters}`;
  return letters.length === 1 ? letters : `\\mathrm{${letters}}`;
}

/** A symbol name in index notation. */
export function latexSymbol(name: string): string {
  const m = /^([A-Za-z]+)(\d*)(?:_(\w+))?$/.exec(name);
  if (!m) return `\\mathrm{${name.replace(/_/g, "\\_")}}`;
  const [, letters, digits, sub] = m;
  if (sub !== undefined) return `${base(letters)}${digits ? `^{(${digits})}` : ""}_{${sub.replace(/_/g, ",")}}`;
  return digits ? `${base(letters)}_{${digits}}` : base(letters);
}
