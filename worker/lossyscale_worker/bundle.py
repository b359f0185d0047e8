"""Standalone mode: run a planned job bundle without a client (worker/README.md).

    python3 -m lossyscale_worker run-bundle BUNDLE [--results FILE] [--group K] [--shard I/N]

Reads BUNDLE/manifest.json, skips jobs whose key is already in the results file, appends one
JSON line per finished job (written in one call, so a kill leaves at most one torn last line,
which the next run cuts off) and one line per failed job to FILE.failures.jsonl. Progress goes
to stderr. Run the same command again to resume.
"""

import json
import os
import sys
import time
from datetime import datetime, timezone

from .data import ArrayCache
from .protocol import JobError, capabilities, encode
from .serve import pick_device, run_jobs

MANIFEST_FORMAT = "lossyscale-bundle"
MANIFEST_VERSION = 1


def load_manifest(bundle):
    path = os.path.join(bundle, "manifest.json") if os.path.isdir(bundle) else bundle
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise JobError("resource", f"bundle manifest not found: {path} (make one with `lossyscale sweep plan --config FILE --out DIR`)")
    except json.JSONDecodeError as e:
        raise JobError("input", f"malformed bundle manifest {path}: {e}")
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("version") != MANIFEST_VERSION:
        raise JobError("input", f"invalid manifest format/version in {path}: {manifest.get('format')!r} v{manifest.get('version')!r} (valid: {MANIFEST_FORMAT!r} v{MANIFEST_VERSION})")
    if not isinstance(manifest.get("jobs"), list):
        raise JobError("input", f"invalid manifest.jobs in {path} (valid: a list of jobs)")
    return os.path.dirname(os.path.abspath(path)), manifest


def finished_keys(path):
    """Keys of complete lines of a JSONL results file; a torn last line is cut off."""
    keys = set()
    if not os.path.exists(path):
        return keys
    with open(path, "rb") as f:
        data = f.read()
    good = 0
    pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break  # torn tail (no newline): drop it
        line = data[pos:nl]
        try:
            row = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            if data.find(b"\n", nl + 1) >= 0:
                raise JobError("resource", f"results file {path} is corrupt at byte {pos}; move it away to start over")
            break
        if row is not None:
            keys.add(row["key"])
        pos = nl + 1
        good = pos
    if good < len(data):
        with open(path, "r+b") as f:
            f.truncate(good)
    return keys


def append_line(path, row):
    with open(path, "a", encoding="utf-8") as f:
        f.write(encode(row))


def run_bundle(bundle, results=None, device_name="auto", group_max=1, shard=(0, 1), stream=None):
    """Run every unfinished job of a bundle; returns the exit status (0 all done, 1 some failed)."""
    stream = stream or sys.stderr
    bundle_dir, manifest = load_manifest(bundle)
    results = results or os.path.join(bundle_dir, "results.jsonl")
    failures = (results[:-6] if results.endswith(".jsonl") else results) + ".failures.jsonl"
    device = pick_device(device_name)
    caps = capabilities(device)
    done = finished_keys(results)
    jobs = []
    for i, job in enumerate(manifest["jobs"]):
        if not isinstance(job, dict) or not isinstance(job.get("id"), str):
            raise JobError("input", f"invalid manifest.jobs[{i}]: missing string id")
        if i % shard[1] != shard[0] or job["id"] in done:
            continue
        jobs.append({"kind": "classify", **job, "bundle": bundle_dir, "arrays": manifest.get("arrays") or {}})
    total = len(jobs)
    print(f"lossyscale-worker: {total} jobs to run ({len(done)} already in {results}) on {caps['device']} ({caps['deviceName']}), torch {caps['torch']}, group {group_max}", file=stream, flush=True)
    t0 = time.time()
    last = [0.0]
    count = [0, 0]

    def progress(job_id, fraction, message):
        now = time.time()
        if now - last[0] >= 10:
            last[0] = now
            print(f"  {job_id}: {100 * fraction:.0f}% {message}", file=stream, flush=True)

    for job_id, res in run_jobs(jobs, device, progress, lambda: set(), group_max, ArrayCache(), lambda t: print(t, file=stream, flush=True)):
        job = next(j for j in jobs if j["id"] == job_id)
        now = datetime.now(timezone.utc).isoformat()
        if isinstance(res, JobError):
            count[1] += 1
            append_line(failures, {"key": job_id, "id": job_id, "error": {"kind": res.kind, "message": res.message}, "at": now})
            print(f"lossyscale-worker: job {job_id} failed ({res.kind}): {res.message}", file=stream, flush=True)
        else:
            count[0] += 1
            append_line(results, {"key": job_id, "id": job_id, "kind": job["kind"], "meta": job.get("meta"), "result": res, "worker": caps, "finishedAt": now})
        n = count[0] + count[1]
        el = time.time() - t0
        eta = el / n * (total - n)
        print(f"lossyscale-worker: [{n}/{total}] {job_id} done, {el:.0f}s elapsed, ETA {eta:.0f}s", file=stream, flush=True)
    print(f"lossyscale-worker: finished {count[0]} jobs, {count[1]} failed, in {time.time() - t0:.1f}s; results in {results}", file=stream, flush=True)
    return 1 if count[1] else 0
