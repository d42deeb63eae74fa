"""Boltzmann-machine target (spec boltzmann.md, T1): one epoch of RBM training against
scikit-learn's BernoulliRBM, the same algorithm (PCD-1, batch-size chains started at zero,
minibatches in data order)."""

from __future__ import annotations

import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import Target  # noqa: E402


def idx_images(path):
    import numpy as np

    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)


def epoch_setup(size, data):
    """Fashion-MNIST train (60,000 images binarised at > 127) at full size; a random binary
    600 × 784 array in smoke mode (no data needed)."""
    import numpy as np

    if size == "smoke":
        x = (np.random.default_rng(0).random((600, 784)) < 0.3).astype(np.float32)
        return {"x": x, "hidden": 32}
    path = os.path.join(data, "fashion-mnist", "train-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        raise SystemExit(f"error: {path} not found; pass --data with a fashion-mnist/ folder")
    return {"x": (idx_images(path) > 127).astype(np.float32), "hidden": 500}


def params(inp):
    return dict(n_components=inp["hidden"], learning_rate=0.1, batch_size=100, n_iter=1, random_state=0)


def ebdm_epoch(inp, threads):
    import ebdm

    return lambda: ebdm.BernoulliRBM(precision="f32", n_threads=threads, **params(inp)).fit(inp["x"])


def sklearn_epoch(inp, threads):
    from sklearn.neural_network import BernoulliRBM

    return lambda: BernoulliRBM(**params(inp)).fit(inp["x"])


def weights_summary(model, inp):
    import numpy as np

    w = np.asarray(model.components_, dtype=np.float64)
    return {"mean_abs_w": float(np.abs(w).mean()), "shape": list(w.shape)}


def weights_agree(e, p):
    # Same algorithm and data, different random streams: the weights after one epoch have the
    # same scale (within 10 %), and the same shape.
    ok = e["shape"] == p["shape"] and abs(e["mean_abs_w"] - p["mean_abs_w"]) <= 0.1 * p["mean_abs_w"]
    return ok, f"mean |W| {e['mean_abs_w']:.4f} / {p['mean_abs_w']:.4f}"


TARGETS = [
    Target("boltzmann/rbm-epoch", "RBM epoch, Fashion 60k, 500 hidden, PCD-1, batch 100, f32", 0.5, "sklearn",
           epoch_setup, {"ebdm": ebdm_epoch, "sklearn": sklearn_epoch}, summary=weights_summary,
           agree=weights_agree, mode="once", reps=3, needs=("sklearn",)),
]
