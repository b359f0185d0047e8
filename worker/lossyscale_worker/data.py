"""Data bundles: pixels and labels on disk, described by small JSON descriptors (protocol v1).

An array descriptor (a value of manifest["arrays"] or of a job message's "arrays"):
  {"pixels": "arrays/train-d2.u8", "labels": "arrays/train-d2.labels.i32",
   "count": 60000, "height": 28, "width": 28, "channels": 1, "classNames": [...]}
Paths are relative to the bundle directory (absolute paths are allowed). Pixels are uint8,
channels last (N, H, W, C), either raw bytes (any extension but .npy) or a .npy file of shape
(N, H, W) or (N, H, W, C). Labels are raw little-endian int32, raw uint8 (extension .u8) or .npy.
A data reference in a job: {"array": NAME} or {"array": NAME, "indices": "indices/x.i32"}
(raw little-endian int32 or .npy), selecting rows of the array.
"""

import os
from collections import OrderedDict

import numpy as np

from .protocol import JobError


def _path(bundle_dir, rel, what):
    if not isinstance(rel, str) or not rel:
        raise JobError("input", f"invalid {what}: {rel!r} (valid: a file path relative to the bundle)")
    p = rel if os.path.isabs(rel) else os.path.join(bundle_dir, rel)
    if not os.path.isfile(p):
        raise JobError("resource", f"{what} file not found: {p}")
    return p


def _int(desc, key, name, lo=1):
    v = desc.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < lo:
        raise JobError("input", f"invalid arrays.{name}.{key}: {v!r} (valid: an integer >= {lo})")
    return v


def read_array(bundle_dir, name, desc):
    """(pixels uint8 (N,H,W,C), labels int64 (N,)) of one array descriptor, validated against its sizes."""
    if not isinstance(desc, dict):
        raise JobError("input", f"invalid arrays.{name}: {desc!r} (valid: an array descriptor object)")
    n, h, w, c = (_int(desc, k, name) for k in ("count", "height", "width", "channels"))
    ppath = _path(bundle_dir, desc.get("pixels"), f"arrays.{name}.pixels")
    lpath = _path(bundle_dir, desc.get("labels"), f"arrays.{name}.labels")
    if ppath.endswith(".npy"):
        pixels = np.load(ppath, mmap_mode="r")
        if pixels.dtype != np.uint8:
            raise JobError("input", f"invalid arrays.{name}.pixels dtype {pixels.dtype} in {ppath} (valid: uint8)")
        if pixels.ndim == 3:
            pixels = pixels[..., None]
    else:
        size = os.path.getsize(ppath)
        if size != n * h * w * c:
            raise JobError("input", f"invalid arrays.{name}.pixels size {size} bytes in {ppath} (valid: count*height*width*channels = {n * h * w * c})")
        pixels = np.fromfile(ppath, dtype=np.uint8)
    if pixels.size != n * h * w * c:
        raise JobError("input", f"invalid arrays.{name}.pixels shape {pixels.shape} in {ppath} (valid: {n}x{h}x{w}x{c})")
    pixels = np.asarray(pixels).reshape(n, h, w, c)
    if lpath.endswith(".npy"):
        labels = np.load(lpath)
    elif lpath.endswith(".u8"):
        labels = np.fromfile(lpath, dtype=np.uint8)
    else:
        labels = np.fromfile(lpath, dtype="<i4")
    labels = labels.astype(np.int64).reshape(-1)
    if labels.size != n:
        raise JobError("input", f"invalid arrays.{name}.labels: {labels.size} labels in {lpath} (valid: count = {n})")
    classes = desc.get("classNames")
    k = len(classes) if isinstance(classes, list) and classes else int(labels.max()) + 1 if n else 1
    if n and (labels.min() < 0 or labels.max() >= k):
        raise JobError("input", f"invalid arrays.{name}.labels: values {labels.min()}..{labels.max()} (valid: 0..{k - 1})")
    return pixels, labels


def read_indices(bundle_dir, rel, count, what):
    """Row indices of a data reference (int64), each in [0, count)."""
    p = _path(bundle_dir, rel, what)
    idx = np.load(p) if p.endswith(".npy") else np.fromfile(p, dtype="<i4")
    idx = idx.astype(np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= count):
        raise JobError("input", f"invalid {what}: indices {idx.min()}..{idx.max()} in {p} (valid: 0..{count - 1})")
    return idx


class ArrayCache:
    """Arrays read from disk, most recently used kept (a sweep reuses the same few arrays for many jobs)."""

    def __init__(self, max_items=16):
        self.max_items = max_items
        self.items = OrderedDict()

    def get(self, bundle_dir, name, desc):
        key = (os.path.abspath(bundle_dir), name, desc.get("pixels"), desc.get("labels"), desc.get("sha256"))
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        value = read_array(bundle_dir, name, desc)
        self.items[key] = value
        while len(self.items) > self.max_items:
            self.items.popitem(last=False)
        return value


def resolve(bundle_dir, arrays, ref, what, cache):
    """A data reference -> (array name, pixels array, labels, indices or None, class count)."""
    if not isinstance(ref, dict) or not isinstance(ref.get("array"), str):
        raise JobError("input", f"invalid {what}: {ref!r} (valid: {{\"array\": NAME, \"indices\"?: FILE}})")
    name = ref["array"]
    if name not in arrays:
        raise JobError("input", f"invalid {what}.array: {name!r} (valid: one of {', '.join(sorted(arrays)) or 'no arrays given'})")
    desc = arrays[name]
    pixels, labels = cache.get(bundle_dir, name, desc)
    idx = None
    if ref.get("indices") is not None:
        idx = read_indices(bundle_dir, ref["indices"], pixels.shape[0], f"{what}.indices")
    classes = desc.get("classNames")
    num_classes = len(classes) if isinstance(classes, list) and classes else int(labels.max()) + 1
    return name, pixels, labels, idx, num_classes
