#!/usr/bin/env bash
# Reruns every side-by-side benchmark against ebdm's peers (bench/run.py) after the set-up: the
# release CLI, the wheel in the virtual environment at .venv, and the peers (numpy, scikit-learn,
# dwave-samplers) there too. Arguments go to bench/run.py, e.g. `--smoke` or `--only proximal`.
# EBDM_BENCH_NO_WHEEL=1 keeps the wheel already installed in .venv.
# Run it on a quiet machine: runs during which other processes keep the CPUs busy are discarded.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The CLI generates the K2000-like instance; smoke runs use bundled graphs only.
case " $* " in *" --smoke "*) ;; *) cargo build --release --locked -q -p ebdm-cli ;; esac
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q "maturin>=1.5,<2" numpy scikit-learn dwave-samplers threadpoolctl "dask[distributed]"
if [ -z "${EBDM_BENCH_NO_WHEEL:-}" ]; then
  rm -rf target/wheels
  .venv/bin/maturin build --release -q -m crates/ebdm-py/Cargo.toml -o target/wheels
  .venv/bin/pip install -q --force-reinstall --no-deps target/wheels/ebdm-*.whl
fi
exec .venv/bin/python bench/run.py "$@"
