"""Job kind "ridge-mc": the stylized-model Monte Carlo of THEORY.md section 5 in torch, float64.

Same protocol and output as the CPU engine (src/simulate/repetition.ts): the job carries a
SimulationPlan (the plain object src/simulate/plan.ts builds) and a list of repetitions; each
repetition returns {rep, cells: [{n, m, excess[], val[]?, testSel?, test[]?, sel, oracle}], seconds,
timing}, so src/simulate/aggregate.ts summarises GPU and CPU repetitions alike.

Per repetition (the CPU engine's algorithm class): one training set of size n_max drawn in
blocks; X^T X, X^T y accumulated so every n is a prefix; per (n, m) ONE symmetric
eigendecomposition of the leading L(m) block serves all lambdas, back-transformed together
(W = V (V^T X^T y / (s + lambda)) for the whole lambda grid, one matrix product); validation/test
errors from sufficient statistics (s - 2 w.c + w^T G w)/rows; exact risk
K + sum_l p^-l ||w_l - theta_l||^2. Uniform tail levels are drawn as exact sums of their
coordinates through 32 bit-plane binomials (as the CPU engine does), not coordinate by
coordinate.

Random numbers: torch's generator (Philox on CUDA, Mersenne Twister on CPU) seeded from
(seed, rep, stream) with streams 0 train, 1 validation, 2 test, so repetitions are
independent of how they are split across jobs or GPUs. The streams differ from the CPU
engine's xoshiro128**, so the two agree in distribution (tested statistically), and on the
same data to float tolerance (the job may carry the data: spec.data, tested against the CPU
engine fed the same samples).
"""

import hashlib
import math
import os
import time

import numpy as np
import torch

from .protocol import JobError

DTYPE = torch.float64


def _stream_seed(seed, rep, stream):
    h = hashlib.sha256(f"lossyscale-ridge-mc/{seed}/{rep}/{stream}".encode()).digest()
    return int.from_bytes(h[:8], "little") & ((1 << 63) - 1)


def _req(obj, key, where, kind=(int, float), check=None, valid=""):
    v = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(v, kind) or isinstance(v, bool) or (check is not None and not check(v)):
        raise JobError("input", f"invalid {where}.{key}: {v!r} (valid: {valid})")
    return v


def parse_plan(plan, where):
    """Check the SimulationPlan fields this kernel uses (the TS side validated the rest)."""
    params = plan.get("params") if isinstance(plan, dict) else None
    if not isinstance(params, dict):
        raise JobError("input", f"invalid {where}.params: {params!r} (valid: {{p, q, r, tau}})")
    for k in ("p", "q", "r", "tau"):
        _req(params, k, f"{where}.params", check=lambda v: math.isfinite(v), valid="a finite number")
    if not (params["p"] > params["q"] > 1 and 0 < params["r"] < params["p"] and params["tau"] >= 0):
        raise JobError("input", f"invalid {where}.params: {params} (valid: p > q > 1, 0 < r < p, tau >= 0)")
    levels = _req(plan, "levels", where, list, lambda v: len(v) > 0 and all(isinstance(m, int) and m >= 1 for m in v) and v == sorted(set(v)), "strictly increasing integers >= 1")
    ns = _req(plan, "n", where, list, lambda v: len(v) > 0 and all(isinstance(n, int) and n >= 1 for n in v) and v == sorted(set(v)), "strictly increasing integers >= 1")
    lambdas = _req(plan, "lambdas", where, list, lambda v: len(v) == len(ns) and all(isinstance(r, list) and len(r) == len(v[0]) > 0 and all(isinstance(x, (int, float)) and x >= 0 and math.isfinite(x) for x in r) for r in v), "one list of lambdas >= 0 per n")
    extra = _req(plan, "extraLevels", where, int, lambda v: 0 <= v <= 10, "an integer 0..10")
    if plan.get("features") not in ("uniform", "gaussian"):
        raise JobError("input", f"invalid {where}.features: {plan.get('features')!r} (valid: uniform or gaussian)")
    if plan.get("tail", "coordinates") not in ("coordinates", "levelSums"):
        raise JobError("input", f"invalid {where}.tail: {plan.get('tail')!r} (valid: coordinates or levelSums)")
    for k in ("validationSize", "testSize", "seed"):
        _req(plan, k, where, int, lambda v: v >= 0, "an integer >= 0")
    if plan.get("scoring") not in ("exact", "sampled"):
        raise JobError("input", f"invalid {where}.scoring: {plan.get('scoring')!r} (valid: exact or sampled)")
    if plan.get("lambdaSelection") not in ("validation", "oracle"):
        raise JobError("input", f"invalid {where}.lambdaSelection: {plan.get('lambdaSelection')!r} (valid: validation or oracle)")
    if plan["lambdaSelection"] == "validation" and plan["validationSize"] < 1:
        raise JobError("input", f"invalid {where}.validationSize: 0 (valid: >= 1 with lambdaSelection validation)")
    q = params["q"]
    if (q ** (levels[-1] + extra) - 1) / (q - 1) > 2 ** 24:
        raise JobError("input", f"invalid {where}.extraLevels: {extra} (valid: L(m_max + extraLevels) <= 2^24 coordinates)")
    return plan


