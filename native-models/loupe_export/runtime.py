"""Run a Loupe package in onnxruntime the way the TypeScript engine does (Python mirror, for parity).

prompt -> chat template -> `<|image_pad|>` expanded to one token per merged patch -> tokenizer;
image -> Qwen2VLImageProcessor; vision_encoder; embed_tokens; image features scattered into the
embeddings at the image-token positions; position ids with transformers.js's
`Qwen2VLForConditionalGeneration.get_rope_index`; decoder_model_merged with an empty cache.
Qwen3-VL additionally scatters `deepstack_features` into the dense `deepstack_embeds` decoder input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Prepared:
    input_ids: np.ndarray  # [1, L] int64
    attention_mask: np.ndarray  # [1, L] int64
    pixel_values: np.ndarray | None  # [patches, dim] float32
    image_grid_thw: np.ndarray | None  # [images, 3] int64
    text: str


def load_package_config(pkg: Path) -> dict:
    return json.loads((Path(pkg) / "config.json").read_text())


def prepare(pkg: str | Path, question: str, images: list | None = None) -> Prepared:
    """Tokenize a one-turn chat with `images` (PIL images) before the question."""
    from transformers import AutoImageProcessor, AutoTokenizer

    pkg = Path(pkg)
    tok = AutoTokenizer.from_pretrained(pkg)
    images = images or []
    content = [{"type": "image"} for _ in images] + [{"type": "text", "text": question}]
    text = tok.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
    pixel_values = grid = None
    if images:
        proc = AutoImageProcessor.from_pretrained(pkg)
        enc = proc(images=images, return_tensors="np")
        pixel_values = np.asarray(enc["pixel_values"], dtype=np.float32)
        grid = np.asarray(enc["image_grid_thw"], dtype=np.int64)
        merge = int(json.loads((pkg / "preprocessor_config.json").read_text()).get("merge_size", 2))
        parts = text.split("<|image_pad|>")
        assert len(parts) == len(images) + 1, "one <|image_pad|> per image expected from the chat template"
        out = parts[0]
        for i, rest in enumerate(parts[1:]):
            out += "<|image_pad|>" * int(np.prod(grid[i]) // merge**2) + rest
        text = out
    ids = tok(text, add_special_tokens=False)["input_ids"]
    input_ids = np.asarray([ids], dtype=np.int64)
    return Prepared(input_ids, np.ones_like(input_ids), pixel_values, grid, text)


def rope_index(cfg: dict, input_ids: np.ndarray, grid: np.ndarray | None, attention_mask: np.ndarray):
    """transformers.js `Qwen2VLForConditionalGeneration.get_rope_index` (images only), in numpy."""
    b, n = input_ids.shape
    if grid is None or len(grid) == 0:
        pos = np.cumsum(attention_mask, axis=1) - 1
        pos = np.where(attention_mask == 0, 1, pos)
        position_ids = np.broadcast_to(pos, (3, b, n)).astype(np.int64).copy()
        deltas = pos.max(axis=1) + 1 - n
        return position_ids, deltas
    merge = int(cfg["vision_config"].get("spatial_merge_size", 2))
    image_token = cfg["image_token_id"]
    vstart = cfg["vision_start_token_id"]
    position_ids = np.zeros((3, b, n), dtype=np.int64)
    deltas = []
    image_index = 0
    for bi in range(b):
        keep = attention_mask[bi] == 1
        ids = input_ids[bi][keep].tolist()
        starts = [i for i, x in enumerate(ids) if x == vstart]
        n_images = sum(1 for i in starts if i + 1 < len(ids) and ids[i + 1] == image_token)
        segs: list[np.ndarray] = []
        st = 0
        for _ in range(n_images):
            ed = next(i for i in range(st, len(ids)) if ids[i] == image_token)
            t, h, w = (int(x) for x in grid[image_index])
            image_index += 1
            gh, gw = h // merge, w // merge
            st_idx = int(segs[-1].max()) + 1 if segs else 0
            text_len = ed - st
            segs.append(np.broadcast_to(np.arange(text_len) + st_idx, (3, text_len)))
            tt, hh, ww = np.meshgrid(np.arange(t), np.arange(gh), np.arange(gw), indexing="ij")
            segs.append(np.stack([tt.ravel(), hh.ravel(), ww.ravel()]) + text_len + st_idx)
            st = ed + t * gh * gw
        if st < len(ids):
            st_idx = int(segs[-1].max()) + 1 if segs else 0
            text_len = len(ids) - st
            segs.append(np.broadcast_to(np.arange(text_len) + st_idx, (3, text_len)))
        llm = np.concatenate(segs, axis=1)
        position_ids[:, bi, keep] = llm
        deltas.append(int(llm.max()) + 1 - len(input_ids[bi]))
    return position_ids, np.asarray(deltas, dtype=np.int64)


class PackageRunner:
    def __init__(self, pkg: str | Path, providers: list[str] | None = None):
        import onnxruntime as ort

        self.pkg = Path(pkg)
        self.cfg = load_package_config(self.pkg)
        self.manifest = json.loads((self.pkg / "loupe.json").read_text())
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        providers = providers or ["CPUExecutionProvider"]
        self.sessions = {
            name: ort.InferenceSession(str(self.pkg / spec["file"]), opts, providers=providers)
            for name, spec in self.manifest["sessions"].items()
        }
        dec = self.sessions["decoder_model_merged"]
        self.dec_inputs = {i.name: i for i in dec.get_inputs()}
        self.float_dtype = np.float16 if self.manifest["dtype"] == "fp16" else np.float32
        self.layers = self.manifest["layers"]
        self.kv_heads = self.manifest["kv_heads"]
        self.head_dim = self.manifest["head_dim"]
        self.grid_name = next(n for n in self.manifest["sessions"]["vision_encoder"]["inputs"] if n != "pixel_values")

    def vision(self, pixel_values: np.ndarray, grid: np.ndarray) -> dict[str, np.ndarray]:
        outs = self.sessions["vision_encoder"].run(None, {"pixel_values": pixel_values, self.grid_name: grid})
        names = [o.name for o in self.sessions["vision_encoder"].get_outputs()]
        return dict(zip(names, outs))

    def embed(self, input_ids: np.ndarray) -> np.ndarray:
        return self.sessions["embed_tokens"].run(None, {"input_ids": input_ids})[0]

    def empty_past(self, batch: int) -> dict[str, np.ndarray]:
        return {
            f"past_key_values.{i}.{k}": np.zeros((batch, self.kv_heads, 0, self.head_dim), dtype=self.float_dtype)
            for i in range(self.layers)
            for k in ("key", "value")
        }

    def decoder(self, embeds, attention_mask, position_ids, past, deepstack=None, keep: int = 1) -> dict[str, np.ndarray]:
        feeds = {"inputs_embeds": embeds, "attention_mask": attention_mask, "position_ids": position_ids, **past}
        if "deepstack_embeds" in self.dec_inputs:
            if deepstack is None:
                k = len(self.manifest["deepstack"]["decoder_layers"])
                deepstack = np.zeros((k, *embeds.shape), dtype=self.float_dtype)
            feeds["deepstack_embeds"] = deepstack
        if "num_logits_to_keep" in self.dec_inputs:
            feeds["num_logits_to_keep"] = np.array(keep, dtype=np.int64)
        sess = self.sessions["decoder_model_merged"]
        names = [o.name for o in sess.get_outputs()]
        return dict(zip(names, sess.run(None, feeds)))

    def prefill(self, prep: Prepared) -> dict:
        """One forward pass over the prompt: logits of the last position, taps, cache, rope deltas."""
        embeds = self.embed(prep.input_ids).astype(self.float_dtype)
        deep = None
        if prep.pixel_values is not None:
            vis = self.vision(prep.pixel_values, prep.image_grid_thw)
            mask = prep.input_ids[0] == self.cfg["image_token_id"]
            feats = vis["image_features"]
            if int(mask.sum()) != feats.shape[0]:
                raise ValueError(f"{int(mask.sum())} image tokens but {feats.shape[0]} image features")
            embeds[0, mask] = feats
            if "deepstack_features" in vis:
                ds = vis["deepstack_features"]
                deep = np.zeros((ds.shape[0], *embeds.shape), dtype=self.float_dtype)
                deep[:, 0, mask] = ds
        pos, deltas = rope_index(self.cfg, prep.input_ids, prep.image_grid_thw, prep.attention_mask)
        out = self.decoder(embeds, prep.attention_mask, pos, self.empty_past(1), deep)
        out["position_ids"] = pos
        out["rope_deltas"] = deltas
        return out

    def step(self, prev: dict, attention_mask: np.ndarray, token: int) -> dict:
        """One decoding step with the cache from `prev` (transformers.js: position = past + rope delta)."""
        embeds = self.embed(np.asarray([[token]], dtype=np.int64)).astype(self.float_dtype)
        past = {f"past_key_values.{i}.{k}": prev[f"present.{i}.{k}"] for i in range(self.layers) for k in ("key", "value")}
        past_len = past["past_key_values.0.key"].shape[2]
        p = past_len + int(prev["rope_deltas"][0])
        pos = np.full((3, 1, 1), p, dtype=np.int64)
        out = self.decoder(embeds, attention_mask, pos, past)
        out["rope_deltas"] = prev["rope_deltas"]
        return out
