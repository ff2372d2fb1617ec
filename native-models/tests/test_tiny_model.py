"""Processor, position ids, tokenizer and the export smoke test of the tiny students."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from loupe_models import world
from loupe_models.data import collate, patchify_torch
from loupe_models.export import write_package
from loupe_models.infer import OrtModel, prepare, torch_infer
from loupe_models.model import TinyConfig, TinyQwen2VL
from loupe_models.processor import js_round, patchify, resize_for_model, rope_index, smart_resize
from loupe_models.tokenizer import CHAT_TEMPLATE, PromptEncoder, build_tokenizer, render_prompt
from loupe_models.train import Schedule, train_loop

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def enc() -> PromptEncoder:
    return PromptEncoder(build_tokenizer(world.question_corpus() * 8))


def test_js_round_is_half_up_not_bankers():
    assert js_round(2.5) == 3 and js_round(3.5) == 4 and js_round(-0.5) == 0
    assert round(2.5) == 2  # the Python behaviour the port must avoid


# Expected sizes as transformers.js's smart_resize (image_processors_utils.js) returns them for the same
# arguments (its [w, h] swapped to (h, w)).
@pytest.mark.parametrize(
    "h,w,min_pixels,max_pixels,expected",
    [
        (448, 448, 224 * 224, 448 * 448, (448, 448)),  # exactly the budget
        (772, 828, 224 * 224, 448 * 448, (420, 448)),  # downscaled, multiples of 28
        (100, 120, 224 * 224, 448 * 448, (224, 252)),  # small crops are upscaled to the minimum budget
        # below the factor: scaled up to 28 x 1400 first, then over the area budget and scaled down,
        # the height held at one factor
        (10, 500, 28 * 28, 28 * 28 * 40, (28, 1232)),
        # a minimum budget above the maximum: after the scale-up the image is under both, and the minimum wins
        (10, 500, 224 * 224, 28 * 28 * 60, (56, 1596)),
    ],
)
def test_smart_resize_matches_transformers_js(h, w, min_pixels, max_pixels, expected):
    rh, rw = smart_resize(h, w, min_pixels=min_pixels, max_pixels=max_pixels)
    assert (rh, rw) == expected
    assert rh % 28 == 0 and rw % 28 == 0


def test_patchify_order_groups_each_2x2_merge_block():
    # an image whose pixel value encodes its patch row and column
    h, w = 56, 84
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for r in range(h // 14):
        for c in range(w // 14):
            img[r * 14 : (r + 1) * 14, c * 14 : (c + 1) * 14, 0] = r * 10
            img[r * 14 : (r + 1) * 14, c * 14 : (c + 1) * 14, 1] = c * 10
    pv, grid = patchify(img)
    assert grid == (1, 4, 6)
    assert pv.shape == (24, 3 * 2 * 14 * 14)
    # first four patches form merge block (0, 0): patch rows 0,0,1,1 and cols 0,1,0,1
    mean, std = 0.48145466, 0.26862954
    rows = [round((pv[i, 0] * std + mean) * 255 / 10) for i in range(4)]
    assert rows == [0, 0, 1, 1]
    torch_pv = patchify_torch(img).numpy()
    np.testing.assert_allclose(torch_pv, pv, atol=1e-6)


def test_rope_index_matches_qwen2_vl_layout():
    # ids: 3 text tokens, vision_start, 6 image pads (grid 1x4x6 -> 2x3 merged), vision_end, 2 text tokens
    V, I = 100, 101
    ids = [1, 2, 3, V] + [I] * 6 + [102, 4, 5]
    pos = rope_index(ids, (1, 4, 6), I, V)
    assert pos.shape == (3, len(ids))
    assert pos[:, :4].tolist() == [[0, 1, 2, 3]] * 3
    offset = 4
    assert pos[0, 4:10].tolist() == [offset] * 6  # temporal
    assert pos[1, 4:10].tolist() == [offset + r for r in (0, 0, 0, 1, 1, 1)]  # rows
    assert pos[2, 4:10].tolist() == [offset + c for c in (0, 1, 2, 0, 1, 2)]  # cols
    nxt = offset + 2 + 1  # max of the vision block + 1
    assert pos[:, 10:].tolist() == [[nxt, nxt + 1, nxt + 2]] * 3


def test_prompt_matches_chat_template(enc):
    from jinja2 import Template  # transformers depends on jinja2

    msgs = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is it?"}]}]
    rendered = Template(CHAT_TEMPLATE).render(messages=msgs, add_generation_prompt=True)
    assert rendered == render_prompt("What is it?")
    ids = enc.prompt_ids("What is it?", 5)
    assert ids.count(enc.image_pad) == 5
    assert ids[ids.index(enc.vision_start) + 6] == enc.vision_end


def test_ocr_strings_tokenise_per_character(enc):
    toks = enc.tok.encode("K3FX").tokens
    assert len(toks) == 4


def test_export_smoke_onnx_equals_pytorch(tmp_path, enc):
    """A few training steps, export, onnxruntime equals PyTorch within 1e-4, attention rows sum to 1."""
    torch.manual_seed(0)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    items = [world.make_item(i, "val") for i in range(4)]
    samples = [(np.asarray(resize_for_model(it.crop)), it.query, it.answer) for it in items]
    hist = train_loop(model, enc, lambda step, rng: samples, Schedule(steps=3, warmup=1), lambda m: None, "smoke")
    assert hist and math.isfinite(hist[-1]["loss"])
    pkg = tmp_path / "pkg"
    write_package(model, enc, pkg, {"name": "smoke"}, write_notap=True)
    ort_model = OrtModel(str(pkg))
    notap = OrtModel(str(pkg), "decoder_model_merged.notap.onnx")
    assert not any(n.startswith("decoder_attentions") for n in notap.out_names)
    for it in items[:2]:
        inp = prepare(it.image, it.query, enc)
        ref = torch_infer(model, inp, enc, max_new_tokens=4)
        got = ort_model.infer(inp, enc, max_new_tokens=4)
        np.testing.assert_allclose(got.prefill_logits, ref.prefill_logits, atol=1e-4)
        np.testing.assert_allclose(got.prefill_attn, ref.prefill_attn, atol=1e-4)
        assert got.answer_ids == ref.answer_ids
        assert got.prefill_attn.shape == (4, 4, len(inp.input_ids))
        np.testing.assert_allclose(got.prefill_attn.sum(-1), 1.0, atol=1e-5)
        plain = notap.infer(inp, enc, max_new_tokens=4)
        np.testing.assert_allclose(plain.prefill_logits, got.prefill_logits, atol=1e-5)


def test_collate_labels_only_answer_tokens(enc):
    it = world.make_item(0, "val", dimension="color")
    img = np.asarray(resize_for_model(it.crop))
    b = collate([(img, it.query, it.answer)], enc)
    lab = b["labels"][0]
    sel = lab != -100
    assert enc.decode(lab[sel].tolist()) == it.answer  # answer tokens then <|im_end|> (skipped on decode)
    assert int(b["image_slots"].sum()) == int(b["vis_mask"].sum())


def test_training_fast_path_equals_exported_math(enc):
    """Training feeds single-frame patches and (torch >= 2) fused attention; eval mode runs the
    explicit softmax the export traces. Both must compute the same function."""
    torch.manual_seed(0)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    items = [world.make_item(i, "val") for i in range(2)]
    imgs = [np.asarray(resize_for_model(items[0].crop)), np.asarray(resize_for_model(items[1].image))]
    batch = collate([(img, it.query, it.answer) for img, it in zip(imgs, items)], enc)
    assert batch["patches"].shape[-1] == 3 * 14 * 14  # one temporal frame
    full = torch.zeros(*batch["patches"].shape[:2], 3 * 2 * 14 * 14)
    for i, img in enumerate(imgs):
        pv = patchify_torch(img)
        full[i, : pv.shape[0]] = pv
    model.train()
    fast_hidden, fast_feats = model.forward_train(batch)
    model.eval()
    with torch.no_grad():
        ref_hidden, ref_feats = model.forward_train({**batch, "patches": full})
    real = batch["attention_mask"] > 0
    torch.testing.assert_close(fast_hidden[real], ref_hidden[real], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(fast_feats[batch["vis_mask"]], ref_feats[batch["vis_mask"]], atol=1e-4, rtol=1e-4)


def test_split_step_equals_one_padded_batch(enc):
    """step_loss runs a step's small crops and large full views as two padded sub-batches; the
    loss (answer tokens, the feature anchor, every auxiliary head) and its gradient must be those of the
    one padded batch the step used to be."""
    import random

    from loupe_models.data import build_records
    from loupe_models.train import AuxHead, size_groups, step_loss, student_samples, teacher_samples

    recs = build_records("train", 12, workers=1)
    rng = random.Random(0)
    # about half of them text crops (glyph targets), all flagged as replayed crops (the feature anchor)
    crops = [(*smp, True) for smp in teacher_samples(recs, glyphs=True, shares={"ocr": 0.5})(0, rng)[:5]]
    fulls = student_samples(recs, {r.index: r.answer for r in recs}, False, 0.0)(0, rng)[:6]
    samples = [x for pair in zip(fulls, crops) for x in pair] + fulls[5:]
    assert any(smp[3][3] for smp in crops)  # glyph targets present
    groups = size_groups(samples)
    assert len(groups) == 2 and sorted(groups[0] + groups[1]) == list(range(len(samples)))
    assert size_groups(crops[:1] * 4) == [[0, 1, 2, 3]]  # one size: one batch

    torch.manual_seed(0)
    cfg = TinyConfig(vocab_size=enc.tok.get_vocab_size())
    model, teacher = TinyQwen2VL(cfg), TinyQwen2VL(cfg)
    aux = AuxHead(cfg.hidden_size)
    model.train(), teacher.train()
    params = [*model.parameters(), *aux.parameters()]

    def run(gr):
        for q in params:
            q.grad = None
        loss = step_loss(model, enc, samples, aux, 0.7, teacher, gr, anchor_weight=0.5)
        loss.backward()
        return loss.detach(), [q.grad.clone() for q in params]

    one_loss, one_grads = run([list(range(len(samples)))])
    split_loss, split_grads = run(groups)
    torch.testing.assert_close(split_loss, one_loss, atol=1e-5, rtol=1e-5)
    for a, b in zip(split_grads, one_grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_causal_training_path_equals_the_padding_mask(enc, monkeypatch):
    """Training runs right-padded rows under a causal mask alone (model.is_right_padded): every real
    position's hidden state and the loss's gradient must be those of the causal + padding mask."""
    import random

    from loupe_models import model as model_module
    from loupe_models.data import build_records, collate
    from loupe_models.model import is_right_padded
    from loupe_models.train import student_samples

    recs = build_records("train", 6, workers=1)
    samples = student_samples(recs, {r.index: r.answer for r in recs}, False, 0.0)(0, random.Random(1))[:6]
    batch = collate(samples, enc)
    lengths = batch["attention_mask"].sum(1)
    assert is_right_padded(batch["attention_mask"]) and int(lengths.min()) < int(lengths.max())  # rows of different lengths
    assert not is_right_padded(batch["attention_mask"].flip(1))
    torch.manual_seed(0)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    model.train()

    def run():
        model.zero_grad(set_to_none=True)
        hidden, _ = model.forward_train(batch)
        sel = batch["labels"] != -100
        torch.nn.functional.cross_entropy(model.lm_head(hidden[sel]), batch["labels"][sel]).backward()
        return hidden.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    causal_hidden, causal_grads = run()
    monkeypatch.setattr(model_module, "is_right_padded", lambda mask: False)
    masked_hidden, masked_grads = run()
    real = batch["attention_mask"] > 0
    torch.testing.assert_close(causal_hidden[real], masked_hidden[real], atol=1e-5, rtol=1e-5)
    assert len(causal_grads) == len(masked_grads)
    for a, b in zip(causal_grads, masked_grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_grounded_view_differs_only_near_the_box():
    from loupe_models.grounding import ground

    it = world.make_item(3, "val")
    g = np.asarray(ground(it.image, it.bbox)).astype(int)
    f = np.asarray(it.image).astype(int)
    diff = np.abs(g - f).sum(-1) > 0
    ys, xs = np.nonzero(diff)
    x1, y1, x2, y2 = it.bbox
    pad_x, pad_y = (x2 - x1) * 0.05 + 2, (y2 - y1) * 0.05 + 2
    assert xs.min() >= x1 - pad_x and xs.max() <= x2 + pad_x
    assert ys.min() >= y1 - pad_y and ys.max() <= y2 + pad_y


def test_batched_answers_equal_one_at_a_time(enc):
    from loupe_models.data import build_records
    from loupe_models.infer import batch_answers
    from loupe_models.train import teacher_samples

    torch.manual_seed(3)
    model = TinyQwen2VL(TinyConfig(vocab_size=enc.tok.get_vocab_size()))
    recs = build_records("train", 12, workers=1)
    images = [Image.fromarray(r.crop if i % 2 else r.full) for i, r in enumerate(recs)]  # views of different sizes
    queries = [r.query(False) for r in recs]

    def check(max_new: int) -> set[int]:
        single = [torch_infer(model, prepare(img, q, enc), enc, max_new_tokens=max_new) for img, q in zip(images, queries)]
        assert batch_answers(model, enc, images, queries, max_new_tokens=max_new) == [s.answer for s in single]
        # sorted into batches by size, answered in the input order
        assert batch_answers(model, enc, images, queries, max_new_tokens=max_new, group=5) == [s.answer for s in single]
        return {len(s.answer_ids) for s in single}

    assert check(1) == {1} and check(6) == {6}  # untrained: never stops, the length limit ends every row
    # a few steps teach it to stop after a short answer: the stop token ends the rows
    train_loop(model, enc, teacher_samples(recs), Schedule(steps=25, lr=3e-3, warmup=5), lambda _: None, "t")
    assert max(check(8)) < 8
