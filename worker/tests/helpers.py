"""Tiny synthetic bundles for the worker tests: 8x8 grayscale images whose class is visible
(a bright bar at a class-dependent row), so a few training steps already beat chance."""

import json
import os

import numpy as np



def make_images(n, classes=4, size=8, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n).astype(np.int32)
    pix = rng.integers(0, 60, (n, size, size, 1)).astype(np.uint8)
    for i, c in enumerate(labels):
        pix[i, 2 * c % size, :, 0] = 250
    return pix, labels


def write_array(bundle, name, pixels, labels, classes=4, npy=False):
    os.makedirs(os.path.join(bundle, "arrays"), exist_ok=True)
    if npy:
        pp, lp = f"arrays/{name}.npy", f"arrays/{name}.labels.npy"
        np.save(os.path.join(bundle, pp), pixels)
        np.save(os.path.join(bundle, lp), labels)
    else:
        pp, lp = f"arrays/{name}.u8", f"arrays/{name}.labels.i32"
        pixels.tofile(os.path.join(bundle, pp))
        labels.astype("<i4").tofile(os.path.join(bundle, lp))
    n, h, w, c = pixels.shape
    return {"pixels": pp, "labels": lp, "count": n, "height": h, "width": w, "channels": c, "classNames": [f"c{i}" for i in range(classes)]}


def write_indices(bundle, name, idx):
    os.makedirs(os.path.join(bundle, "indices"), exist_ok=True)
    rel = f"indices/{name}.i32"
    np.asarray(idx, dtype="<i4").tofile(os.path.join(bundle, rel))
    return rel


def tiny_bundle(bundle, n_train=96, n_test=64, jobs=None, options=None):
    """A bundle with a train array, a test array and jobs on train subsets; returns (arrays, jobs)."""
    tp, tl = make_images(n_train, seed=1)
    sp, sl = make_images(n_test, seed=2)
    arrays = {"train": write_array(bundle, "train", tp, tl), "test": write_array(bundle, "test", sp, sl, npy=True)}
    opts = {"model": "cnn", "epochs": 2, "batchSize": 16, "lr": 3e-3, "width": 0.25}
    opts.update(options or {})
    out = []
    for j, seed in enumerate(jobs or [0, 1]):
        idx = write_indices(bundle, f"j{j}", np.arange(0, n_train, 1)[: n_train - 16] if j % 2 == 0 else np.arange(16, n_train))
        out.append({"id": f"job-{j}", "kind": "classify", "seed": seed, "data": {"train": {"array": "train", "indices": idx}, "evaluate": {"test": {"array": "test"}}, "validation": {"array": "test"}}, "options": dict(opts)})
    manifest = {"format": "lossyscale-bundle", "version": 1, "arrays": arrays, "jobs": out}
    with open(os.path.join(bundle, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return arrays, out


def tmp(case, cls=False):
    """A temporary directory removed after the test (or the class)."""
    import shutil
    import tempfile

    d = tempfile.mkdtemp(prefix="lossyscale-worker-test-")
    (case.addClassCleanup if cls else case.addCleanup)(shutil.rmtree, d, True)
    return d
