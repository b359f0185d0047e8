import unittest

import numpy as np
import torch

from lossyscale_worker.data import ArrayCache
from lossyscale_worker.models import build_model, stack_models, unstack_model
from lossyscale_worker.protocol import JobError
from lossyscale_worker.train import Prepared, group_jobs, train_group

from .helpers import tiny_bundle, tmp

CPU = torch.device("cpu")


class StackedModelTest(unittest.TestCase):
    def test_stacked_forward_equals_separate_models(self):
        for name in ("cnn", "resnet18"):
            singles = []
            for seed in (1, 2, 3):
                torch.manual_seed(seed)
                singles.append(build_model(name, 1, 1, 4, 0.125, 8).eval())
            stacked = stack_models(singles, build_model(name, 3, 1, 4, 0.125, 8)).eval()
            xs = [torch.randn(5, 1, 8, 8) for _ in singles]
            with torch.no_grad():
                out = stacked(torch.cat(xs, dim=1)).view(5, 3, 4)
                for i, (m, x) in enumerate(zip(singles, xs)):
                    # float32 grouped vs dense convolution: same sums, different order (~1e-6).
                    torch.testing.assert_close(out[:, i], m(x), rtol=1e-4, atol=1e-5)
            back = unstack_model(stacked, 2, build_model(name, 1, 1, 4, 0.125, 8))
            for (k, a), b in zip(back.state_dict().items(), singles[2].state_dict().values()):
                torch.testing.assert_close(a, b, msg=k)

    def test_resnet18_has_resnet18_shape(self):
        m = build_model("resnet18", 1, 1, 10, 1.0, 28)
        convs = [x for x in m.modules() if isinstance(x, torch.nn.Conv2d) and x.kernel_size == (3, 3)]
        self.assertEqual(len(convs), 17)  # stem + 8 blocks x 2
        params = sum(p.numel() for p in m.parameters())
        self.assertTrue(11.0e6 < params < 11.3e6, params)  # ResNet-18 is 11.2M with a 10-class head
        self.assertEqual(m(torch.zeros(2, 1, 28, 28)).shape, (2, 10))


class TrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tmp(cls, cls=True)
        cls.arrays, cls.jobs = tiny_bundle(cls.dir, jobs=[0, 1, 2], options={"epochs": 3, "returnPredictions": True})
        cls.cache = ArrayCache()

    def prep(self, job, **opts):
        job = {**job, "options": {**job["options"], **opts}}
        return Prepared(job, self.dir, self.arrays, self.cache)

    def test_group_training_equals_separate_training(self):
        ps = [self.prep(j) for j in self.jobs[:2]]
        self.assertEqual(len(group_jobs(ps, 8)), 1)
        together = train_group(ps, CPU)
        for p in ps:
            alone = train_group([p], CPU)[p.id]
            # Same data order, init and elementwise Adam; only summation order differs.
            np.testing.assert_allclose(together[p.id]["details"]["lossByEpoch"], alone["details"]["lossByEpoch"], rtol=1e-4)
            self.assertEqual(together[p.id]["predictions"]["test"], alone["predictions"]["test"])
            self.assertEqual(together[p.id]["details"]["groupSize"], 2)

    def test_learns_and_is_seeded(self):
        p = self.prep(self.jobs[0], epochs=6)
        a = train_group([p], CPU)[p.id]
        b = train_group([p], CPU)[p.id]
        self.assertEqual(a["details"]["lossByEpoch"], b["details"]["lossByEpoch"])
        self.assertLess(a["details"]["lossByEpoch"][-1], a["details"]["lossByEpoch"][0])
        self.assertGreater(a["evaluations"]["test"]["accuracy"], 0.5)  # 4 classes: chance 0.25
        self.assertEqual(a["details"]["validation"]["count"], 64)

    def test_bf16_autocast_on_cpu(self):
        # The CUDA mixed-precision path uses the same autocast code; on CPU it runs in bfloat16.
        p = self.prep(self.jobs[2], amp="bf16", epochs=1)
        r = train_group([p], CPU)[p.id]
        self.assertEqual(r["details"]["amp"], "bf16")
        self.assertTrue(np.isfinite(r["details"]["finalTrainLoss"]))
        with self.assertRaisesRegex(JobError, "fp16' on CPU"):
            train_group([self.prep(self.jobs[2], amp="fp16")], CPU)

    def test_incompatible_jobs_are_not_grouped_and_bad_options_are_named(self):
        ps = [self.prep(self.jobs[0]), self.prep(self.jobs[1], lr=1e-3), self.prep(self.jobs[2])]
        self.assertEqual([len(g) for g in group_jobs(ps, 8)], [2, 1])
        for opt, val, pat in [("epochs", 0, "options.epochs: 0"), ("model", "vgg", "options.model"), ("lr", -1, "options.lr"), ("colour", 1, "options.colour: unknown")]:
            with self.assertRaisesRegex(JobError, pat):
                self.prep(self.jobs[0], **{opt: val})


if __name__ == "__main__":
    unittest.main()
