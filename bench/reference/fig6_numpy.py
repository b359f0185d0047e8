#!/usr/bin/env python3
"""Strong peer of the Monte Carlo engine for the Figure-6 simulation (THEORY.md section 5):
the same algorithm class as lossyscale's engine, written the way a numpy/LAPACK user would,
sharing no code with it:
- vectorised sampling in blocks (numpy PCG64): kept uniform coordinates
  x = a_l ((k + 1/2) 2^-31 - 1) from 32-bit integers k (computed in place), and the exact
  tail: the sum of q^l uniform 32-bit integers drawn as sum_b 2^b Binomial(q^l, 1/2) over its
  32 bit planes (the distribution lossyscale's 'coordinates' tail draws), each binomial from
  a vectorised Walker/Vose alias table (outcomes of pmf below 2^-70 dropped; 7x faster here
  than numpy's own binomial); Gaussian noise;
- nested prefixes sharing one Gram: G += X_b^T X_b by BLAS dsyrk (scipy.linalg.blas), the
  Gram for m levels the leading L(m) x L(m) block;
- one symmetric eigendecomposition per (n, m) for all lambdas (numpy.linalg.eigh, LAPACK
  dsyevd; or scipy's dsyevr, whichever this machine runs faster, see --driver), the kernel
  form n x n when n < L and cheaper; all lambdas back-transformed in one matrix product;
- validation errors from sufficient statistics (G_v, c_v, s_v), exact excess risk.

usage: /usr/bin/python3 bench/reference/fig6_numpy.py '{"p":2.01,"q":2,"r":0.99,"tau":1,
        "levels":[2,...,9],"n":[100,...,100000],"extraLevels":5,"lambda0":[...],
        "lambdas":[[...] per n],"validationSize":10000,"reps":3,"seed":1,"blockRows":2048,
        "driver":"evd"}'
(lambdas: the engine's penalty grid for each n, lambda0 n^((kappa+1)/(2 kappa+1)).)
prints one JSON object: per (rep, n, m) the selected lambda index and its exact excess risk,
the per-phase seconds, and the process CPU seconds (whole process, imports included).
"""
import json
import math
import resource
import sys
import time

import numpy as np
import scipy.linalg
from scipy.linalg.blas import dsyrk


def bits(q, m):
    return (q ** m - 1) // (q - 1)


def alias_table(cnt):
    """Walker/Vose alias table of Binomial(cnt, 1/2) over the outcomes of pmf >= 2^-70."""
    ks = np.arange(cnt + 1)
    logpmf = np.array([math.lgamma(cnt + 1) - math.lgamma(k + 1) - math.lgamma(cnt - k + 1) for k in ks]) - cnt * math.log(2)
    keep = logpmf >= -70 * math.log(2)
    lo = int(ks[keep][0])
    pmf = np.exp(logpmf[keep])
    pmf /= pmf.sum()
    K = pmf.size
    prob = pmf * K
    alias = np.arange(K)
    small = [i for i in range(K) if prob[i] < 1]
    large = [i for i in range(K) if prob[i] >= 1]
    while small and large:
        s, g = small.pop(), large.pop()
        alias[s] = g
        prob[g] -= 1 - prob[s]
        (small if prob[g] < 1 else large).append(g)
    for i in small + large:
        prob[i] = 1.0
    return lo, prob, alias


