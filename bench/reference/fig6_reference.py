#!/usr/bin/env python3
"""Reference algorithm for the Figure-6 simulation (THEORY.md section 5), written from the
specification for benchmarking the Monte Carlo engine: per-sample generation, a fresh
scikit-learn Ridge fit for every (n, m, lambda), and validation / test errors from explicit
10,000-row matrix products. This is the straightforward route the engine is measured
against (bench/simulate.bench.ts); it shares no code with the engine.

usage: /usr/bin/python3 bench/reference/fig6_reference.py '{"p":2.01,"q":2,"r":0.99,"tau":1,
        "levels":[2,...,9],"n":[100,...,10000],"extraLevels":5,"lambda0":[...],
        "validationSize":10000,"testSize":10000,"reps":1,"seed":1}'
prints one JSON object: per (n, m) the selected lambda0, its validation and test error, the
exact excess risk of the selected fit, and the seconds per repetition.
"""
import json
import math
import sys
import time

import numpy as np
from sklearn.linear_model import Ridge


def level_layout(q, levels):
    sizes = [q ** l for l in range(levels)]
    offsets = np.cumsum([0] + sizes)
    return sizes, offsets


def make_generator(cfg, rng):
    """Per-sample generator of the stylized model: every coordinate drawn, y = <x, theta> + eps."""
    p, q, r, tau = cfg["p"], cfg["q"], cfg["r"], cfg["tau"]
    levels = cfg["levels"][-1] + cfg["extraLevels"]
    sizes, offsets = level_layout(q, levels)
    half_width = np.concatenate([np.full(s, math.sqrt(3 * p ** -l)) for l, s in enumerate(sizes)])
    theta = np.concatenate([np.full(s, math.sqrt((r / q) ** l)) for l, s in enumerate(sizes)])
    kept = int(offsets[cfg["levels"][-1]])

    def draw(count):
        x = np.empty((count, kept))
        y = np.empty(count)
        for i in range(count):  # one sample at a time
            row = rng.uniform(-1.0, 1.0, size=half_width.size) * half_width
            y[i] = row @ theta + tau * rng.standard_normal()
            x[i] = row[:kept]
        return x, y

    return draw, theta[:kept]


def exact_excess(cfg, m, w, theta):
    """R(w) - tau^2 = K + sum_{l<m} p^-l ||w_l - theta_l||^2 with the generated (truncated) tail."""
    p, q, r = cfg["p"], cfg["q"], cfg["r"]
    top = cfg["levels"][-1] + cfg["extraLevels"]
    k = sum((r / p) ** l for l in range(m, top))
    sizes, offsets = level_layout(q, m)
    est = sum(p ** -l * float(np.sum((w[offsets[l]:offsets[l + 1]] - theta[offsets[l]:offsets[l + 1]]) ** 2)) for l in range(m))
    return k + est


def main():
    cfg = json.loads(sys.argv[1])
    p, q = cfg["p"], cfg["q"]
    kappa = math.log(p) / math.log(q)
    expo = (kappa + 1) / (2 * kappa + 1)
    out = {"cells": [], "repSeconds": [], "repCpuSeconds": []}
    for rep in range(cfg["reps"]):
        t0 = time.perf_counter()
        c0 = time.process_time()
        rng = np.random.default_rng([cfg["seed"], rep])
        draw, theta = make_generator(cfg, rng)
        x_train, y_train = draw(cfg["n"][-1])
        x_val, y_val = draw(cfg["validationSize"])
        x_test, y_test = draw(cfg["testSize"])
        for n in cfg["n"]:
            for m in cfg["levels"]:
                L = (q ** m - 1) // (q - 1)
                best = None
                for lam0 in cfg["lambda0"]:
                    model = Ridge(alpha=lam0 * n ** expo, fit_intercept=False)
                    model.fit(x_train[:n, :L], y_train[:n])
                    w = model.coef_
                    val = float(np.mean((x_val[:, :L] @ w - y_val) ** 2))
                    test = float(np.mean((x_test[:, :L] @ w - y_test) ** 2))
                    if best is None or val < best[1]:
                        best = (lam0, val, test, w)
                out["cells"].append({"rep": rep, "n": n, "m": m, "lambda0": best[0], "val": best[1], "test": best[2], "excess": exact_excess(cfg, m, best[3], theta)})
        out["repSeconds"].append(time.perf_counter() - t0)
        out["repCpuSeconds"].append(time.process_time() - c0)  # all threads of this process
    print(json.dumps(out))


if __name__ == "__main__":
    main()
