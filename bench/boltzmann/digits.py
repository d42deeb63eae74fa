"""Spec X8, scikit-learn's digits example protocol ("Restricted Boltzmann Machine features for
digit classification"): ebdm.RBM features against BernoulliRBM features, each followed by the
same LogisticRegression, on the same nudged and scaled data and the same train/test split.
ebdm runs through ``ebdm.BernoulliRBM``, its drop-in for scikit-learn's class.

The protocol (spec boltzmann.md §6.3, X8): the 8×8 digits as float32 shifted by one pixel in
each of four directions (5 × 1797 images), scaled per feature as (X − min)/(max + 1e-4), an
80/20 split with random_state=0, an RBM with 100 hidden units, learning rate 0.06, batch size
10 and 20 epochs (PCD-1; ebdm in its scikit-learn-compatible mode), and
LogisticRegression(C=6000, max_iter=1000) on the hidden probabilities; the raw-pixel baseline is
LogisticRegression(C=100). Both RBMs are trained with seeds 0..S−1 (`--seeds`); the script
prints the test accuracy of each seed, their means, and the pass criterion (ebdm's mean at least
scikit-learn's minus 0.5 points).
"""

import argparse
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from scipy.ndimage import convolve  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import BernoulliRBM  # noqa: E402

import ebdm  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from harness import cpu_model  # noqa: E402


def nudge_dataset(X, y):
    """The example's augmentation: each image shifted by one pixel left, right, up and down."""
    directions = [
        [[0, 1, 0], [0, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 1], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 0], [0, 1, 0]],
    ]
    shifted = [np.apply_along_axis(lambda x, w=w: convolve(x.reshape((8, 8)), mode="constant", weights=w).ravel(), 1, X)
               for w in directions]
    return np.concatenate([X] + shifted), np.concatenate([y] * 5)


def accuracy(features_train, features_test, y_train, y_test, C):
    clf = LogisticRegression(C=C, max_iter=1000)
    clf.fit(features_train, y_train)
    return float((clf.predict(features_test) == y_test).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    X, y = load_digits(return_X_y=True)
    X, y = nudge_dataset(np.asarray(X, dtype=np.float32), y)
    X = ((X - X.min(axis=0)) / (X.max(axis=0) + 1e-4)).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    print(f"machine: {cpu_model()}; {len(X_train)} training and {len(X_test)} test images, single thread")
    raw = accuracy(X_train, X_test, y_train, y_test, C=100.0)
    print(f"raw-pixel logistic regression (C=100): {raw:.4f}")
    results = {"sklearn": [], "ebdm": []}
    times = {"sklearn": [], "ebdm": []}
    for seed in range(args.seeds):
        for name in ("sklearn", "ebdm"):
            t = time.perf_counter()
            if name == "sklearn":
                rbm = BernoulliRBM(n_components=100, learning_rate=0.06, batch_size=10, n_iter=20, random_state=seed)
                rbm.fit(X_train)
            else:
                rbm = ebdm.BernoulliRBM(n_components=100, learning_rate=0.06, batch_size=10, n_iter=20,
                                        random_state=seed, n_threads=1)
                rbm.fit(X_train)
            times[name].append(time.perf_counter() - t)
            acc = accuracy(rbm.transform(X_train), rbm.transform(X_test), y_train, y_test, C=6000.0)
            results[name].append(acc)
        print(f"seed {seed}: test accuracy sklearn {results['sklearn'][-1]:.4f}, ebdm {results['ebdm'][-1]:.4f}")
    for name in ("sklearn", "ebdm"):
        a = np.array(results[name])
        print(f"{name:8s} mean accuracy {a.mean():.4f} ± {a.std(ddof=1) if len(a) > 1 else 0:.4f} (sd over seeds), "
              f"median RBM training time {np.median(times[name]):.2f} s")
    diff = np.mean(results["ebdm"]) - np.mean(results["sklearn"])
    print(f"ebdm − sklearn mean accuracy: {diff:+.4f} ({'PASS' if diff >= -0.005 else 'FAIL'}: at least −0.005); "
          f"training time ratio ebdm / sklearn {np.median(times['ebdm']) / np.median(times['sklearn']):.3f}")


if __name__ == "__main__":
    main()
