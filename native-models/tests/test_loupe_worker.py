"""The PyTorch engine's worker: taps equal eager attention, the tiny fixtures' reference values are
reproduced, frames round-trip, and the worker process answers over stdio."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from loupe_export.tiny import build_tiny_checkpoint
from loupe_worker.engine import Engine, full_attention_bytes
from loupe_worker.wire import read_frame, write_frame

FIXTURES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "models"
FAMILIES = ["qwen2_5_vl", "qwen3_vl"]


@pytest.fixture(scope="module", params=FAMILIES)
def tiny(request, tmp_path_factory):
    family = request.param
    folder = build_tiny_checkpoint(family, tmp_path_factory.mktemp(family) / "ckpt", seed=0)
    fixture = json.loads((FIXTURES / f"tiny-{family}" / "parity.json").read_text())
    rgb = np.asarray(Image.open(FIXTURES / f"tiny-{family}" / "parity-image.png").convert("RGB"))
    return family, folder, fixture, rgb


def test_taps_equal_eager_output_attentions(tiny):
    from transformers import AutoModelForImageTextToText

    _, folder, fixture, rgb = tiny
    engine = Engine(str(folder), "fp32", "cpu")
    _, enc = engine.encode(engine.prepare_image(rgb, "hf", None), fixture["question"], engine.processor_kwargs("hf", None))
    logits, rows, _ = engine._forward(dict(enc), None)
    taps = torch.stack(rows).numpy()
    eager = AutoModelForImageTextToText.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        out = eager(**enc, output_attentions=True)
    reference = torch.stack([a[0, :, -1, :] for a in out.attentions]).numpy()
    assert taps.shape == reference.shape
    assert np.abs(taps - reference).max() < 1e-6
    assert np.abs(logits.numpy() - out.logits[0, -1].numpy()).max() < 1e-4


def test_analysis_reproduces_the_fixture(tiny):
    """The fixture's reference (eager PyTorch on the same seeded weights): ids, query-0 rows, argmax."""
    _, folder, fixture, rgb = tiny
    engine = Engine(str(folder), "fp32", "cpu")
    result, blobs = engine.analyze(rgb, fixture["question"], 3, True, "hf", None, True)
    assert result["inputIds"] == fixture["input_ids"]
    start, end = fixture["visual_token_range"]
    assert result["visualStart"] == start
    expected = np.array(fixture["expected"]["last_row_attention"])[:, :, start:end]
    attention = blobs["attention"]
    assert attention.shape[1:] == expected.shape
    assert np.abs(attention[0] - expected).max() < 1e-6
    assert result["tokens"][0]["id"] == fixture["expected"]["argmax"]
    assert attention.shape[0] == 1 + len(result["tokens"])  # every generated token has its own query row
    assert blobs["genericAttention"].shape == (1, *expected.shape)
    hidden = blobs["hiddenStates"]
    assert hidden.shape == (end - start, engine.info()["hiddenSize"])
    assert result["stats"]["tapBytes"] < result["stats"]["fullAttentionBytes"]


def test_activation_inputs_are_the_logit_lens_of_an_eager_pass(tiny):
    """Activation maps' inputs (docs/metrics.md "Activation maps"): the visual hidden states, each answer
    token's own position's hidden state and the lm_head rows of the answer ids, checked in numpy against
    the logits of one eager pass over prompt + answer (the model's own lm_head on every position)."""
    from transformers import AutoModelForImageTextToText

    _, folder, fixture, rgb = tiny
    engine = Engine(str(folder), "fp32", "cpu")
    result, blobs = engine.analyze(rgb, fixture["question"], 3, False, "hf", None, True)
    ids = [t["id"] for t in result["tokens"]]
    assert ids, "the tiny model answered nothing: no token to score"
    hidden, rows, token_hidden = blobs["hiddenStates"], blobs["unembedding"], blobs["tokenHidden"]
    size = engine.info()["hiddenSize"]
    assert rows.shape == (len(ids), size) and token_hidden.shape == (len(ids), size)
    # The fixtures are untied: the rows are lm_head's, not the embedding table's.
    assert engine.model.get_output_embeddings().weight.data_ptr() != engine.model.get_input_embeddings().weight.data_ptr()
    embed = engine.model.get_input_embeddings().weight[ids].detach().numpy()
    assert np.abs(rows - embed).max() > 1e-3

    _, enc = engine.encode(engine.prepare_image(rgb, "hf", None), fixture["question"], engine.processor_kwargs("hf", None))
    prompt = enc["input_ids"].shape[1]
    full = dict(enc)
    full["input_ids"] = torch.cat([enc["input_ids"], torch.tensor([ids])], dim=1)
    full["attention_mask"] = torch.ones_like(full["input_ids"])
    if "mm_token_type_ids" in enc:  # answer tokens are text (type 0)
        full["mm_token_type_ids"] = torch.cat(
            [enc["mm_token_type_ids"], torch.zeros((1, len(ids)), dtype=enc["mm_token_type_ids"].dtype)], dim=1
        )
    eager = AutoModelForImageTextToText.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        logits = eager(**full).logits[0].numpy()
    start, cells = result["visualStart"], hidden.shape[0]
    lens = logits[start : start + cells][:, ids]  # [cells, tokens]: each visual position's logit of each answer token
    ours = hidden.astype(np.float64) @ rows.astype(np.float64).T
    assert np.abs(np.maximum(ours, 0) - np.maximum(lens, 0)).max() < 1e-4
    # Token j is fed at position prompt + j; its hidden state there scores every answer token.
    at_tokens = logits[prompt : prompt + len(ids)][:, ids]
    assert np.abs(token_hidden.astype(np.float64) @ rows.astype(np.float64).T - at_tokens).max() < 1e-4