class Model:
    """Level structure of the stylized model (THEORY.md section 2) up to level M - 1."""

    def __init__(self, params, m_max, M, features, tail, device):
        p, q, r = params["p"], params["q"], params["r"]
        self.p, self.q, self.r, self.tau = p, q, r, params["tau"]
        self.m_max, self.M, self.features, self.tail = m_max, M, features, tail
        self.size = [int(round(q ** l)) for l in range(M)]
        self.var = [p ** -l for l in range(M)]
        self.coef = [math.sqrt(r ** l / q ** l) for l in range(M)]
        self.L = lambda m: sum(self.size[:m])
        self.Lmax = self.L(m_max)
        rep = lambda vals: torch.tensor(np.repeat(vals[:m_max], self.size[:m_max]), dtype=DTYPE, device=device)  # noqa: E731
        self.scale = rep([math.sqrt(3 * v) if features == "uniform" else math.sqrt(v) for v in self.var])
        self.theta = rep(self.coef)
        self.pvar = rep(self.var)
        self.planes = torch.tensor([2.0 ** b for b in range(32)], dtype=DTYPE, device=device)

    def tail_energy(self, m):
        """K = sum_{m <= l < M} (r/p)^l: the generating model's tail (src/model/populationRisk.ts tailLevels)."""
        rho = self.r / self.p
        return sum(rho ** l for l in range(self.M - 1, m - 1, -1))


def _sample(model, rows, gen, device):
    """rows samples: X (rows x Lmax, float64) and y."""
    if model.features == "uniform":
        x = (torch.rand(rows, model.Lmax, dtype=DTYPE, generator=gen, device=device) * 2 - 1) * model.scale
    else:
        x = torch.randn(rows, model.Lmax, dtype=DTYPE, generator=gen, device=device) * model.scale
    y = x @ model.theta
    for l in range(model.m_max, model.M):
        if model.tail == "levelSums" or model.features == "gaussian":
            # One draw of the level's whole y-contribution, N(0, (r/p)^l): exact for Gaussian
            # features, variance-matched for uniform ones (see src/model/sample.ts).
            y += math.sqrt((model.r / model.p) ** l) * torch.randn(rows, dtype=DTYPE, generator=gen, device=device)
            continue
        # The level's q^l uniform coordinates a ((k + 1/2) 2^-31 - 1), k uniform 32-bit integers
        # (the CPU engine's grid), enter y only through their sum a (S 2^-31 + q^l (2^-32 - 1)).
        # Each bit of the integers is a fair coin, so S = sum_b 2^b B_b with B_b iid
        # Binomial(q^l, 1/2): 32 binomial draws per sample (torch's rejection sampler) instead
        # of q^l uniforms, the same distribution (src/model/sample.ts, tail 'coordinates').
        cnt = model.size[l]
        a = math.sqrt(3 * model.var[l])
        counts = torch.full((rows, 32), float(cnt), dtype=DTYPE, device=device)
        bits = torch.binomial(counts, torch.full_like(counts, 0.5), generator=gen)
        s = bits @ model.planes
        y += model.coef[l] * a * (s * 2.0 ** -31 + cnt * (2.0 ** -32 - 1))
    if model.tau > 0:
        y += model.tau * torch.randn(rows, dtype=DTYPE, generator=gen, device=device)
    return x, y


