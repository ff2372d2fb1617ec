#!/usr/bin/env bash
# Device check for a machine with an NVIDIA GPU, PyTorch and transformers (no network, no npm): builds
# full-size Qwen3-VL-8B and Qwen2.5-VL-7B architectures with random bf16 weights on the GPU and runs 20
# ZoomBench-layout items each through the PyTorch engine's Python side (taps at every layer, the paper's
# pixel budget), printing per-item latency, peak GPU memory and tap memory. Under 8 minutes on one GPU.
#   native-models/gpu_check.sh [--items N] [--json FILE]     the GPU run
#   native-models/gpu_check.sh --tiny                        the same path on CPU with tiny models (CI)
# Python: $LOUPE_PYTHON, else $LOUPE_VENV/bin/python, else <repo>/.venv/bin/python, else python3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${LOUPE_PYTHON:-}
if [ -z "$py" ]; then
  venv=${LOUPE_VENV:-$here/../.venv}
  if [ -x "$venv/bin/python" ]; then py=$venv/bin/python; else py=$(command -v python3); fi
fi
cd "$here"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
exec "$py" -m loupe_worker.gpu_check "$@"
