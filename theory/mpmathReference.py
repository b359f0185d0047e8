"""Independent reference values of Lemma 1 (THEORY.md section 3) at 60 significant digits.

A second implementation, in Python with mpmath, that follows the THEORY.md formulas verbatim
(p^-l forms, n - D by subtraction: harmless at 60 digits) and solves the fixed point by plain
bisection on ln x (400 halvings). test/theory-risk.test.ts pins the TypeScript core against the
values this prints. Run: python3 theory/mpmathReference.py
"""
import json
from mpmath import mp, mpf, log, exp

mp.dps = 60

POINTS = [
    # p, q, r, tau, n, m, lambda
    ("2.01", 2, "0.99", "1", "7503", 7, "755.84"),
    ("2.01", 2, "0.99", "1", "100", 9, "0"),
    ("2.01", 2, "0.99", "1", "1000", 9, "0"),
    ("2.01", 2, "0.99", "1", "1e8", 60, "1e6"),
    ("4", 2, "0.1", "0.5", "50", 12, "1e-200"),
    ("3.5", 3, "1.7", "2", "1e5", 20, "1e250"),
    ("5", 4, "2", "0.3", "1000", 6, "1e-3"),
    ("2.01", 2, "0.99", "1", "511", 9, "1e-12"),
    ("16", 8, "0.5", "1", "12345.5", 5, "3.25"),
]


def risk(p, q, r, tau, n, m, lam):
    p, r, tau, n, lam = mpf(p), mpf(r), mpf(tau), mpf(n), mpf(lam)
    L = sum(mpf(q) ** l for l in range(m))
    K = (r / p) ** m / (1 - r / p)

    def F(x):
        return sum(mpf(q) ** l * p ** -l / (p ** -l + x) for l in range(m)) + (lam / x if lam > 0 else 0) - n

    if lam == 0 and n > L:
        x = mpf(0)
        D = L
    else:
        lo, hi = log(mpf("1e-700")), log(mpf("1e700"))
        for _ in range(400):
            mid = (lo + hi) / 2
            if F(exp(mid)) > 0:
                lo = mid
            else:
                hi = mid
        x = exp((lo + hi) / 2)
        D = sum(mpf(q) ** l * p ** (-2 * l) / (p ** -l + x) ** 2 for l in range(m))
    B = n * x ** 2 / (n - D) * sum(r ** l * p ** -l / (p ** -l + x) ** 2 for l in range(m))
    V = D / (n - D)
    R = tau ** 2 + K + B + (tau ** 2 + K) * V
    return {"lambdaStar": x, "bias": B, "variance": (tau ** 2 + K) * V, "compression": K, "risk": R, "dof": D}


out = []
for pt in POINTS:
    p, q, r, tau, n, m, lam = pt
    res = risk(*pt)
    out.append({"p": float(p), "q": q, "r": float(r), "tau": float(tau), "n": float(n), "m": m, "lambda": float(lam),
                **{k: mp.nstr(v, 20, min_fixed=-1, max_fixed=-1) for k, v in res.items()}})
print(json.dumps(out, indent=1))
