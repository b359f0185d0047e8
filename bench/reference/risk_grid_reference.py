#!/usr/bin/env python3
"""Deterministic risk R_det (paper Lemma 1, THEORY.md section 3) for every row of a CSV, the
straightforward Python route: csv module in, numpy over the levels, scipy's brentq for the
fixed point lambda_* (bracketed in log space), csv module out. Written from THEORY.md for the
`risk --grid` benchmark (bench/cli.bench.ts): the paper authors' own Python implementation
is not in this repository, so this is its faithful equivalent (same formulas, same columns),
not their code. It shares no code with lossyscale.

usage: python3 bench/reference/risk_grid_reference.py GRID.csv OUT.csv
GRID.csv has the header p,q,r,tau,n,m,lambda (numeric lambda); OUT.csv gets
p,q,r,tau,n,m,L,lambda,lambdaStar,bias,variance,compression,risk,excess,varianceFactor,dof.
"""
import csv
import math
import sys

import numpy as np
from scipy.optimize import brentq

FIELDS = ["p", "q", "r", "tau", "n", "m", "L", "lambda", "lambdaStar", "bias", "variance", "compression", "risk", "excess", "varianceFactor", "dof"]


def risk_row(p, q, r, tau, n, m, lam):
    l = np.arange(m, dtype=float)
    size = q ** l            # coordinates per level
    var = p ** -l            # feature variance per coordinate
    L = float(size.sum())
    K = (r / p) ** m / (1 - r / p)  # compression error: the dropped levels' signal
    noise = tau * tau + K
    if lam == 0 and n > L:
        x, V, B, D = 0.0, L / (n - L), 0.0, L
    else:
        def F(t):  # fixed point in t = ln x
            x = math.exp(t)
            return float(np.sum(size * var / (var + x))) + lam / x - n
        # F decreases from +inf (x -> 0) to -n (x -> inf): bracket over ln x in [-700, 700].
        lo, hi = -700.0, 700.0
        x = math.exp(brentq(F, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500))
        D = float(np.sum(size * var * var / (var + x) ** 2))
        V = D / (n - D)
        B = n * x * x / (n - D) * float(np.sum(r ** l * var / (var + x) ** 2))
    variance = noise * V
    return [p, q, r, tau, n, m, L, lam, x, B, variance, K, noise + B + variance, K + B + variance, V, D]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, newline="") as f, open(dst, "w", newline="") as g:
        rows = csv.reader(f)
        header = [h.strip() for h in next(rows)]
        idx = [header.index(c) for c in ["p", "q", "r", "tau", "n", "m", "lambda"]]
        out = csv.writer(g, lineterminator="\n")
        out.writerow(FIELDS)
        for row in rows:
            if not row:
                continue
            p, q, r, tau, n, m, lam = (float(row[i]) for i in idx)
            out.writerow([repr(v) for v in risk_row(p, q, r, tau, n, int(m), lam)])


if __name__ == "__main__":
    main()
