#!/usr/bin/env bash
# Runs every test: the Rust library and CLI (cargo test), the Python package (pytest on a
# freshly built wheel in a virtual environment at .venv) and the benchmark harness's smoke mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --exclude ebdm-py --all-targets --locked
cargo test --doc -p ebdm --locked

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q "maturin>=1.5,<2" numpy pytest "dask[distributed]"
rm -rf target/wheels
.venv/bin/maturin build --release -q -m crates/ebdm-py/Cargo.toml -o target/wheels
.venv/bin/pip install -q --force-reinstall --no-deps target/wheels/ebdm-*.whl
# The sweep tests must run on a Dask cluster here, not be skipped.
EBDM_REQUIRE_DASK=1 .venv/bin/pytest -q python/tests

# Every side-by-side benchmark at tiny sizes, so that the scripts keep working.
EBDM_BENCH_NO_WHEEL=1 bash scripts/bench.sh --smoke