def main():
    cfg = json.loads(sys.argv[1])
    p, q, r, tau = cfg["p"], cfg["q"], cfg["r"], cfg["tau"]
    levels = cfg["levels"]
    m_max = levels[-1]
    top = m_max + cfg["extraLevels"]
    L_max = bits(q, m_max)
    B = cfg.get("blockRows", 2048)
    lam_grid = [np.array(row, dtype=float) for row in cfg["lambdas"]]
    driver = cfg.get("driver", "evd")
    n_list = cfg["n"]
    n_val = cfg["validationSize"]

    sizes = [q ** l for l in range(top)]
    half = np.concatenate([np.full(sizes[l], math.sqrt(3 * p ** -l)) for l in range(m_max)])
    theta = np.concatenate([np.full(sizes[l], math.sqrt((r / q) ** l)) for l in range(m_max)])
    tail = [(math.sqrt((r / q) ** l) * math.sqrt(3 * p ** -l), sizes[l], alias_table(sizes[l])) for l in range(m_max, top)]
    planes = 2.0 ** np.arange(32)
    lvl_var = np.concatenate([np.full(sizes[l], p ** -l) for l in range(m_max)])
    tail_energy = [sum((r / p) ** l for l in range(m, top)) for m in levels]

    def eigh(a):
        if driver == "evr":
            return scipy.linalg.eigh(a, driver="evr", check_finite=False, overwrite_a=True)
        return np.linalg.eigh(a)

    timing = {"sample": 0.0, "gram": 0.0, "factor": 0.0, "solve": 0.0}

    def draw(rng, count):
        k = rng.integers(0, 2 ** 32, size=(count, L_max), dtype=np.uint32)
        x = np.multiply(k, 2.0 ** -31)  # exact; + (2^-32 - 1) is exact too: x = (k + 1/2) 2^-31 - 1
        x += 2.0 ** -32 - 1.0
        x *= half
        y = x @ theta
        for coef_a, cnt, (lo, prob, alias) in tail:
            idx = rng.integers(0, prob.size, size=(count, 32))
            bits_b = np.where(rng.random((count, 32)) < prob[idx], idx, alias[idx]) + lo
            s = bits_b @ planes
            y += coef_a * (s * 2.0 ** -31 + cnt * (2.0 ** -32 - 1))
        y += tau * rng.standard_normal(count)
        return x, y

    def accumulate(rng, mom, rows, keep=None):
        left = rows
        while left > 0:
            k = min(B, left)
            t0 = time.process_time()
            x, y = draw(rng, k)
            t1 = time.process_time()
            if keep is not None and mom["rows"] < keep["x"].shape[0]:
                take = min(k, keep["x"].shape[0] - mom["rows"])
                keep["x"][mom["rows"]:mom["rows"] + take] = x[:take]
                keep["y"][mom["rows"]:mom["rows"] + take] = y[:take]
            # x.T is Fortran-contiguous (L x k): dsyrk without a copy, lower triangle of G.
            mom["g"] = dsyrk(1.0, x.T, beta=1.0, c=mom["g"], trans=0, lower=1, overwrite_c=1)
            mom["c"] += x.T @ y
            mom["s"] += float(y @ y)
            mom["rows"] += k
            timing["sample"] += t1 - t0
            timing["gram"] += time.process_time() - t1
            left -= k

    def new_moments():
        return {"g": np.zeros((L_max, L_max), order="F"), "c": np.zeros(L_max), "s": 0.0, "rows": 0}

    def use_dual(n, L):
        return n < L and (4 / 3) * n ** 3 + n * n * L < (4 / 3) * L ** 3

    out = {"cells": [], "repCpuSeconds": [], "driver": driver}
    for rep in range(cfg["reps"]):
        c0 = time.process_time()
        val = new_moments()
        accumulate(np.random.default_rng([cfg["seed"], rep, 1]), val, n_val)
        gv = np.tril(val["g"]) + np.tril(val["g"], -1).T
        train = new_moments()
        rng = np.random.default_rng([cfg["seed"], rep, 0])
        dual_rows = max([n for n in n_list if any(use_dual(n, bits(q, m)) for m in levels)], default=0)
        keep = {"x": np.zeros((dual_rows, L_max)), "y": np.zeros(dual_rows)} if dual_rows else None
        for ni, n in enumerate(n_list):
            accumulate(rng, train, n - train["rows"], keep)
            lam = lam_grid[ni]
            for mi, m in enumerate(levels):
                L = bits(q, m)
                t0 = time.process_time()
                if keep is not None and use_dual(n, L):
                    xn = keep["x"][:n, :L]
                    s, u = eigh(xn @ xn.T)
                    b = u.T @ keep["y"][:n]
                    t1 = time.process_time()
                    w = xn.T @ (u @ (b[:, None] / (s[:, None] + lam[None, :])))
                else:
                    g = np.tril(train["g"][:L, :L])
                    s, v = eigh(g + np.tril(g, -1).T)
                    b = v.T @ train["c"][:L]
                    t1 = time.process_time()
                    w = v @ (b[:, None] / (s[:, None] + lam[None, :]))
                pw = gv[:L, :L] @ w
                val_err = (val["s"] - 2 * (val["c"][:L] @ w) + np.einsum("ij,ij->j", w, pw)) / val["rows"]
                excess = tail_energy[mi] + lvl_var[:L] @ (w - theta[:L, None]) ** 2
                sel = int(np.argmin(val_err))
                timing["factor"] += t1 - t0
                timing["solve"] += time.process_time() - t1
                out["cells"].append({"rep": rep, "n": n, "m": m, "sel": sel, "excess": float(excess[sel])})
        out["repCpuSeconds"].append(time.process_time() - c0)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["timing"] = timing
    out["processCpuSeconds"] = ru.ru_utime + ru.ru_stime
    print(json.dumps(out))


if __name__ == "__main__":
    main()
