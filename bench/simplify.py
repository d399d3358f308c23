# SymPy on the same Kerr metric (Boyer–Lindquist, symbols M, a) as bench/simplify.ts: Christoffel symbols,
# Riemann tensor, Ricci tensor, each Ricci component through cancel() (then simplify() on what is left), so the
# time to reach Ric = 0 compares with rgnn's. Prints one JSON line.
import json
import sys
import time

import sympy as sp

t, r, th, ph, M, a = sp.symbols("t r theta phi M a")
x = [t, r, th, ph]
S = r**2 + a**2 * sp.cos(th) ** 2
D = r**2 - 2 * M * r + a**2
g = sp.zeros(4)
g[0, 0] = -(1 - 2 * M * r / S)
g[0, 3] = g[3, 0] = -2 * M * r * a * sp.sin(th) ** 2 / S
g[1, 1] = S / D
g[2, 2] = S
g[3, 3] = (r**2 + a**2 + 2 * M * r * a**2 * sp.sin(th) ** 2 / S) * sp.sin(th) ** 2
t0 = time.time()
gi = g.inv()
G = [[[sum(gi[i, l] * (sp.diff(g[l, j], x[k]) + sp.diff(g[l, k], x[j]) - sp.diff(g[j, k], x[l])) for l in range(4)) / 2
       for k in range(4)] for j in range(4)] for i in range(4)]
def riemann(i, j, k, l):
    return (sp.diff(G[i][j][l], x[k]) - sp.diff(G[i][j][k], x[l])
            + sum(G[i][k][m] * G[m][j][l] - G[i][l][m] * G[m][j][k] for m in range(4)))
ric = [[sum(riemann(i, j, i, l) for i in range(4)) for l in range(4)] for j in range(4)]
built = time.time() - t0
zeros = 0
for j in range(4):
    for l in range(j, 4):
        e = sp.cancel(ric[j][l])
        if e != 0:
            e = sp.simplify(e)
        zeros += e == 0
        print(f"component {j}{l}: {time.time() - t0:.1f} s", file=sys.stderr)
print(json.dumps({"buildSeconds": built, "totalSeconds": time.time() - t0, "zeroComponents": zeros, "sympy": sp.__version__}))
