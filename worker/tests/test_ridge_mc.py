import math
import unittest

import torch

from lossyscale_worker.protocol import JobError
from lossyscale_worker.ridge_mc import Model, _sample, run_ridge_mc

CPU = torch.device("cpu")
PARAMS = {"p": 2.01, "q": 2, "r": 0.99, "tau": 1.0}


class SamplerMomentsTest(unittest.TestCase):
    """Moments of the generator (THEORY.md section 2) for every feature/tail mode: coordinate
    variances p^-l, Var(y) = tau^2 + sum_{l<M} (r/p)^l, and Cov(x_j, y) = theta_j p^-l."""

    def check(self, features, tail):
        model = Model(PARAMS, 3, 6, features, tail, CPU)
        gen = torch.Generator().manual_seed(11)
        rows = 40000
        x, y = _sample(model, rows, gen, CPU)
        var_y = PARAMS["tau"] ** 2 + sum((0.99 / 2.01) ** l for l in range(6))
        # Relative sampling error of a variance from 40,000 draws is about sqrt(2/40000) = 0.7%;
        # 4% is over 5 standard errors.
        self.assertAlmostEqual(float(y.var()) / var_y, 1.0, delta=0.04)
        torch.testing.assert_close(x.var(0), model.pvar, rtol=0.04, atol=0)
        cov = (x * y[:, None]).mean(0)
        torch.testing.assert_close(cov, model.theta * model.pvar, rtol=0, atol=0.03)

    def test_uniform_coordinates(self):
        self.check("uniform", "coordinates")

    def test_uniform_level_sums(self):
        self.check("uniform", "levelSums")

    def test_gaussian(self):
        self.check("gaussian", "coordinates")

    def test_streams_are_seeded_and_distinct(self):
        plan = {"params": PARAMS, "levels": [2, 3], "n": [20, 40], "lambdas": [[1.0, 10.0]] * 2, "extraLevels": 2, "features": "uniform",
                "tail": "coordinates", "validationSize": 30, "testSize": 0, "scoring": "exact", "lambdaSelection": "validation", "seed": 3}
        a = run_ridge_mc({"plan": plan, "reps": [0, 1]}, CPU)["repetitions"]
        b = run_ridge_mc({"plan": plan, "reps": [1]}, CPU)["repetitions"]
        self.assertEqual(a[1]["cells"], b[0]["cells"])  # a repetition does not depend on its job
        self.assertNotEqual(a[0]["cells"], a[1]["cells"])
        self.assertTrue(all(math.isfinite(v) for c in a[0]["cells"] for v in c["excess"] + c["val"]))

    def test_bad_plans_name_the_field(self):
        plan = {"params": PARAMS, "levels": [2, 3], "n": [20], "lambdas": [[1.0]], "extraLevels": 2, "features": "uniform",
                "validationSize": 0, "testSize": 0, "scoring": "exact", "lambdaSelection": "oracle", "seed": 3}
        for key, value, pattern in [("levels", [3, 2], r"plan.levels"), ("n", [0], r"plan.n"), ("lambdas", [[-1.0]], r"plan.lambdas"),
                                    ("extraLevels", 30, r"plan.extraLevels"), ("lambdaSelection", "validation", r"plan.validationSize")]:
            with self.assertRaisesRegex(JobError, pattern):
                run_ridge_mc({"plan": {**plan, key: value}, "reps": [0]}, CPU)
        with self.assertRaisesRegex(JobError, r"spec.reps"):
            run_ridge_mc({"plan": plan, "reps": []}, CPU)
        with self.assertRaisesRegex(JobError, r"p > q > 1"):
            run_ridge_mc({"plan": {**plan, "params": {**PARAMS, "p": 1.5}}, "reps": [0]}, CPU)


if __name__ == "__main__":
    unittest.main()
