#!/usr/bin/env bash
# Rebuilds the bundled default from seeds on a 2-core CPU (about 2.6 hours, stage by stage in docs/models.md):
#   the mini bench (resources/bench/loupe-mini), the crop teacher, consensus labels, both
#   students (resources/models/loupe-tiny-base, loupe-tiny-r2i), their ONNX exports, the
#   evaluation written into loupe.json and MODEL_CARD.md, and test/fixtures/parity.
# Extra arguments go to pipeline.py (e.g. --quick for a smoke run into a scratch folder).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$("$here/setup-venv.sh")
py="$venv/bin/python"
cd "$here/.."
"$py" native-models/make_bench.py --out resources/bench/loupe-mini --n-per-dim 30
exec "$py" native-models/pipeline.py "$@"
