"""The bundled students' fused re-export: weights recovered from the ONNX files exactly, unchanged by it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from loupe_models.export_fused import export_onnx_fused
from loupe_models.reexport import SESSIONS, _initializers, is_fused, recover_student, weights_identical

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["loupe-tiny-base", "loupe-tiny-r2i"])
def test_bundled_student_is_fused_and_its_weights_round_trip(name):
    pkg = REPO / "resources" / "models" / name
    assert is_fused(pkg)
    model = recover_student(pkg)
    with tempfile.TemporaryDirectory() as tmp:
        export_onnx_fused(model, Path(tmp))
        for f in SESSIONS:  # the recovered weights re-export to the very same initializers
            old, new = _initializers(pkg / "onnx" / f), _initializers(Path(tmp) / f)
            assert sorted(old) == sorted(new)
            assert all(old[k].tobytes() == new[k].tobytes() for k in old), f
        ok, how = weights_identical(pkg / "onnx", Path(tmp))
        assert ok, how


def test_weights_identical_notices_a_changed_tensor(tmp_path):
    import shutil

    import numpy as np
    import onnx
    from onnx import numpy_helper

    pkg = REPO / "resources" / "models" / "loupe-tiny-base"
    shutil.copytree(pkg / "onnx", tmp_path / "onnx")
    path = tmp_path / "onnx" / "vision_encoder.onnx"
    m = onnx.load(str(path))
    t = max(m.graph.initializer, key=lambda x: int(np.prod(x.dims)))
    arr = numpy_helper.to_array(t).copy()
    arr.flat[0] = np.nextafter(arr.flat[0], np.float32(np.inf))  # one ulp
    t.CopyFrom(numpy_helper.from_array(arr, t.name))
    onnx.save(m, str(path))
    ok, how = weights_identical(pkg / "onnx", tmp_path / "onnx")
    assert not ok and "1 missing" in how
