"""Exporter tests on tiny random-weight Qwen-VL models built from configs (no downloads, CPU, seconds)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from loupe_export import export as export_mod
from loupe_export.export import export_package, load_checkpoint
from loupe_export.parity import ParityError, check_parity, default_cases
from loupe_export.runtime import PackageRunner, prepare, rope_index
from loupe_export.tiny import build_tiny_checkpoint

NATIVE = Path(__file__).resolve().parents[1]
REPO = NATIVE.parent

torch.set_num_threads(1)
FIXTURES = REPO / "test" / "fixtures" / "models"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    cache = {}

    def get(family: str, dtype: str = "fp32", taps: bool = True):
        key = (family, dtype, taps)
        if key not in cache:
            root = tmp_path_factory.mktemp(f"{family}-{dtype}-{'taps' if taps else 'notaps'}")
            ck = build_tiny_checkpoint(family, root / "checkpoint")
            config, model = load_checkpoint(ck, dtype=dtype)
            result = export_package(ck, root / "pkg", dtype=dtype, taps=taps, model=model, config=config)
            cache[key] = (ck, config, model.float(), result)
        return cache[key]

    return get


def _onnx_io(path: Path):
    m = onnx.load(str(path), load_external_data=False)
    return [i.name for i in m.graph.input], [o.name for o in m.graph.output], m


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen3_vl", "qwen2_vl"])
def test_export_layout_and_parity(tiny, family):
    ck, config, model, result = tiny(family)
    pkg = result.out_dir
    for f in [
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "preprocessor_config.json",
        "loupe.json",
        "generation_config.json",
        "onnx/vision_encoder.onnx",
        "onnx/embed_tokens.onnx",
        "onnx/decoder_model_merged.onnx",
    ]:
        assert (pkg / f).is_file(), f
    # each graph's own peak (the bench's per-stage column); stages run in this order, each after a reset
    assert list(result.peak_rss) == ["load", "vision_encoder", "embed_tokens", "decoder_model_merged", "lm_head"]
    assert all(v > 0 for v in result.peak_rss.values())
    man = json.loads((pkg / "loupe.json").read_text())
    layers = config.get_text_config().num_hidden_layers
    assert man["family"] == family and man["layers"] == layers and man["dtype"] == "fp32"
    assert man["heads"] == config.get_text_config().num_attention_heads
    assert man["taps"] == [f"decoder_attentions.{i}" for i in range(layers)]
    assert man["source"]["checkpoint"]
    cfg = json.loads((pkg / "config.json").read_text())
    for key in ("num_hidden_layers", "num_attention_heads", "num_key_value_heads", "hidden_size", "vocab_size", "eos_token_id"):
        assert key in cfg, key  # mirrored at top level for the engine
    assert json.loads((pkg / "tokenizer_config.json").read_text())["chat_template"]
    pre = json.loads((pkg / "preprocessor_config.json").read_text())
    assert pre["do_resize"] is True and pre["do_rescale"] is True and pre["do_normalize"] is True

    ins, outs, dec = _onnx_io(pkg / "onnx" / "decoder_model_merged.onnx")
    # each layer's output from the fused kernel (no [heads, S, S] scores); the taps' softmax is one row
    ops = [n.op_type for n in dec.graph.node]
    assert ops.count("GroupQueryAttention") == layers and ops.count("Softmax") == layers
    assert ins[:3] == ["inputs_embeds", "attention_mask", "position_ids"]
    assert "past_key_values.0.key" in ins and f"past_key_values.{layers - 1}.value" in ins
    assert outs[0] == "logits" and f"present.{layers - 1}.value" in outs
    assert outs[-layers - 1 : -1] == man["taps"] and outs[-1] == "decoder_hidden_states"  # hidden states on by default
    assert man["files"]["unembedding"] == "onnx/lm_head.onnx"
    v_ins, v_outs, _ = _onnx_io(pkg / "onnx" / "vision_encoder.onnx")
    assert v_ins == ["pixel_values", "grid_thw" if family == "qwen2_vl" else "image_grid_thw"]
    if family == "qwen3_vl":
        assert v_outs == ["image_features", "deepstack_features"]
        assert ins[-2:] == ["deepstack_embeds", "num_logits_to_keep"]
        assert man["deepstack"]["decoder_layers"] == [0, 1, 2]
    else:
        assert v_outs == ["image_features"]

    report = check_parity(pkg, model, config)
    assert report.ok and report.reference == "float64"
    assert [c.name for c in report.cases] == ["one-image", "two-images", "text-only"]
    for c in report.cases:
        assert c.attention_max_abs < 1e-5 and c.logits_rel < 1e-4 and c.argmax_equal
    # the vision encoder alone at >= 2,048 px (windows, edge windows, two images per call)
    patch = 16 if family == "qwen3_vl" else 14
    assert len(report.vision) == 2 and max(max(g[1:]) for v in report.vision for g in v["grid"]) * patch >= 2048
    assert all(v["rel"] < 1e-5 for v in report.vision)


def test_taps_are_last_query_rows_with_linear_size(tiny):
    _, _, _, result = tiny("qwen2_5_vl")
    runner = PackageRunner(result.out_dir)
    name, q, imgs = default_cases(result.out_dir)[0]
    prep = prepare(result.out_dir, q, imgs)
    out = runner.prefill(prep)
    L = prep.input_ids.shape[1]
    assert out["logits"].shape == (1, 1, runner.manifest["vocab_size"])  # num_logits_to_keep = 1
    tap = out["decoder_attentions.0"]
    assert tap.shape == (1, runner.manifest["heads"], 1, L)  # one row, not L x L
    np.testing.assert_allclose(tap.sum(-1), 1.0, atol=1e-5)


def test_num_logits_to_keep(tiny):
    _, _, _, result = tiny("qwen2_5_vl")
    runner = PackageRunner(result.out_dir)
    assert "num_logits_to_keep" in runner.dec_inputs
    prep = prepare(result.out_dir, "Count to three.")
    embeds = runner.embed(prep.input_ids)
    pos, _ = rope_index(runner.cfg, prep.input_ids, None, prep.attention_mask)
    one = runner.decoder(embeds, prep.attention_mask, pos, runner.empty_past(1), keep=1)
    every = runner.decoder(embeds, prep.attention_mask, pos, runner.empty_past(1), keep=0)
    L = prep.input_ids.shape[1]
    assert one["logits"].shape[1] == 1 and every["logits"].shape[1] == L
    np.testing.assert_allclose(one["logits"][0, 0], every["logits"][0, -1], atol=1e-5)
    np.testing.assert_array_equal(one["decoder_attentions.1"], every["decoder_attentions.1"])


def test_deepstack_changes_the_output(tiny):
    """The Qwen3-VL layout carries deepstack: dropping it must change the logits (so parity covers it)."""
    _, _, _, result = tiny("qwen3_vl")
    pkg = result.out_dir
    runner = PackageRunner(pkg)
    name, q, imgs = default_cases(pkg)[0]
    prep = prepare(pkg, q, imgs)
    full = runner.prefill(prep)
    embeds = runner.embed(prep.input_ids)
    vis = runner.vision(prep.pixel_values, prep.image_grid_thw)
    assert vis["deepstack_features"].shape == (3, *vis["image_features"].shape)
    embeds[0, prep.input_ids[0] == runner.cfg["image_token_id"]] = vis["image_features"]
    no_deep = runner.decoder(embeds, prep.attention_mask, full["position_ids"], runner.empty_past(1))
    assert np.abs(no_deep["logits"] - full["logits"]).max() > 1e-3


def test_parity_fails_loudly_on_a_broken_package(tiny, tmp_path):
    import shutil

    ck, config, model, result = tiny("qwen2_5_vl")
    broken = tmp_path / "broken"
    shutil.copytree(result.out_dir, broken)
    path = broken / "onnx" / "decoder_model_merged.onnx"
    m = onnx.load(str(path))
    from onnx import numpy_helper

    # perturb the largest weight that is not the output head
    inits = sorted(m.graph.initializer, key=lambda t: -int(np.prod(t.dims)))
    for t in inits:
        if len(t.dims) == 2:
            arr = numpy_helper.to_array(t).copy()
            arr *= 1.05
            t.CopyFrom(numpy_helper.from_array(arr, t.name))
            break
    onnx.save(m, str(path))
    with pytest.raises(ParityError) as e:
        check_parity(broken, model, config)
    assert "differ" in str(e.value)


def test_cli_records_parity_in_loupe_json(tmp_path):
    import export_checkpoint  # noqa: F401  (native-models/export_checkpoint.py)

    out = tmp_path / "pkg"
    rc = export_checkpoint.main(["--tiny", "qwen2_5_vl", str(out), "--tiny-checkpoint", str(tmp_path / "ck")])
    assert rc == 0
    man = json.loads((out / "loupe.json").read_text())
    rec = man["parity"]
    assert rec["passed"] is True and rec["failures"] == []
    assert rec["reference"].startswith("PyTorch float64")
    # the package is as close to float64 as PyTorch fp32 is (both well under the old absolute 1e-5)
    assert 0 < rec["max_error"]["attention_abs"] <= max(10 * rec["pytorch_fp32_error"]["attention_abs"], 1e-6)
    assert [c["name"] for c in rec["cases"]] == ["one-image", "two-images", "text-only"]
    assert max(max(g[1:]) for v in rec["vision"] for g in v["grid"]) * 14 >= 2048


def test_cli_exit_status_and_record_on_parity_failure(tiny, tmp_path, monkeypatch):
    import export_checkpoint  # noqa: F401  (native-models/export_checkpoint.py)
    from loupe_export import parity

    def failing(*a, **k):
        report = parity.ParityReport("fp32", parity.TOLERANCES["fp32"], reference="float64")
        report.failures.append("one-image: layer 0 attention row differs by 1.0e-01 > 1.0e-06")
        return report

    monkeypatch.setattr(parity, "check_parity", failing)
    out = tmp_path / "pkg"
    rc = export_checkpoint.main(["--tiny", "qwen2_5_vl", str(out), "--tiny-checkpoint", str(tmp_path / "ck")])
    assert rc == 1
    rec = json.loads((out / "loupe.json").read_text())["parity"]
    assert rec["passed"] is False and "layer 0" in rec["failures"][0]


def test_no_taps_export(tiny):
    _, config, _, result = tiny("qwen2_5_vl", taps=False)
    _, outs, _ = _onnx_io(result.out_dir / "onnx" / "decoder_model_merged.onnx")
    assert not any(o.startswith("decoder_attentions") for o in outs)
    man = json.loads((result.out_dir / "loupe.json").read_text())
    assert man["taps"] == []


def test_hidden_states_and_unembedding(tiny, tmp_path):
    """decoder_hidden_states is the final normalised hidden state of every position (whatever
    num_logits_to_keep keeps) and onnx/lm_head.onnx gathers lm_head rows: together they give the logits
    (logit lens), checked in numpy against the decoder's own logits; --no-hidden-states leaves both out."""
    import onnxruntime as ort

    _, config, model, result = tiny("qwen2_5_vl")
    pkg = result.out_dir
    runner = PackageRunner(pkg)
    prep = prepare(pkg, "Count to three.")
    embeds = runner.embed(prep.input_ids)
    pos, _ = rope_index(runner.cfg, prep.input_ids, None, prep.attention_mask)
    every = runner.decoder(embeds, prep.attention_mask, pos, runner.empty_past(1), keep=0)
    one = runner.decoder(embeds, prep.attention_mask, pos, runner.empty_past(1), keep=1)
    hidden = every["decoder_hidden_states"]
    L = prep.input_ids.shape[1]
    assert hidden.shape == (1, L, config.get_text_config().hidden_size) and hidden.dtype == np.float32
    np.testing.assert_array_equal(one["decoder_hidden_states"], hidden)  # all positions even when keeping one logit
    ids = np.array([0, 5, int(every["logits"][0, -1].argmax()), 17], dtype=np.int64)
    lm = ort.InferenceSession(str(pkg / "onnx" / "lm_head.onnx"), providers=["CPUExecutionProvider"])
    (rows,) = lm.run(None, {"input_ids": ids})
    assert rows.shape == (len(ids), hidden.shape[-1]) and rows.dtype == np.float32
    # untied: the rows are lm_head's (the embedding table differs)
    np.testing.assert_array_equal(rows, model.lm_head.weight.detach().numpy()[ids])
    assert np.abs(rows - model.get_input_embeddings().weight.detach().numpy()[ids]).max() > 1e-3
    np.testing.assert_allclose(hidden[0].astype(np.float64) @ rows.T.astype(np.float64), every["logits"][0][:, ids], atol=1e-4)

    out = tmp_path / "plain"
    ck = tmp_path / "ck"
    build_tiny_checkpoint("qwen2_5_vl", ck)
    export_package(ck, out, model=model, config=config, hidden_states=False)
    _, outs, _ = _onnx_io(out / "onnx" / "decoder_model_merged.onnx")
    assert "decoder_hidden_states" not in outs and not (out / "onnx" / "lm_head.onnx").exists()
    assert "unembedding" not in json.loads((out / "loupe.json").read_text())["files"]


