#!/usr/bin/env bash
# Submits a sharded Loupe benchmark run to Slurm: an array of N `loupe bench --shard i/N` tasks
# (zoombench-array.sbatch) and a merge job that starts once every task succeeded and merges the
# shards into RUNS_DIR/merged-<array job id>. Prints the two job ids.
#
#   zoombench-submit.sh N BENCH RUNS_DIR [loupe bench options...]
#
# LOUPE_SBATCH_ARGS adds sbatch options to both jobs (partition, account, time limit, and for the
# shards a GPU): LOUPE_SBATCH_ARGS="--partition=gpu --gres=gpu:1". LOUPE as in zoombench-array.sbatch.
set -euo pipefail
usage="usage: zoombench-submit.sh N BENCH RUNS_DIR [loupe bench options...]"
n=${1:?$usage}
bench=${2:?$usage}
runs=${3:?$usage}
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$runs"
runs=$(cd "$runs" && pwd)
read -r -a extra <<<"${LOUPE_SBATCH_ARGS:-}"
if [ -n "${LOUPE:-}" ]; then
  loupe=$LOUPE
elif command -v loupe >/dev/null 2>&1; then
  loupe=loupe
else
  loupe="node $(printf %q "$PWD/bin/loupe.js")"
fi

array=$(sbatch --parsable "${extra[@]}" --array="0-$((n - 1))" --output="$runs/loupe-bench-%A_%a.log" \
  "$here/zoombench-array.sbatch" "$bench" "$runs" "$@")
array=${array%%;*}
# The merge job expands the glob when it runs, after every shard has written its run folder.
q=$(printf %q "$runs")
merge=$(sbatch --parsable "${extra[@]}" --job-name=loupe-merge --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$runs/loupe-merge-$array.log" --wrap="$loupe merge $q/*-shard*of$n --out $q/merged-$array")
echo "array $array"
echo "merge ${merge%%;*}"
