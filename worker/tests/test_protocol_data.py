import json
import math
import os
import unittest

import numpy as np

from lossyscale_worker.data import ArrayCache, read_array, resolve
from lossyscale_worker.protocol import PROTOCOL_VERSION, JobError, decode, encode

from .helpers import make_images, tmp, write_array, write_indices


class ProtocolTest(unittest.TestCase):
    def test_encode_is_one_line_without_nan(self):
        line = encode({"type": "result", "id": "a\nb", "x": [math.nan, 1.5, math.inf], "y": np.float32(2.5)})
        self.assertTrue(line.endswith("\n"))
        self.assertEqual(line.count("\n"), 1)
        self.assertEqual(json.loads(line), {"type": "result", "id": "a\nb", "x": [None, 1.5, None], "y": 2.5})

    def test_decode_validates(self):
        self.assertEqual(decode('{"type":"cancel","id":"j"}')["id"], "j")
        for bad, pattern in [("nope", "not JSON"), ('{"type":"fly"}', "invalid message type"), ('{"type":"job","id":3}', "job.id"), ('{"type":"job","id":"a","kind":"svm"}', "job.kind")]:
            with self.assertRaisesRegex(JobError, pattern):
                decode(bad)
        self.assertEqual(PROTOCOL_VERSION, 1)


class DataTest(unittest.TestCase):
    def setUp(self):
        self.dir = tmp(self)
        self.pix, self.lab = make_images(20, seed=3)

    def test_raw_and_npy_read_the_same(self):
        raw = write_array(self.dir, "raw", self.pix, self.lab)
        npy = write_array(self.dir, "npy", self.pix, self.lab, npy=True)
        for desc in (raw, npy):
            p, l = read_array(self.dir, "x", desc)
            np.testing.assert_array_equal(p, self.pix)
            np.testing.assert_array_equal(l, self.lab)

    def test_indices_select_rows(self):
        arrays = {"a": write_array(self.dir, "a", self.pix, self.lab)}
        rel = write_indices(self.dir, "s", [3, 1, 4])
        _, p, l, idx, k = resolve(self.dir, arrays, {"array": "a", "indices": rel}, "ref", ArrayCache())
        np.testing.assert_array_equal(idx, [3, 1, 4])
        self.assertEqual(k, 4)
        bad = write_indices(self.dir, "bad", [0, 20])
        with self.assertRaisesRegex(JobError, r"ref.indices: indices 0..20 .*valid: 0..19"):
            resolve(self.dir, arrays, {"array": "a", "indices": bad}, "ref", ArrayCache())

    def test_bad_descriptors_name_the_field(self):
        desc = write_array(self.dir, "a", self.pix, self.lab)
        with self.assertRaisesRegex(JobError, r"arrays.x.pixels size 1280 bytes .*valid: count\*height\*width\*channels = 1344"):
            read_array(self.dir, "x", {**desc, "count": 21})
        with self.assertRaisesRegex(JobError, r"arrays.x.height: 0"):
            read_array(self.dir, "x", {**desc, "height": 0})
        with self.assertRaisesRegex(JobError, "not found"):
            read_array(self.dir, "x", {**desc, "pixels": "arrays/missing.u8"})
        with self.assertRaisesRegex(JobError, r"ref.array: 'zz' \(valid: one of a\)"):
            resolve(self.dir, {"a": desc}, {"array": "zz"}, "ref", ArrayCache())
        os.remove(os.path.join(self.dir, desc["labels"]))
        with self.assertRaisesRegex(JobError, "labels file not found"):
            read_array(self.dir, "x", desc)


if __name__ == "__main__":
    unittest.main()
