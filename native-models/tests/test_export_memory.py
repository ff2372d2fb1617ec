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
    graphs = export_memory.graph_parameters(checkpoint)
    embed = model.get_input_embeddings().weight.numel()
    head = model.get_output_embeddings().weight.numel()
    assert graphs == {
        "vision_encoder": vision,
        "embed_tokens": embed,
        "decoder_model_merged": total - vision - embed + head,
        "lm_head": head,
    }
    # a tiny model's graphs are all written inline: the model plus 3x the largest graph plus the runtime
    largest = max(graphs.values())
    assert export_memory.export_peak_bytes(checkpoint, "fp32") == total * 4 + 3 * largest * 4 + export_memory.RUNTIME_BYTES
    assert export_memory.export_peak_bytes(checkpoint, "fp16") < export_memory.export_peak_bytes(checkpoint, "fp32")


def test_graphs_over_two_gb_count_at_the_external_data_rate(checkpoint, monkeypatch):
    """The regimes the full-size exports measured: inline graphs cost 3x their bytes, streamed ones 0.15x,
    except the decoder's vocabulary matrix, which costs what an inline graph costs."""
    per_graph = {"vision_encoder": 600_000_000, "embed_tokens": 300_000_000, "decoder_model_merged": 3_000_000_000, "lm_head": 300_000_000}
    monkeypatch.setattr(export_memory, "graph_parameters", lambda _: per_graph)
    monkeypatch.setattr(export_memory, "checkpoint_parameters", lambda _: (3_900_000_000, 600_000_000))
    runtime = export_memory.RUNTIME_BYTES
    # fp32: the vision encoder (2.4 GB) and the decoder (12 GB) are streamed; the decoder's extra is the largest
    decoder = 3 * 1_200_000_000 + 0.15 * (12_000_000_000 - 1_200_000_000)
    assert export_memory.export_peak_bytes(checkpoint, "fp32") == int(3_900_000_000 * 4 + decoder + runtime)
    # fp16: the vision encoder (1.2 GB) is inline now: 3 x 1.2 GB against the decoder's 1.8 + 0.81 GB
    assert export_memory.export_peak_bytes(checkpoint, "fp16") == int(3_900_000_000 * 2 + 3 * 1_200_000_000 + runtime)


def test_peak_resets_per_stage():
    if not export_memory.reset_peak():
        pytest.skip("this kernel has no /proc/self/clear_refs")
    before = export_memory.peak_bytes()
    block = bytearray(256 * 1024**2)  # touched: resident
    block[::4096] = b"x" * len(block[::4096])
    assert export_memory.peak_bytes() >= before + 200 * 1024**2
    del block
    assert export_memory.reset_peak()
    assert export_memory.peak_bytes() < before + 200 * 1024**2


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