class Moments:
    def __init__(self, L, device):
        self.g = torch.zeros(L, L, dtype=DTYPE, device=device)
        self.c = torch.zeros(L, dtype=DTYPE, device=device)
        self.syy = torch.zeros((), dtype=DTYPE, device=device)
        self.rows = 0

    def add(self, x, y):
        self.g.addmm_(x.T, x)
        self.c.addmv_(x.T, y)
        self.syy += y @ y
        self.rows += x.shape[0]


def _load_rows(bundle, ref, Lmax, where):
    """Given data for one set: raw little-endian float64 x (rows x Lmax, row-major) and y."""
    rows = _req(ref, "rows", where, int, lambda v: v >= 1, "an integer >= 1")
    out = []
    for key, count in (("x", rows * Lmax), ("y", rows)):
        rel = ref.get(key)
        path = rel if isinstance(rel, str) and os.path.isabs(rel) else os.path.join(bundle, str(rel))
        if not os.path.isfile(path):
            raise JobError("resource", f"{where}.{key} file not found: {path}")
        arr = np.fromfile(path, dtype="<f8")
        if arr.size != count:
            raise JobError("input", f"invalid {where}.{key}: {arr.size} values in {path} (valid: {count})")
        out.append(arr)
    return out[0].reshape(rows, Lmax), out[1]


def _round(x, digits):
    return [float(f"{v:.{digits - 1}e}") for v in x]


