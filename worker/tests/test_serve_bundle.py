import io
import json
import os
import subprocess
import sys
import unittest

from lossyscale_worker.bundle import finished_keys, run_bundle

from .helpers import tiny_bundle, tmp

WORKER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ServeTest(unittest.TestCase):
    def test_protocol_round_trip_over_stdio(self):
        d = tmp(self)
        arrays, jobs = tiny_bundle(d, jobs=[5])
        job = {"type": "job", **jobs[0], "bundle": d, "arrays": arrays}
        lines = ["not json", json.dumps({"type": "ping"}), json.dumps(job), json.dumps({**job, "id": "bad", "options": {"epochs": "x"}}), json.dumps({"type": "shutdown"})]
        env = {**os.environ, "PYTHONPATH": WORKER_DIR}
        p = subprocess.run([sys.executable, "-m", "lossyscale_worker", "serve", "--device", "cpu"], input="\n".join(lines) + "\n", capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        msgs = [json.loads(x) for x in p.stdout.splitlines()]  # every stdout line is protocol
        self.assertEqual(msgs[0]["type"], "hello")
        self.assertEqual(msgs[0]["protocol"], 1)
        self.assertEqual(msgs[0]["device"], "cpu")
        types = [m["type"] for m in msgs]
        self.assertIn("pong", types)
        self.assertEqual(types[-1], "bye")
        errors = [m for m in msgs if m["type"] == "error"]
        self.assertEqual(errors[0]["id"], None)
        self.assertIn("not JSON", errors[0]["error"]["message"])
        self.assertEqual(errors[1]["id"], "bad")
        self.assertEqual(errors[1]["error"]["kind"], "input")
        result = next(m for m in msgs if m["type"] == "result")
        self.assertEqual(result["id"], "job-0")
        self.assertEqual(result["result"]["evaluations"]["test"]["count"], 64)
        progress = [m["fraction"] for m in msgs if m["type"] == "progress"]
        self.assertEqual(progress, sorted(progress))
        self.assertEqual(progress[-1], 1.0)


class RunBundleTest(unittest.TestCase):
    def test_resumable_with_torn_tail_and_shards(self):
        d = tmp(self)
        tiny_bundle(d, jobs=[0, 1, 2], options={"epochs": 1})
        res = os.path.join(d, "out", "results.jsonl")
        os.makedirs(os.path.dirname(res))
        log = io.StringIO()
        self.assertEqual(run_bundle(d, res, "cpu", 1, (0, 2), stream=log), 0)  # jobs 0 and 2
        self.assertEqual(finished_keys(res), {"job-0", "job-2"})
        with open(res, "a") as f:
            f.write('{"key": "job-1", "torn')  # a kill mid-write
        log = io.StringIO()
        self.assertEqual(run_bundle(d, res, "cpu", 2, (0, 1), stream=log), 0)
        self.assertIn("1 jobs to run (2 already", log.getvalue())
        with open(res) as f:
            rows = [json.loads(x) for x in f]
        self.assertEqual(sorted(r["key"] for r in rows), ["job-0", "job-1", "job-2"])
        self.assertEqual(rows[-1]["worker"]["protocol"], 1)
        log = io.StringIO()
        self.assertEqual(run_bundle(d, res, "cpu", 1, (0, 1), stream=log), 0)
        self.assertIn("0 jobs to run (3 already", log.getvalue())

    def test_failures_go_to_their_own_file(self):
        d = tmp(self)
        tiny_bundle(d, jobs=[0], options={"epochs": 1, "model": "nope"})
        self.assertEqual(run_bundle(d, None, "cpu", 1, (0, 1), stream=io.StringIO()), 1)
        with open(os.path.join(d, "results.failures.jsonl")) as f:
            fails = [json.loads(x) for x in f]
        self.assertEqual(fails[0]["error"]["kind"], "input")
        self.assertEqual(finished_keys(os.path.join(d, "results.jsonl")), set())


if __name__ == "__main__":
    unittest.main()