def test_paper_protocol_resizes_like_fetch_image(tiny):
    family, folder, fixture, _ = tiny
    engine = Engine(str(folder), "fp32", "cpu")
    big = np.zeros((700, 1000, 3), dtype=np.uint8)
    image = engine.prepare_image(big, "paper", 200_000)
    assert image.size[0] % 28 == 0 and image.size[1] % 28 == 0
    assert image.size[0] * image.size[1] <= 200_000


def test_bf16_runs_and_reports(tiny):
    _, folder, fixture, rgb = tiny
    engine = Engine(str(folder), "bf16", "cpu")
    assert engine.info()["dtype"] == "bf16"
    result, blobs = engine.analyze(rgb, fixture["question"], 1, False, "hf", None, False)
    assert blobs["attention"].dtype == np.float32
    assert np.isfinite(blobs["attention"]).all()


def test_frames_round_trip():
    buf = io.BytesIO()
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    write_frame(buf, {"id": 3, "x": "y"}, {"a": a, "b": np.zeros((2, 2, 3), dtype=np.uint8)})
    buf.seek(0)
    header, blobs = read_frame(buf)
    assert header["id"] == 3 and header["x"] == "y"
    assert np.array_equal(blobs["a"], a) and blobs["b"].shape == (2, 2, 3)


def test_full_attention_bytes_counts_prefill_and_rows():
    assert full_attention_bytes(2, 3, 10, 0, 4) == 2 * 3 * 100 * 4
    assert full_attention_bytes(1, 1, 10, 2, 4) == (100 + 11 + 12) * 4


def test_worker_process_check_and_bad_method():
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "loupe_worker", "--check"], cwd=root, capture_output=True, text=True, timeout=120)
    env = json.loads(out.stdout)
    assert env["missing"] == [] and "torch" in env and "available" in env["cuda"]
    proc = subprocess.Popen([sys.executable, "-m", "loupe_worker"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        header, _ = read_frame(proc.stdout)
        assert header["type"] == "ready"
        write_frame(proc.stdin, {"id": 1, "method": "nope", "params": {}})
        header, _ = read_frame(proc.stdout)
        assert header["type"] == "error" and header["error"]["field"] == "method"
        write_frame(proc.stdin, {"id": 2, "method": "analyze", "params": {"question": "q"}})
        header, _ = read_frame(proc.stdout)
        assert "before load" in header["error"]["message"]
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


@pytest.mark.parametrize("family", ["qwen2_vl", "qwen3_vl_moe", "gemma3"])
def test_other_families_taps_equal_eager(family, tmp_path):
    """Qwen2-VL, the Qwen3-VL mixture-of-experts variant and Gemma 3 (a non-Qwen family): the decoder's
    attention goes through the interface, the visual span and grid are found, decoding runs."""
    from transformers import AutoModelForImageTextToText

    from loupe_worker.tiny_families import build_tiny

    folder = build_tiny(family, tmp_path / family)
    engine = Engine(str(folder), "fp32", "cpu")
    rgb = (np.random.default_rng(0).random((90, 120, 3)) * 255).astype(np.uint8)
    result, blobs = engine.analyze(rgb, "What colour is the sign?", 3, True, "hf", None, False)
    g = result["geometry"]
    assert blobs["attention"].shape[1:] == (engine.num_layers, engine.num_heads, g["gridH"] * g["gridW"])
    assert blobs["attention"].shape[0] == 1 + len(result["tokens"])
    _, enc = engine.encode(engine.prepare_image(rgb, "hf", None), "What colour is the sign?", engine.processor_kwargs("hf", None))
    _, rows, _ = engine._forward(dict(enc), None)
    eager = AutoModelForImageTextToText.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        out = eager(**enc, output_attentions=True)
    reference = torch.stack([a[0, :, -1, :] for a in out.attentions]).numpy()
    assert np.abs(torch.stack(rows).numpy() - reference).max() < 1e-6
    start = result["visualStart"]
    assert np.abs(blobs["attention"][0] - reference[:, :, start : start + g["gridH"] * g["gridW"]]).max() < 1e-6


def test_gpu_check_tiny_mode_runs_on_cpu():
    """native-models/gpu_check.sh --tiny: the device check's whole path (build, items at the paper's
    budget, taps, figures) on CPU with the tiny checkpoints."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        ["bash", str(root / "gpu_check.sh"), "--tiny", "--items", "2", "--max-new-tokens", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        env={"LOUPE_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "qwen3_vl item 1:" in out.stdout and "qwen2_5_vl item 1:" in out.stdout
    assert "s per item over 2 items" in out.stdout and "tap memory" in out.stdout
