"""Live worker mode: the stdio protocol loop (protocol.py, worker/README.md).

A reader thread takes client lines (so cancel and ping are seen while a job runs); the main
thread runs jobs in arrival order. With group_max > 1, classify jobs already queued and
compatible with the first one are trained together as one stacked network.
"""

import queue
import sys
import threading
import time
import traceback

from .data import ArrayCache
from .protocol import JobError, capabilities, decode, encode
from .train import Prepared, group_jobs, train_group

_STOP = object()


def pick_device(name):
    """'auto' -> cuda if available, else cpu; otherwise the named torch device (checked)."""
    import torch

    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise JobError("resource", f"invalid --device: {name!r} (valid here: cpu, auto; torch {torch.__version__} sees no CUDA device)")
    return dev


def classify_error(exc):
    """Map an exception from a job to a protocol error (kind, message)."""
    if isinstance(exc, JobError):
        return exc.kind, exc.message
    text = f"{type(exc).__name__}: {exc}"
    if "out of memory" in str(exc).lower():
        return "resource", text + " (lower options.batchSize or the group size)"
    if isinstance(exc, ValueError):
        return "input", text
    return "internal", text


def run_jobs(jobs, device, progress, cancelled, group_max, cache, log):
    """Run job messages (dicts with id, kind, ...); yields (job id, result dict | JobError)."""
    classify = []
    for job in jobs:
        if job["id"] in cancelled():
            yield job["id"], JobError("cancelled", f"job {job['id']} cancelled before it started")
            continue
        if job["kind"] == "ridge-mc":
            from .ridge_mc import run_ridge_mc

            try:
                spec = job.get("spec")
                spec = {"bundle": job.get("bundle", "."), **spec} if isinstance(spec, dict) else spec
                yield job["id"], run_ridge_mc(spec, device, lambda f, m, i=job["id"]: progress(i, f, m), lambda i=job["id"]: i in cancelled(), f"job {job['id']}.spec")
            except Exception as e:  # noqa: BLE001 - every failure becomes a protocol error
                if not isinstance(e, JobError):
                    traceback.print_exc(file=sys.stderr)
                yield job["id"], JobError(*classify_error(e))
            continue
        try:
            classify.append(Prepared(job, job.get("bundle", "."), job.get("arrays") or {}, cache))
        except Exception as e:  # noqa: BLE001
            yield job["id"], JobError(*classify_error(e))
    for group in group_jobs(classify, group_max):
        try:
            results = train_group(group, device, progress, cancelled, log)
        except Exception as e:  # noqa: BLE001
            if not isinstance(e, JobError):
                traceback.print_exc(file=sys.stderr)
            err = JobError(*classify_error(e))
            results = {p.id: err for p in group}
        for p in group:
            yield p.id, results[p.id]


def serve(device_name="auto", group_max=1, stdin=None, stdout=None, group_wait_s=0.2):
    """Speak the protocol until shutdown or end of input; returns the exit status."""
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    sys.stdout = sys.stderr  # stray prints must never corrupt the protocol stream
    lock = threading.Lock()

    def send(msg):
        with lock:
            out.write(encode(msg))
            out.flush()

    try:
        device = pick_device(device_name)
    except JobError as e:
        send({"type": "error", "id": None, "error": {"kind": e.kind, "message": e.message}})
        return 2
    send({"type": "hello", **capabilities(device)})

    jobs = queue.Queue()
    cancelled_ids = set()

    def reader():
        for line in stdin:
            if not line.strip():
                continue
            try:
                msg = decode(line)
            except JobError as e:
                send({"type": "error", "id": None, "error": {"kind": e.kind, "message": e.message}})
                continue
            t = msg["type"]
            if t == "cancel":
                cancelled_ids.add(msg["id"])
            elif t == "ping":
                send({"type": "pong", "time": time.time()})
            elif t == "shutdown":
                break
            else:
                jobs.put(msg)
        jobs.put(_STOP)

    threading.Thread(target=reader, daemon=True).start()
    cache = ArrayCache()
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    while True:
        first = jobs.get()
        if first is _STOP:
            break
        batch, stop = [first], False
        # With grouping on, wait briefly for jobs sent together (a client with `group` jobs in
        # flight sends them back to back) so they can share one stacked network.
        deadline = time.time() + group_wait_s
        while group_max > 1 and len(batch) < group_max:
            try:
                nxt = jobs.get(timeout=max(0.0, deadline - time.time()))
            except queue.Empty:
                break
            if nxt is _STOP:
                stop = True
                break
            batch.append(nxt)

        def progress(job_id, fraction, message):
            send({"type": "progress", "id": job_id, "fraction": fraction, "message": message})

        for job_id, res in run_jobs(batch, device, progress, lambda: set(cancelled_ids), group_max, cache, log):
            if isinstance(res, JobError):
                send({"type": "error", "id": job_id, "error": {"kind": res.kind, "message": res.message}})
            else:
                send({"type": "result", "id": job_id, "result": res})
        if stop:
            break
    send({"type": "bye"})
    return 0
