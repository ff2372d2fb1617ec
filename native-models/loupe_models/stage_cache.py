"""Which pipeline stage results may be reused.

Each stage caches its result in a file under the pipeline's work folder. A file alone does not say
what made it: after the teacher changed, an old `consensus.json` or student checkpoint would be
reused silently. So every cached file gets a sidecar, `<file>.inputs.json`, recording the stage's
inputs (its settings and the content hashes of the files it was built from); a cached file is
reused only when the recorded inputs equal the current ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path


def file_digest(path: Path) -> str:
    """Short content hash of a stage result, to name it among a later stage's inputs."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def json_digest(value) -> str:
    """Short content hash of a JSON value (key order ignored): a later stage that depends on part of
    a stage's file names that part, so the rest of the file can grow without invalidating it."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".inputs.json")


def reusable(path: Path, inputs: dict, log: Callable[[str], None]) -> bool:
    """True when `path` exists and was made from `inputs`.

    A result cached before sidecars existed has no record: it is reused, and the current inputs are
    recorded for it, so the next change is caught."""
    if not path.exists():
        return False
    side = _sidecar(path)
    if not side.exists():
        log(f"{path.name}: cached without a record of its inputs; reusing it and recording them now")
        record(path, inputs)
        return True
    recorded = json.loads(side.read_text())
    if recorded == inputs:
        return True
    changed = sorted(k for k in set(recorded) | set(inputs) if recorded.get(k) != inputs.get(k))
    log(f"{path.name}: its inputs changed ({', '.join(changed)}); rebuilding it")
    return False


def record(path: Path, inputs: dict) -> None:
    """Call after writing a stage's result."""
    _sidecar(path).write_text(json.dumps(inputs, indent=1, sort_keys=True))