def run_repetition(plan, rep, device, data=None, bundle=".", block_rows=None):
    """One repetition (THEORY.md section 5); same output shape as runRepetition in src/simulate/repetition.ts."""
    t0 = time.time()
    timing = {"sampleSeconds": 0.0, "gramSeconds": 0.0, "factorSeconds": 0.0, "solveSeconds": 0.0}
    levels, ns = plan["levels"], plan["n"]
    M = levels[-1] + plan["extraLevels"]
    model = Model(plan["params"], levels[-1], M, plan["features"], plan.get("tail", "coordinates"), device)
    cuda = device.type == "cuda"
    B = block_rows or (16384 if cuda else 1024)

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    def source(stream, name):
        if data is not None and name in data:
            x, y = _load_rows(bundle, data[name], model.Lmax, f"spec.data.{name}")
            x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
            pos = [0]

            def take(rows):
                if pos[0] + rows > x.shape[0]:
                    raise JobError("input", f"invalid spec.data.{name}.rows: {x.shape[0]} (valid: >= {pos[0] + rows} for this plan)")
                out = x[pos[0]:pos[0] + rows], y[pos[0]:pos[0] + rows]
                pos[0] += rows
                return out
            return take
        gen = torch.Generator(device=device)
        gen.manual_seed(_stream_seed(plan["seed"], rep, stream))
        return lambda rows: _sample(model, rows, gen, device)

    def accumulate(take, mom, rows):
        left = rows
        while left > 0:
            k = min(B, left)
            ta = time.time()
            x, y = take(k)
            sync()
            tb = time.time()
            mom.add(x, y)
            sync()
            timing["sampleSeconds"] += tb - ta
            timing["gramSeconds"] += time.time() - tb
            left -= k

    val = None
    if plan["lambdaSelection"] == "validation" or plan["validationSize"] > 0:
        val = Moments(model.Lmax, device)
        if plan["validationSize"] > 0:
            accumulate(source(1, "validation"), val, plan["validationSize"])
    test = None
    if plan["scoring"] == "sampled":
        test = Moments(model.Lmax, device)
        accumulate(source(2, "test"), test, plan["testSize"])
    train = Moments(model.Lmax, device)
    take_train = source(0, "train")
    K = [model.tail_energy(m) for m in levels]
    cells = []

    def sampled_error(mom, W, L):
        # (s - 2 w.c + w^T G w) / rows for every column w of W
        quad = ((mom.g[:L, :L] @ W) * W).sum(0)
        return ((mom.syy - 2 * (mom.c[:L] @ W) + quad) / mom.rows).cpu().tolist()

    for ni, n in enumerate(ns):
        accumulate(take_train, train, n - train.rows)
        lam = torch.tensor(plan["lambdas"][ni], dtype=DTYPE, device=device)
        for mi, m in enumerate(levels):
            L = model.L(m)
            tf = time.time()
            s, V = torch.linalg.eigh(train.g[:L, :L])
            u = V.T @ train.c[:L]
            sync()
            ts = time.time()
            timing["factorSeconds"] += ts - tf
            W = V @ (u[:, None] / (s[:, None] + lam[None, :]))  # (L, lambdas)
            excess = (K[mi] + (model.pvar[:L, None] * (W - model.theta[:L, None]) ** 2).sum(0)).cpu().tolist()
            val_err = sampled_error(val, W, L) if val is not None and val.rows > 0 else []
            test_err = sampled_error(test, W, L) if test is not None else []
            timing["solveSeconds"] += time.time() - ts
            oracle = int(np.argmin(excess))
            sel = int(np.argmin(val_err)) if plan["lambdaSelection"] == "validation" else oracle
            cell = {"n": n, "m": m, "excess": _round(excess, 8), "sel": sel, "oracle": oracle}
            if val_err:
                cell["val"] = _round(val_err, 10)
            if test_err:
                # Same row format as the CPU engine: the sampled test error at the selected
                # lambda (the only one aggregation reads); the per-lambda curve is kept too.
                cell["testSel"] = _round([test_err[sel]], 10)[0]
                cell["test"] = _round(test_err, 10)
            cells.append(cell)
    return {"rep": rep, "cells": cells, "seconds": time.time() - t0, "timing": timing}


def run_ridge_mc(spec, device, progress=None, is_cancelled=None, where="spec"):
    """A ridge-mc job: {plan, reps: [int...], blockRows?, data?} -> {repetitions: [...], device, rng}."""
    if not isinstance(spec, dict):
        raise JobError("input", f"invalid {where}: {spec!r} (valid: {{plan, reps}})")
    plan = parse_plan(spec.get("plan"), f"{where}.plan")
    reps = _req(spec, "reps", where, list, lambda v: len(v) > 0 and all(isinstance(r, int) and r >= 0 for r in v), "a non-empty list of repetition indices >= 0")
    block = spec.get("blockRows")
    if block is not None:
        _req(spec, "blockRows", where, int, lambda v: v >= 1, "an integer >= 1")
    data = spec.get("data")
    if data is not None and len(reps) != 1:
        raise JobError("input", f"invalid {where}.reps: {reps} (valid: exactly one repetition when {where}.data is given)")
    out = []
    for i, rep in enumerate(reps):
        if is_cancelled is not None and is_cancelled():
            raise JobError("cancelled", "ridge-mc job cancelled")
        out.append(run_repetition(plan, rep, device, data, spec.get("bundle", "."), block))
        if progress is not None:
            progress((i + 1) / len(reps), f"repetition {rep} ({i + 1}/{len(reps)}) {out[-1]['seconds']:.2f}s")
    return {"repetitions": out, "device": str(device), "rng": "torch " + ("philox" if device.type == "cuda" else "mt19937"), "dtype": "float64", "torch": torch.__version__}
