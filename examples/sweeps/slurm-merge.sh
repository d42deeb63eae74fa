#!/usr/bin/env bash
# Merges the shards of a sweep after its Slurm array (see slurm-array.sh), or says which tasks
# are missing (then resubmit the array: finished tasks are not run again).
#
#SBATCH --job-name=ebdm-sweep-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:10:00
#SBATCH --output=ebdm-sweep-merge-%j.out
set -euo pipefail
sweep=${1:?usage: slurm-merge.sh SWEEP.toml [OUT]}
out=(); [ -n "${2:-}" ] && out=(--out "$2")
ebdm=${EBDM:-ebdm}
"$ebdm" sweep status "$sweep" "${out[@]}"
exec "$ebdm" sweep merge "$sweep" "${out[@]}"
