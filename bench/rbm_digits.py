"""scikit-learn's digits example protocol ("Restricted Boltzmann Machine features for digit
classification"): ebdm.RBM features against BernoulliRBM features, each followed by the same
LogisticRegression, on the same nudged and scaled data and the same train/test split.

The protocol: the 8×8 digits shifted by one pixel in each of four directions (5 × 1797
images), min-max scaled to [0, 1], an 80/20 split with random_state=0, an RBM with 100 hidden
units, learning rate 0.06, batch size 10 and 10 epochs (PCD-1), and
LogisticRegression(solver="newton-cg", C=6000) on the hidden probabilities (the example's
tol=1 stops newton-cg at its starting point under scikit-learn 1.9; the default is used). Both RBMs
are trained with seeds 0..S−1 (`--seeds`); the script prints the test accuracy of each seed,
their mean, and the raw-pixel logistic regression (C=100) of the example.
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
from sklearn.preprocessing import minmax_scale  # noqa: E402

import ebdm  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from machine import cpu_model  # noqa: E402


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
    # The example sets tol=1; with scikit-learn 1.9 that stops newton-cg at its starting point
    # (chance accuracy, raw pixels included), so the default tolerance is used.
    clf = LogisticRegression(solver="newton-cg", C=C, max_iter=1000)
    clf.fit(features_train, y_train)
    return float((clf.predict(features_test) == y_test).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    X, y = load_digits(return_X_y=True)
    X, y = nudge_dataset(np.asarray(X, dtype=float), y)
    X = minmax_scale(X, feature_range=(0, 1))
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
                rbm = BernoulliRBM(n_components=100, learning_rate=0.06, batch_size=10, n_iter=10, random_state=seed)
                rbm.fit(X_train)
            else:
                rbm = ebdm.RBM(100, learning_rate=0.06, batch_size=10, n_iter=10, random_state=seed)
                rbm.fit(X_train, threads=1)
            times[name].append(time.perf_counter() - t)
            acc = accuracy(rbm.transform(X_train), rbm.transform(X_test), y_train, y_test, C=6000.0)
            results[name].append(acc)
        print(f"seed {seed}: test accuracy sklearn {results['sklearn'][-1]:.4f}, ebdm {results['ebdm'][-1]:.4f}")
    for name in ("sklearn", "ebdm"):
        a = np.array(results[name])
        print(f"{name:8s} mean accuracy {a.mean():.4f} ± {a.std(ddof=1) if len(a) > 1 else 0:.4f} (sd over seeds), "
              f"median RBM training time {np.median(times[name]):.2f} s")
    diff = np.mean(results["ebdm"]) - np.mean(results["sklearn"])
    print(f"ebdm − sklearn mean accuracy: {diff:+.4f}; training time ratio ebdm / sklearn "
          f"{np.median(times['ebdm']) / np.median(times['sklearn']):.3f}")


if __name__ == "__main__":
    main()