def test_fp16_export_parity(tiny):
    _, config, model, result = tiny("qwen2_5_vl", dtype="fp16")
    man = json.loads((result.out_dir / "loupe.json").read_text())
    assert man["dtype"] == "fp16"
    assert man["sessions"]["decoder_model_merged"]["outputs"]["logits"] == "float32"
    assert man["sessions"]["decoder_model_merged"]["outputs"]["decoder_attentions.0"] == "float32"
    assert man["sessions"]["decoder_model_merged"]["inputs"]["past_key_values.0.key"] == "float16"
    report = check_parity(result.out_dir, model, config)  # reference in fp32, fp16 tolerances
    assert report.ok


def test_external_data_above_threshold(tiny, tmp_path, monkeypatch):
    """Files over 2 GB are written as <name>.onnx + <name>.onnx_data (threshold lowered for the test)."""
    _, config, model, _ = tiny("qwen2_5_vl")
    monkeypatch.setattr(export_mod, "TWO_GB", 100_000)
    out = tmp_path / "pkg"
    ck = tmp_path / "ck"
    build_tiny_checkpoint("qwen2_5_vl", ck)
    export_package(ck, out, model=model, config=config)
    dec = out / "onnx" / "decoder_model_merged.onnx"
    data = out / "onnx" / "decoder_model_merged.onnx_data"
    assert data.stat().st_size > 4 * dec.stat().st_size  # the weights moved out of the .onnx
    assert check_parity(out, model, config).ok  # onnxruntime finds the data file next to the model


