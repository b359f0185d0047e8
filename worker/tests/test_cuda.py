"""CUDA-only paths (fp16 loss scaling, bf16 autocast, cuDNN, channels-last, CUDA generators).

Skipped, with the reason printed, on machines without a GPU (CI); on a GPU machine run
`python3 -m unittest tests.test_cuda -v` from worker/ before the real runs (docs/gpu.md)."""

import unittest

import numpy as np
import torch

from lossyscale_worker.data import ArrayCache
from lossyscale_worker.ridge_mc import Model, _sample, run_ridge_mc
from lossyscale_worker.train import Prepared, train_group

from .helpers import tiny_bundle, tmp

HAS_CUDA = torch.cuda.is_available()
REASON = "no CUDA device: the CUDA code paths are not exercised on this machine"


@unittest.skipUnless(HAS_CUDA, REASON)
class CudaTrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmp(cls, cls=True)
        cls.arrays, cls.jobs = tiny_bundle(cls.dir, jobs=[0, 1, 2], options={"epochs": 3, "returnPredictions": True})
        cls.cache = ArrayCache()
        cls.dev = torch.device("cuda")

    def prep(self, job, **opts):
        return Prepared({**job, "options": {**job["options"], **opts}}, self.dir, self.arrays, self.cache)

    def test_each_amp_mode_trains(self):
        modes = ["fp16", "off"] + (["bf16"] if torch.cuda.is_bf16_supported() else [])
        for amp in modes:
            for cl in (False, True):
                p = self.prep(self.jobs[0], amp=amp, channelsLast=cl, epochs=6)
                r = train_group([p], self.dev)[p.id]
                self.assertEqual(r["details"]["amp"], amp)
                self.assertTrue(np.isfinite(r["details"]["finalTrainLoss"]), (amp, cl))
                self.assertLess(r["details"]["lossByEpoch"][-1], r["details"]["lossByEpoch"][0], (amp, cl))

    def test_stacked_group_matches_alone_on_gpu(self):
        ps = [self.prep(j, amp="off") for j in self.jobs[:2]]
        together = train_group(ps, self.dev)
        for p in ps:
            alone = train_group([p], self.dev)[p.id]
            # cuDNN picks algorithms per shape (benchmark mode): float32 summation order differs.
            np.testing.assert_allclose(together[p.id]["details"]["lossByEpoch"], alone["details"]["lossByEpoch"], rtol=1e-3)


@unittest.skipUnless(HAS_CUDA, REASON)
class CudaRidgeMcTest(unittest.TestCase):
    def test_cuda_generator_moments_and_seeding(self):
        dev = torch.device("cuda")
        params = {"p": 2.01, "q": 2, "r": 0.99, "tau": 1.0}
        model = Model(params, 3, 6, "uniform", "coordinates", dev)
        x, y = _sample(model, 40000, torch.Generator(device=dev).manual_seed(5), dev)
        var_y = 1 + sum((0.99 / 2.01) ** l for l in range(6))
        self.assertAlmostEqual(float(y.var()) / var_y, 1.0, delta=0.04)
        plan = {"params": params, "levels": [2, 3], "n": [20, 40], "lambdas": [[1.0, 10.0]] * 2, "extraLevels": 2, "features": "uniform",
                "validationSize": 30, "testSize": 0, "scoring": "exact", "lambdaSelection": "validation", "seed": 3}
        a = run_ridge_mc({"plan": plan, "reps": [0, 1]}, dev)["repetitions"]
        b = run_ridge_mc({"plan": plan, "reps": [1]}, dev)["repetitions"]
        self.assertEqual(a[1]["cells"], b[0]["cells"])


if __name__ == "__main__":
    unittest.main()
