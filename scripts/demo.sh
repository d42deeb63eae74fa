#!/usr/bin/env bash
# Builds ebdm and runs the main demo on the bundled MNIST digits: store digits in Hopfield
# networks, retrieve them from corrupted cues, draw cue → retrieved, and a capacity curve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release -p ebdm-cli
./target/release/ebdm demo --data data/mnist --out results/demo "$@"
