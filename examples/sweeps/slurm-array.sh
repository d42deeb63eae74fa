#!/usr/bin/env bash
# One shard of a sweep per job of a Slurm array. Submit the array, then the merge once every
# job has ended (see slurm-merge.sh):
#
#   jid=$(sbatch --parsable --array=1-16 examples/sweeps/slurm-array.sh examples/sweeps/recall.toml)
#   sbatch --dependency=afterany:$jid examples/sweeps/slurm-merge.sh examples/sweeps/recall.toml
#
# Job k of an array of N runs shard k/N (arrays numbered from 0 or from 1 both work). A job
# that is cut short (time limit, pre-emption, node failure) keeps the tasks it finished: submit
# the same array again and only the missing tasks run. Results go to OUT (default
# results/sweeps/NAME, NAME from the sweep file), which every job must see (a shared file system).
#
#SBATCH --job-name=ebdm-sweep
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --output=ebdm-sweep-%A_%a.out
set -euo pipefail
sweep=${1:?usage: slurm-array.sh SWEEP.toml [OUT]}
out=(); [ -n "${2:-}" ] && out=(--out "$2")
: "${SLURM_ARRAY_TASK_ID:?not inside a Slurm array job (sbatch --array=...)}"
shard=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1))
count=${SLURM_ARRAY_TASK_COUNT:?}
exec "${EBDM:-ebdm}" --quiet --threads "${SLURM_CPUS_PER_TASK:-1}" sweep run "$sweep" "${out[@]}" --shard "$shard/$count"
