#!/usr/bin/env bash
# Creates the Python environment for native-models/ (offline: the machine's local package mirror).
# Usage: native-models/setup-venv.sh [VENV_DIR]   (default: $LOUPE_VENV or <repo>/.venv)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-${LOUPE_VENV:-$here/../.venv}}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
venv=$(cd "$venv" && pwd)
# The mirror is configured in pip's config; naming it as the index avoids slow retries against an
# unreachable default index. Outside this workplace plain `pip install` of the same names works.
idx=()
if [ -d /opt/pypi/simple ]; then
  idx=(--index-url file:///opt/pypi/simple)
  [ -d /opt/pypi-more/simple ] && idx+=(--extra-index-url file:///opt/pypi-more/simple)
  [ -d /opt/wheels ] && idx+=(--find-links /opt/wheels)
fi
"$venv/bin/python" -c "import torch, transformers, onnx, onnxruntime, pyarrow, PIL, pytest, jinja2" 2>/dev/null || \
  "$venv/bin/pip" install -q "${idx[@]}" torch transformers onnx onnxruntime pyarrow numpy pillow pytest jinja2 ruff
echo "$venv"
