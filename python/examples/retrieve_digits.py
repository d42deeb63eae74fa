"""Store a few patterns in a Hopfield network, corrupt one, and retrieve it.

    python retrieve_digits.py                       # random 10×10 patterns
    python retrieve_digits.py --mnist t10k-images-idx3-ubyte.gz   # MNIST digits instead

With --mnist, the first five images (digits 7, 2, 1, 0, 4 in the MNIST test set) are binarised
(pixel > 127 → +1) and stored with the pseudo-inverse rule, which keeps correlated patterns such
as digits stable. The repository bundles the test set: --mnist data/mnist/t10k-images-idx3-ubyte.gz
"""

import argparse

import numpy as np

import ebdm


def show(state, cols):
    """Renders a ±1 vector as rows of '#' and '.'."""
    rows = np.asarray(state).reshape(-1, cols)
    return "\n".join("".join("#" if v > 0 else "." for v in row) for row in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", help="an IDX image file (MNIST), raw or gzip")
    parser.add_argument("--rho", type=float, default=0.2, help="fraction of bits to flip")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.mnist:
        images = ebdm.data.read_mnist_images(args.mnist)
        cols = images.shape[2]
        patterns = np.where(images[:5].reshape(5, -1) > 127, 1, -1).astype(np.int8)
        net = ebdm.Hopfield(patterns, rule="pinv")
    else:
        cols = 10
        patterns = ebdm.random_patterns(5, 100, seed=args.seed)
        net = ebdm.Hopfield(patterns)  # Hebb rule: 5 patterns in 100 neurons, load 0.05

    target = patterns[0]
    cue = ebdm.corrupt(target, args.rho, seed=args.seed + 1)
    result = net.retrieve(cue, seed=args.seed, track_energy=True)

    print(f"cue (overlap {ebdm.overlap(target, cue):+.2f}):\n{show(cue, cols)}\n")
    print(f"retrieved (overlap {ebdm.overlap(target, result.state):+.2f}):\n"
          f"{show(result.state, cols)}\n")
    print(f"status {result.status} after {result.sweeps} sweeps and {result.flips} flips; "
          f"energy {result.energy_trace[0]:.2f} -> {result.energy:.2f}")
    print("overlaps with every stored pattern:",
          np.round(ebdm.overlap(patterns, result.state), 2))


if __name__ == "__main__":
    main()
