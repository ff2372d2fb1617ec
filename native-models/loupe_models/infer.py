"""Single-item inference for the tiny model, in PyTorch and in onnxruntime.

Both paths build the same inputs (transformers.js-compatible processor, prompt ids and
multimodal rope positions) and return the prefill logits, the last-row attention of every
layer at the last prompt token, and a greedy answer. They are the reference the export
tests and the TypeScript engine's parity fixture are checked against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .data import collate
from .model import TinyQwen2VL
from .processor import MERGE, patchify, resize_for_model, rope_index
from .tokenizer import PromptEncoder


@dataclass
class PreparedInput:
    pixel_values: np.ndarray  # [N, 1176]
    grid_thw: tuple[int, int, int]
    input_ids: list[int]
    position_ids: np.ndarray  # [3, L]
    resized_size: tuple[int, int]  # (w, h)


@dataclass
class InferenceOutput:
    prefill_logits: np.ndarray  # [V] at the last prompt position
    prefill_attn: np.ndarray  # [layers, heads, L] last-row attention of the prompt
    answer_ids: list[int]
    answer: str


def greedy(first_logits, step, stop_ids: tuple[int, ...], max_new_tokens: int) -> list[int]:
    """Greedy decoding shared by both runtimes: step(token, i) feeds one token at decode step i
    and returns the next logits row."""
    out: list[int] = []
    tok = int(first_logits.argmax())
    for i in range(max_new_tokens):
        if tok in stop_ids:
            break
        out.append(tok)
        tok = int(step(tok, i).argmax())
    return out


def prepare(image: Image.Image, question: str, enc: PromptEncoder) -> PreparedInput:
    resized = resize_for_model(image)
    pv, grid = patchify(resized)
    n_visual = grid[1] * grid[2] // (MERGE * MERGE)
    ids = enc.prompt_ids(question, n_visual)
    pos = rope_index(ids, grid, enc.image_pad, enc.vision_start)
    return PreparedInput(pv, grid, ids, pos, resized.size)


@torch.no_grad()
def torch_infer(model: TinyQwen2VL, inp: PreparedInput, enc: PromptEncoder, max_new_tokens: int = 8) -> InferenceOutput:
    model.eval()
    _, gh, gw = inp.grid_thw
    mh, mw = gh // MERGE, gw // MERGE
    rows = torch.arange(mh * mw) // mw
    cols = torch.arange(mh * mw) % mw
    feats = model.visual(torch.from_numpy(inp.pixel_values)[None], rows.float()[None], cols.float()[None], None)[0]
    ids = torch.tensor([inp.input_ids])
    emb = model.embed_tokens(ids)
    slots = ids == enc.image_pad
    emb = emb.masked_scatter(slots[..., None].expand_as(emb), feats)
    mask = torch.ones_like(ids)
    pos = torch.from_numpy(inp.position_ids)[:, None, :]
    logits, past, probs = model.decode(emb, mask, pos)
    prefill_logits = logits[0, -1].numpy().copy()
    prefill_attn = torch.stack([p[0, :, -1, :] for p in probs]).numpy().copy()
    next_pos = int(inp.position_ids.max()) + 1
    state = {"past": past, "len": mask.shape[1]}

    def step(tok: int, i: int) -> torch.Tensor:
        state["len"] += 1
        p = torch.full((3, 1, 1), next_pos + i, dtype=torch.long)
        lg, state["past"], _ = model.decode(
            model.embed_tokens(torch.tensor([[tok]])), torch.ones(1, state["len"], dtype=torch.long), p, state["past"]
        )
        return lg[0, -1]

    out = greedy(logits[0, -1], step, (enc.im_end, enc.endoftext), max_new_tokens)
    return InferenceOutput(prefill_logits, prefill_attn, out, enc.decode(out))


@torch.no_grad()
def batch_answers(
    model: TinyQwen2VL,
    enc: PromptEncoder,
    images: list[Image.Image],
    queries: list[str],
    max_new_tokens: int = 8,
    group: int = 48,
) -> list[str]:
    """Greedy answers of many (image, question) pairs in padded batches: the same tokens as
    torch_infer one at a time (test_batched_answers_equal_one_at_a_time), with fewer, larger calls.
    Used where only the answers matter (consensus labelling, quick accuracy checks).

    The pairs are sorted by image size and prompt length and answered `group` at a time, so that a
    batch pads little: a padded row costs as much as the batch's largest. Each batch computes logits
    only at each row's last prompt position and runs the fused attention kernel (no taps needed).
    With these and the stored key regions (consensus._views), the consensus stage's crop views (224 x 224
    to 448 x 448 pixels) of 192 scenes took 6.8 s instead of 17.8 s, with the same labels (9.5 s
    without the fused kernel)."""
    model.eval()
    arrays = [np.asarray(resize_for_model(img)) for img in images]
    order = sorted(range(len(arrays)), key=lambda i: (arrays[i].shape[0] * arrays[i].shape[1], len(queries[i])))
    out: list[str] = [""] * len(arrays)
    for start in range(0, len(order), max(1, group)):
        rows = order[start : start + max(1, group)]
        for i, answer in zip(rows, _padded_answers(model, enc, [arrays[i] for i in rows], [queries[i] for i in rows], max_new_tokens)):
            out[i] = answer
    return out


def _padded_answers(model: TinyQwen2VL, enc: PromptEncoder, arrays: list[np.ndarray], queries: list[str], max_new_tokens: int) -> list[str]:
    """batch_answers for one padded batch of resized images.

    Right padding: each row's first answer token is read at its own last prompt position, and the
    generated tokens follow at the end of the batch, where the padding mask hides the gap."""
    batch = collate([(a, q, None) for a, q in zip(arrays, queries)], enc)
    # the fused attention kernel: only the answers are wanted here, not the attention taps
    emb, _ = model.embed_batch(batch, fused=True)
    mask, pos = batch["attention_mask"], batch["position_ids"]
    lengths = mask.sum(1)
    logits, past, _ = model.decode(emb, mask, pos, logits_at=lengths - 1, fused=True)
    tok = logits[:, 0].argmax(-1)
    next_pos = (pos * mask[None]).amax(dim=(0, 2)) + 1  # [B]: after each row's largest position
    stops = torch.tensor([enc.im_end, enc.endoftext])
    out: list[list[int]] = [[] for _ in arrays]
    done = torch.zeros(len(arrays), dtype=torch.bool)
    for i in range(max_new_tokens):
        done |= torch.isin(tok, stops)
        for b in (~done).nonzero()[:, 0].tolist():
            out[b].append(int(tok[b]))
        if bool(done.all()) or i == max_new_tokens - 1:
            break
        mask = torch.cat([mask, torch.ones(len(arrays), 1, dtype=mask.dtype)], 1)
        p = (next_pos + i).view(1, -1, 1).expand(3, -1, 1)
        lg, past, _ = model.decode(model.embed_tokens(tok[:, None]), mask, p, past, fused=True)
        tok = lg[:, -1].argmax(-1)
    return [enc.decode(o) for o in out]


class OrtModel:
    """The exported package run with onnxruntime (CPU)."""

    def __init__(self, package_dir: str, decoder_file: str = "decoder_model_merged.onnx"):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        d = f"{package_dir}/onnx"
        self.vision = ort.InferenceSession(f"{d}/vision_encoder.onnx", opts, providers=["CPUExecutionProvider"])
        self.embed = ort.InferenceSession(f"{d}/embed_tokens.onnx", opts, providers=["CPUExecutionProvider"])
        self.decoder = ort.InferenceSession(f"{d}/{decoder_file}", opts, providers=["CPUExecutionProvider"])
        self.n_layers = sum(1 for i in self.decoder.get_inputs() if i.name.endswith(".key"))
        kv = self.decoder.get_inputs()[3].shape
        self.kv_heads, self.head_dim = kv[1], kv[3]
        self.out_names = [o.name for o in self.decoder.get_outputs()]

    def run_decoder(self, emb, mask, pos, past):
        feeds = {"inputs_embeds": emb, "attention_mask": mask, "position_ids": pos}
        for i in range(self.n_layers):
            feeds[f"past_key_values.{i}.key"] = past[2 * i]
            feeds[f"past_key_values.{i}.value"] = past[2 * i + 1]
        outs = dict(zip(self.out_names, self.decoder.run(None, feeds)))
        presents = []
        for i in range(self.n_layers):
            presents += [outs[f"present.{i}.key"], outs[f"present.{i}.value"]]
        return outs, presents

    def infer(self, inp: PreparedInput, enc: PromptEncoder, max_new_tokens: int = 8) -> InferenceOutput:
        grid = np.array([list(inp.grid_thw)], dtype=np.int64)
        feats = self.vision.run(None, {"pixel_values": inp.pixel_values, "grid_thw": grid})[0]
        ids = np.array([inp.input_ids], dtype=np.int64)
        emb = self.embed.run(None, {"input_ids": ids})[0]
        emb[0, ids[0] == enc.image_pad] = feats
        empty = np.zeros((1, self.kv_heads, 0, self.head_dim), dtype=np.float32)
        past = [empty] * (2 * self.n_layers)
        mask = np.ones_like(ids)
        outs, past = self.run_decoder(emb, mask, inp.position_ids[:, None, :], past)
        logits = outs["logits"]
        attn = (
            np.stack([outs[f"decoder_attentions.{i}"][0, :, 0, :] for i in range(self.n_layers)])
            if "decoder_attentions.0" in outs
            else np.zeros(0)
        )
        prefill_logits = logits[0, -1].copy()
        next_pos = int(inp.position_ids.max()) + 1
        state = {"past": past, "len": mask.shape[1]}

        def step(tok: int, i: int) -> np.ndarray:
            state["len"] += 1
            e = self.embed.run(None, {"input_ids": np.array([[tok]], dtype=np.int64)})[0]
            p = np.full((3, 1, 1), next_pos + i, dtype=np.int64)
            o, state["past"] = self.run_decoder(e, np.ones((1, state["len"]), dtype=np.int64), p, state["past"])
            return o["logits"][0, -1]

        out = greedy(logits[0, -1], step, (enc.im_end, enc.endoftext), max_new_tokens)
        return InferenceOutput(prefill_logits, attn, out, enc.decode(out))
