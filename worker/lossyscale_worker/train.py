"""Classifier training jobs (kind "classify"): one job, or a group of compatible jobs trained
together as one stacked network (models.py), on CUDA with mixed precision or on CPU.

Defaults are the paper's classification settings (THEORY.md section 6): cross-entropy, Adam,
lr 1e-4, batch 64, 10 epochs; everything is an option of the job.
"""

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import resolve
from .models import MODELS, build_model, stack_models, unstack_model
from .protocol import JobError

DEFAULTS = {
    "model": "cnn",
    "epochs": 10,
    "batchSize": 64,
    "lr": 1e-4,
    "weightDecay": 0.0,
    "optimizer": "adam",
    "amp": "auto",
    "width": 1.0,
    "evalBatchSize": 1024,
    "channelsLast": False,
    "returnPredictions": False,
}
# Options that do not change how a model trains (jobs differing only in these can be grouped).
_UNGROUPED = ("evalBatchSize", "returnPredictions")


def parse_options(raw, where):
    """Training options with defaults; unknown or bad values raise JobError('input') naming the field."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise JobError("input", f"invalid {where}: {raw!r} (valid: an object)")
    unknown = [k for k in raw if k not in DEFAULTS and k not in ("threads", "trainer", "device")]
    if unknown:
        raise JobError("input", f"invalid {where}.{unknown[0]}: unknown option (valid: {', '.join(DEFAULTS)})")
    o = dict(DEFAULTS)
    o.update({k: v for k, v in raw.items() if k in DEFAULTS})

    def need(key, ok, valid):
        if not ok:
            raise JobError("input", f"invalid {where}.{key}: {o[key]!r} (valid: {valid})")

    def is_int(v, lo):
        return isinstance(v, int) and not isinstance(v, bool) and v >= lo

    def is_num(v, lo, open_lo):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and (v > lo if open_lo else v >= lo)

    need("model", o["model"] in MODELS, " or ".join(MODELS))
    need("epochs", is_int(o["epochs"], 1), "an integer >= 1")
    need("batchSize", is_int(o["batchSize"], 2), "an integer >= 2")
    need("evalBatchSize", is_int(o["evalBatchSize"], 1), "an integer >= 1")
    need("lr", is_num(o["lr"], 0, True), "a number > 0")
    need("weightDecay", is_num(o["weightDecay"], 0, False), "a number >= 0")
    need("width", is_num(o["width"], 0, True), "a number > 0")
    need("optimizer", o["optimizer"] in ("adam", "sgd"), "adam or sgd")
    need("amp", o["amp"] in ("auto", "off", "bf16", "fp16"), "auto, off, bf16 or fp16")
    need("channelsLast", isinstance(o["channelsLast"], bool), "true or false")
    need("returnPredictions", isinstance(o["returnPredictions"], bool), "true or false")
    return o


def amp_mode(requested, device):
    """(autocast dtype or None, use a GradScaler) for the requested mode on this device."""
    cuda = device.type == "cuda"
    if requested == "off" or (requested == "auto" and not cuda):
        return None, False
    if requested == "fp16":
        if not cuda:
            raise JobError("input", "invalid options.amp: 'fp16' on CPU (valid on CPU: off, bf16, auto)")
        return torch.float16, True
    if cuda and not torch.cuda.is_bf16_supported():
        if requested == "bf16":
            raise JobError("input", f"invalid options.amp: 'bf16' (valid: this GPU has no bfloat16; use fp16 or auto)")
        return torch.float16, True
    return torch.bfloat16, False


def _to_images(pixels_nhwc, device):
    """uint8 NHWC numpy -> uint8 NCHW tensor on device."""
    t = torch.from_numpy(np.ascontiguousarray(pixels_nhwc))
    return t.to(device).permute(0, 3, 1, 2).contiguous()


def _normalize(x_uint8, dtype=torch.float32):
    return (x_uint8.to(dtype) / 127.5) - 1.0


class Prepared:
    """One classify job resolved against its bundle: options, train data location, eval refs."""

    def __init__(self, job, bundle_dir, arrays, cache):
        self.job = job
        self.id = job["id"]
        where = f"job {self.id}"
        seed = job.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise JobError("input", f"invalid {where}.seed: {seed!r} (valid: an integer >= 0)")
        self.seed = seed
        self.options = parse_options(job.get("options"), f"{where}.options")
        data = job.get("data")
        if not isinstance(data, dict) or "train" not in data:
            raise JobError("input", f"invalid {where}.data: {data!r} (valid: an object with train, evaluate and optional validation)")
        self.bundle_dir, self.arrays, self.cache = bundle_dir, arrays, cache
        name, pixels, labels, idx, ncls = resolve(bundle_dir, arrays, data["train"], f"{where}.data.train", cache)
        self.train_name, self.train_pixels, self.train_labels, self.train_idx, self.num_classes = name, pixels, labels, idx, ncls
        self.n_train = len(idx) if idx is not None else pixels.shape[0]
        if self.n_train < 2:
            raise JobError("input", f"invalid {where}.data.train: {self.n_train} images (valid: at least 2)")
        _, self.h, self.w, self.c = pixels.shape
        self.evaluate = data.get("evaluate") or {}
        if not isinstance(self.evaluate, dict):
            raise JobError("input", f"invalid {where}.data.evaluate: {self.evaluate!r} (valid: an object of named data references)")
        self.validation = data.get("validation")
        refs = [(f"{where}.data.evaluate.{key}", ref) for key, ref in self.evaluate.items()]
        if self.validation is not None:
            refs.append((f"{where}.data.validation", self.validation))
        for what, ref in refs:
            _, p, _, _, _ = resolve(bundle_dir, arrays, ref, what, cache)
            if p.shape[1:] != (self.h, self.w, self.c):
                raise JobError("input", f"invalid {what}: images {p.shape[1]}x{p.shape[2]}x{p.shape[3]} (valid: the training image shape {self.h}x{self.w}x{self.c})")

    def group_key(self):
        o = tuple(sorted((k, v) for k, v in self.options.items() if k not in _UNGROUPED))
        return (o, self.n_train, self.h, self.w, self.c, self.num_classes)


def _evaluate(model, prepared, ref, what, device, autocast_dtype, batch, want_predictions):
    _, pixels, labels, idx, _ = resolve(prepared.bundle_dir, prepared.arrays, ref, what, prepared.cache)
    rows = idx if idx is not None else np.arange(pixels.shape[0])
    preds = np.empty(len(rows), dtype=np.int64)
    with torch.no_grad():
        for s in range(0, len(rows), batch):
            r = rows[s:s + batch]
            x = _normalize(_to_images(pixels[r], device))
            if prepared.options["channelsLast"] and device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device_type=device.type, dtype=autocast_dtype or torch.bfloat16, enabled=autocast_dtype is not None):
                logits = model(x)
            preds[s:s + len(r)] = logits.float().argmax(1).cpu().numpy()
    truth = labels[rows]
    return metrics(preds, truth, prepared.num_classes), (preds.tolist() if want_predictions else None)


def metrics(pred, truth, num_classes):
    """Accuracy, error, per-class accuracy (None for a class absent from the set), count."""
    n = len(truth)
    correct = int((pred == truth).sum())
    per = []
    for c in range(num_classes):
        m = truth == c
        tot = int(m.sum())
        per.append(float((pred[m] == c).sum()) / tot if tot else None)
    acc = correct / n if n else None
    return {"accuracy": acc, "error": (1 - acc) if acc is not None else None, "perClassAccuracy": per, "count": n}


def train_group(group, device, progress=None, cancelled=None, log=None):
    """Train compatible prepared jobs together; returns {job id: result dict or JobError}.

    progress(job_id, fraction, message) is called at most every 0.5 s per group;
    cancelled() returns the set of job ids to drop (checked every step).
    """
    t0 = time.time()
    k = len(group)
    first = group[0]
    o = first.options
    autocast_dtype, use_scaler = amp_mode(o["amp"], device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    # All training images of the group on the device once, as one uint8 tensor; each job is a
    # vector of global row indices into it.
    bases, offsets, chunks, label_chunks = {}, [], [], []
    total = 0
    for p in group:
        key = (p.bundle_dir, p.train_name)
        if key not in bases:
            bases[key] = total
            chunks.append(_to_images(p.train_pixels, device))
            label_chunks.append(torch.from_numpy(p.train_labels).to(device))
            total += p.train_pixels.shape[0]
        local = torch.from_numpy(p.train_idx) if p.train_idx is not None else torch.arange(p.n_train)
        offsets.append(local.to(device) + bases[key])
    images = torch.cat(chunks) if len(chunks) > 1 else chunks[0]
    labels_all = torch.cat(label_chunks) if len(label_chunks) > 1 else label_chunks[0]
    gindex = torch.stack(offsets)  # (k, n)

    singles = []
    for p in group:
        torch.manual_seed(p.seed)
        singles.append(build_model(o["model"], 1, p.c, p.num_classes, o["width"], p.h))
    model = singles[0] if k == 1 else stack_models(singles, build_model(o["model"], k, first.c, first.num_classes, o["width"], first.h))
    model = model.to(device)
    if o["channelsLast"] and device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    params = model.parameters()
    opt = torch.optim.Adam(params, lr=o["lr"], weight_decay=o["weightDecay"]) if o["optimizer"] == "adam" else torch.optim.SGD(params, lr=o["lr"], momentum=0.9, weight_decay=o["weightDecay"])
    scaler = torch.cuda.amp.GradScaler() if use_scaler else None

    n, B, C, H, W = first.n_train, o["batchSize"], first.c, first.h, first.w
    steps_per_epoch = n // B if n % B == 1 else math.ceil(n / B)  # a batch of one breaks batch norm
    total_steps = steps_per_epoch * o["epochs"]
    gens = [torch.Generator().manual_seed(p.seed) for p in group]
    dropped = set()
    loss_by_epoch = [[] for _ in group]
    last_report = 0.0
    step = 0
    model.train()
    for epoch in range(o["epochs"]):
        perms = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)
        order = gindex.gather(1, perms)
        loss_sum = torch.zeros(k, device=device)
        seen = 0
        for s in range(steps_per_epoch):
            rows = order[:, s * B:(s + 1) * B]
            b = rows.shape[1]
            x = images[rows.reshape(-1)].view(k, b, C, H, W).transpose(0, 1).reshape(b, k * C, H, W)
            y = labels_all[rows]  # (k, b)
            x = _normalize(x)
            if o["channelsLast"] and device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device_type=device.type, dtype=autocast_dtype or torch.bfloat16, enabled=autocast_dtype is not None):
                logits = model(x)
            logits = logits.float().view(b, k, -1).transpose(0, 1).reshape(k * b, -1)
            per_sample = F.cross_entropy(logits, y.reshape(-1), reduction="none").view(k, b)
            per_model = per_sample.mean(1)
            loss = per_model.sum()  # parameters are disjoint: each model gets its own mean-loss gradient
            opt.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()
            loss_sum += per_model.detach() * b
            seen += b
            step += 1
            if cancelled is not None:
                gone = cancelled() & {p.id for p in group}
                dropped |= gone
                if len(dropped) == k:
                    raise JobError("cancelled", f"job {', '.join(sorted(dropped))} cancelled")
            now = time.time()
            if progress is not None and (now - last_report >= 0.5 or step == total_steps):
                last_report = now
                for p in group:
                    if p.id not in dropped:
                        progress(p.id, step / total_steps, f"epoch {epoch + 1}/{o['epochs']} step {step}/{total_steps}")
        epoch_loss = (loss_sum / max(seen, 1)).cpu().tolist()
        for i in range(k):
            loss_by_epoch[i].append(epoch_loss[i])
        if log is not None:
            log(f"[{', '.join(p.id for p in group)}] epoch {epoch + 1}/{o['epochs']} mean loss {sum(epoch_loss) / k:.4f}")
        for v in epoch_loss:
            if not math.isfinite(v):
                break
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    train_seconds = time.time() - t0

    results = {}
    for i, p in enumerate(group):
        if p.id in dropped:
            results[p.id] = JobError("cancelled", f"job {p.id} cancelled")
            continue
        single = singles[i].to(device) if k > 1 else model
        if k > 1:
            unstack_model(model, i, single)
        single.eval()
        t_eval = time.time()
        evals, preds = {}, {}
        for name, ref in p.evaluate.items():
            evals[name], pr = _evaluate(single, p, ref, f"job {p.id}.data.evaluate.{name}", device, autocast_dtype, o["evalBatchSize"], o["returnPredictions"])
            if pr is not None:
                preds[name] = pr
        validation = None
        if p.validation is not None:
            validation, _ = _evaluate(single, p, p.validation, f"job {p.id}.data.validation", device, autocast_dtype, o["evalBatchSize"], False)
        final_loss = loss_by_epoch[i][-1]
        result = {
            "evaluations": evals,
            "trainSeconds": train_seconds / k,
            "details": {
                "model": o["model"], "epochs": o["epochs"], "batchSize": B, "lr": o["lr"], "optimizer": o["optimizer"],
                "weightDecay": o["weightDecay"], "width": o["width"],
                "amp": "off" if autocast_dtype is None else ("bf16" if autocast_dtype == torch.bfloat16 else "fp16"),
                "device": str(device), "nTrain": n, "steps": total_steps, "seed": p.seed,
                "groupSize": k, "groupSeconds": train_seconds, "evalSeconds": time.time() - t_eval,
                "finalTrainLoss": final_loss, "lossByEpoch": loss_by_epoch[i], "validation": validation,
                "torch": torch.__version__,
            },
        }
        if not math.isfinite(final_loss):
            results[p.id] = JobError("internal", f"job {p.id}: training diverged (final loss {final_loss}); lower options.lr or turn options.amp off")
            continue
        if o["returnPredictions"]:
            result["predictions"] = preds
        results[p.id] = result
    return results


def group_jobs(prepared, max_group):
    """Split prepared jobs into groups of at most max_group with equal group keys, in input order."""
    groups, open_groups = [], {}
    for p in prepared:
        key = p.group_key()
        g = open_groups.get(key)
        if g is None or len(g) >= max_group:
            g = []
            open_groups[key] = g
            groups.append(g)
        g.append(p)
    return groups
