"""The export memory guard: parameter counts from safetensors headers, and a refusal before loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from loupe_export import export_memory
from loupe_export.export import load_checkpoint
from loupe_export.tiny import build_tiny_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return build_tiny_checkpoint("qwen3_vl", tmp_path_factory.mktemp("ck") / "tiny-qwen3_vl")


def test_parameters_from_headers_match_the_model(checkpoint):
    total, vision = export_memory.checkpoint_parameters(checkpoint)
    _, model = load_checkpoint(checkpoint)
    assert total == sum(p.numel() for p in model.parameters())
    assert vision == sum(p.numel() for p in model.model.visual.parameters())
    assert export_memory.export_peak_bytes(checkpoint, "fp32") == total * 4 + (total - vision) * 4 + export_memory.RUNTIME_BYTES
    assert export_memory.export_peak_bytes(checkpoint, "fp16") < export_memory.export_peak_bytes(checkpoint, "fp32")


def test_export_is_refused_before_loading_when_it_cannot_fit(checkpoint, tmp_path, monkeypatch, capsys):
    import export_checkpoint  # noqa: F401  (native-models/export_checkpoint.py)

    assert export_memory.check_export_fits(checkpoint, "fp32") is None  # a tiny model fits anywhere
    monkeypatch.setattr(export_memory, "available_bytes", lambda: 1024**2)
    msg = export_memory.check_export_fits(checkpoint, "fp32")
    assert msg and "GiB is available" in msg and "--dtype fp16" in msg
    monkeypatch.setattr("loupe_export.export.load_checkpoint", lambda *a, **k: pytest.fail("loaded despite the refusal"))
    rc = export_checkpoint.main([str(checkpoint), str(tmp_path / "pkg"), "--skip-parity"])
    assert rc == 2
    assert "LOUPE_EXPORT_IGNORE_MEMORY=1" in capsys.readouterr().err
    assert not (tmp_path / "pkg" / "loupe.json").exists()