def test_preprocessor_flags_are_filled(tmp_path):
    pre, filled = export_mod._normalize_preprocessor(
        {"min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14, "image_processor_type": "Qwen2VLImageProcessorFast"},
        "qwen2_5_vl",
    )
    assert pre["do_resize"] and pre["do_rescale"] and pre["do_normalize"]
    assert pre["image_processor_type"] == "Qwen2VLImageProcessor"
    assert "do_normalize" in filled
    pre, _ = export_mod._normalize_preprocessor({"size": {"shortest_edge": 65536, "longest_edge": 16777216}}, "qwen3_vl")
    assert pre["min_pixels"] == 65536 and pre["max_pixels"] == 16777216 and pre["patch_size"] == 16


def test_missing_tokenizer_is_explained(tmp_path, tiny):
    ck, config, model, _ = tiny("qwen2_5_vl")
    import shutil

    bad = tmp_path / "ck"
    shutil.copytree(ck, bad)
    (bad / "tokenizer.json").unlink()
    with pytest.raises(export_mod.ExportError, match="tokenizer.json"):
        export_package(bad, tmp_path / "pkg", model=model, config=config)


def test_rope_index_matches_transformers_for_padding():
    cfg = {"vision_config": {"spatial_merge_size": 2}, "image_token_id": 9, "vision_start_token_id": 8}
    ids = np.array([[0, 1, 8, 9, 9, 9, 9, 9, 9, 7, 2, 3]])
    pos, delta = rope_index(cfg, ids, np.array([[1, 4, 6]]), np.ones_like(ids))
    # text 0..2, image grid 2x3 at offset 3, text resumes at 3 + max(2, 3) = 6
    assert pos[0, 0].tolist() == [0, 1, 2, 3, 3, 3, 3, 3, 3, 6, 7, 8]
    assert pos[1, 0].tolist() == [0, 1, 2, 3, 3, 3, 4, 4, 4, 6, 7, 8]
    assert pos[2, 0].tolist() == [0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8]
    assert delta.tolist() == [9 - 12]


@pytest.mark.parametrize("name", ["tiny-qwen2_5_vl", "tiny-qwen3_vl"])
def test_committed_fixture_reproduces(name):
    """The committed package + parity.json agree in onnxruntime (what the TypeScript tests rely on)."""
    pkg = FIXTURES / name
    assert (pkg / "parity.json").exists(), f"{pkg} is part of the repository (git checkout -- test/fixtures/models)"
    fx = json.loads((pkg / "parity.json").read_text())
    total = sum(p.stat().st_size for p in pkg.rglob("*") if p.is_file())
    assert total < 3_000_000
    from PIL import Image

    prep = prepare(pkg, fx["question"], [Image.open(pkg / fx["image"]).convert("RGB")])
    assert prep.input_ids[0].tolist() == fx["input_ids"]
    pv = np.frombuffer(base64.b64decode(fx["pixel_values"]["base64"]), dtype="<f4").reshape(fx["pixel_values"]["shape"])
    np.testing.assert_allclose(prep.pixel_values, pv, atol=1e-6)
    runner = PackageRunner(pkg)
    out = runner.prefill(prep)
    assert out["position_ids"][:, 0, :].tolist() == fx["position_ids"]
    np.testing.assert_allclose(out["logits"][0, -1], fx["expected"]["last_logits"], atol=fx["tolerance"]["logits_abs"])
    for i, rows in enumerate(fx["expected"]["last_row_attention"]):
        np.testing.assert_allclose(out[f"decoder_attentions.{i}"][0, :, 0, :], rows, atol=fx["tolerance"]["attention_abs"])
    a, b = fx["visual_token_range"]
    layer = fx["coverage"]["layer"]
    head_mean = out[f"decoder_attentions.{layer}"][0, :, 0, a:b].mean(0)
    np.testing.assert_allclose(head_mean, fx["coverage"]["head_mean_visual_attention"], atol=1e-5)


def test_random_full_path_with_shrunken_dims(tmp_path, monkeypatch):
    """The --random-full code path (used on a GPU machine at real scale), with the sizes shrunk."""
    import export_checkpoint
    from loupe_export import tiny as tiny_mod

    family, text, vision = tiny_mod.FULL_SIZE["qwen3_vl_8b"]
    small_text = dict(
        text,
        vocab_size=448,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        rope_parameters=dict(text["rope_parameters"], mrope_section=[4, 2, 2]),
    )
    small_vision = dict(
        vision,
        depth=4,
        hidden_size=32,
        intermediate_size=64,
        num_heads=2,
        out_hidden_size=64,
        num_position_embeddings=64,
        deepstack_visual_indexes=[1, 2, 3],
    )
    monkeypatch.setitem(tiny_mod.FULL_SIZE, "qwen3_vl_8b", (family, small_text, small_vision))
    out = tmp_path / "pkg"
    assert export_checkpoint.main(["--random-full", "qwen3_vl_8b", str(out)]) == 0
    man = json.loads((out / "loupe.json").read_text())
    assert man["family"] == "qwen3_vl" and man["layers"] == 4 and "random-weight qwen3_vl_8b" in man["source"]["checkpoint"]
    assert json.loads((out / "preprocessor_config.json").read_text())["min_pixels"] == 65536
