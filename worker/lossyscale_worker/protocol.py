"""The worker protocol (version 1): newline-delimited JSON objects over stdio.

Client -> worker: job, cancel, ping, shutdown.
Worker -> client: hello (first line, capabilities), progress, result, error, pong, bye.
Pixel data never travels in a message: jobs name arrays stored on disk (see data.py).
The full description, with examples, is worker/README.md.
"""

import json
import math
import platform
import sys

from . import __version__

PROTOCOL_VERSION = 1
JOB_KINDS = ("classify", "ridge-mc")
CLIENT_TYPES = ("job", "cancel", "ping", "shutdown")


class JobError(Exception):
    """A job failed in a way the client should see: kind is one of input, resource, cancelled, internal."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def sanitize(value):
    """JSON has no NaN/Infinity: non-finite floats become null (the client maps null back to NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return sanitize(value.item())
    return value


def encode(message):
    """One protocol line (no embedded newlines: json.dumps escapes them)."""
    return json.dumps(sanitize(message), allow_nan=False, separators=(",", ":")) + "\n"


def decode(line):
    """Parse a client line; raises JobError('input') naming what is wrong."""
    try:
        msg = json.loads(line)
    except json.JSONDecodeError as e:
        raise JobError("input", f"malformed protocol line (not JSON: {e.msg}): {line[:80]!r}")
    if not isinstance(msg, dict) or msg.get("type") not in CLIENT_TYPES:
        raise JobError("input", f"invalid message type {msg.get('type') if isinstance(msg, dict) else msg!r} (valid: {', '.join(CLIENT_TYPES)})")
    if msg["type"] in ("job", "cancel") and not isinstance(msg.get("id"), str):
        raise JobError("input", f"invalid {msg['type']}.id: {msg.get('id')!r} (valid: a string)")
    if msg["type"] == "job" and msg.get("kind") not in JOB_KINDS:
        raise JobError("input", f"invalid job.kind: {msg.get('kind')!r} (valid: {', '.join(JOB_KINDS)})")
    return msg


def _cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def capabilities(device):
    """What this worker can do and where it runs: sent in the hello line and stored with every result."""
    import torch

    cuda = torch.cuda.is_available()
    gpus = []
    if cuda:
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            gpus.append({"index": i, "name": p.name, "memoryGiB": round(p.total_memory / 2**30, 1), "capability": f"{p.major}.{p.minor}"})
    dev = str(device)
    bf16 = bool(cuda and dev.startswith("cuda") and torch.cuda.is_bf16_supported())
    return {
        "protocol": PROTOCOL_VERSION,
        "worker": "lossyscale-worker",
        "version": __version__,
        "kinds": list(JOB_KINDS),
        "models": ["cnn", "resnet18"],
        "device": dev,
        "deviceName": gpus[int(dev.split(":")[1]) if ":" in dev else 0]["name"] if dev.startswith("cuda") and gpus else _cpu_name(),
        "gpus": gpus,
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "amp": ["bf16", "fp16"] if bf16 else (["fp16"] if dev.startswith("cuda") else ["bf16"]),
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "groupTraining": True,
    }
