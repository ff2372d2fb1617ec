"""Coverage reference: each protocol's chain in Python, then PyTorch eager attention on the tiny fixtures.

Run as a module with one JSON request on stdin, the answer as JSON on stdout (driven by
test/integration/preprocess-coverage.test.ts):

  {"family": "qwen2_5_vl", "package": DIR, "cases": [{"image", "question", "box", "protocol",
   "max_pixels"?, "max_new_tokens"}]}

The model is the fixture package's own random-weight checkpoint, rebuilt by
loupe_export.tiny.build_tiny_checkpoint (seed 0, as the fixture was exported). Per case: the image
through the protocol's chain (chains.py: decode, fetch_image under paper, the processor with the
protocol's budget), the chat template with <|image_pad|> expanded, one eager forward with
output_attentions, and per layer the paper-mode coverage of the box from the head-mean attention of
the last prompt token over the visual tokens; then the greedy answer's token ids (transformers'
generate, greedy).
"""

from __future__ import annotations

import inspect
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from .chains import fetch_resize, open_hf, open_paper, processor_size_for


def paper_coverage(att: np.ndarray, grid_h: int, grid_w: int, box, img_w: int, img_h: int) -> float:
    """docs/reference.md section 2: inclusive cell range after truncation; cx2 <= cx1 -> cx1 + 1."""
    a = att.reshape(grid_h, grid_w)

    def cell(v, size, n):
        return min(max(int(v / size * n), 0), n - 1)

    x1, y1, x2, y2 = box
    cx1, cx2 = cell(x1, img_w, grid_w), cell(x2, img_w, grid_w)
    cy1, cy2 = cell(y1, img_h, grid_h), cell(y2, img_h, grid_h)
    if cx2 <= cx1:
        cx2 = cx1 + 1
    if cy2 <= cy1:
        cy2 = cy1 + 1
    return float(a[cy1 : cy2 + 1, cx1 : cx2 + 1].sum() / a.sum())


def _pixels(pkg: Path, path: str, protocol: str, user_max: int | None):
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    cfg = json.loads((pkg / "preprocessor_config.json").read_text())
    image = open_paper(path) if protocol == "paper" else open_hf(path)
    size = image.size
    if protocol == "paper":
        image = fetch_resize(image)
    budget = processor_size_for(protocol, cfg["min_pixels"], cfg["max_pixels"], user_max)
    kw = {k: v for k, v in cfg.items() if k not in ("image_processor_type", "processor_class", "size", "min_pixels", "max_pixels")}
    proc = Qwen2VLImageProcessorPil(**kw, min_pixels=budget["shortest_edge"], max_pixels=budget["longest_edge"])
    enc = proc(images=[image], return_tensors="np")
    return size, np.asarray(enc["pixel_values"], np.float32), np.asarray(enc["image_grid_thw"], np.int64), int(cfg.get("merge_size", 2))


def _inputs(model, config, ids: np.ndarray, pixel_values, grid) -> dict:
    input_ids = torch.from_numpy(ids)
    kw = dict(input_ids=input_ids, attention_mask=torch.ones_like(input_ids))
    kw["pixel_values"] = torch.from_numpy(pixel_values)
    kw["image_grid_thw"] = torch.from_numpy(grid)
    if "mm_token_type_ids" in inspect.signature(model.forward).parameters:  # transformers 5 (Qwen3-VL needs it)
        kw["mm_token_type_ids"] = (input_ids == config.image_token_id).to(torch.int32)
    return kw


def _forward(model, config, ids: np.ndarray, pixel_values, grid, attentions: bool):
    with torch.no_grad():
        return model(**_inputs(model, config, ids, pixel_values, grid), output_attentions=attentions, use_cache=False)


def run(req: dict) -> list[dict]:
    from transformers import AutoModelForImageTextToText, AutoTokenizer

    from loupe_export.tiny import build_tiny_checkpoint

    pkg = Path(req["package"])
    tok = AutoTokenizer.from_pretrained(pkg)
    template = json.loads((pkg / "chat_template.json").read_text())["chat_template"]
    gen = json.loads((pkg / "generation_config.json").read_text())
    eos = set(gen["eos_token_id"] if isinstance(gen["eos_token_id"], list) else [gen["eos_token_id"]])
    with tempfile.TemporaryDirectory() as tmp:
        ck = build_tiny_checkpoint(req["family"], Path(tmp) / "ck")
        model = AutoModelForImageTextToText.from_pretrained(ck, attn_implementation="eager", dtype=torch.float32).eval()
    config = model.config
    out = []
    for c in req["cases"]:
        size, pv, grid, merge = _pixels(pkg, c["image"], c["protocol"], c.get("max_pixels"))
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": c["question"]}]}]
        text = tok.apply_chat_template(messages, chat_template=template, tokenize=False, add_generation_prompt=True)
        text = text.replace("<|image_pad|>", "<|image_pad|>" * int(np.prod(grid[0]) // merge**2))
        ids = np.asarray([tok(text, add_special_tokens=False)["input_ids"]], np.int64)
        vis = np.nonzero(ids[0] == config.image_token_id)[0]
        gh, gw = int(grid[0][1]) // merge, int(grid[0][2]) // merge
        res = _forward(model, config, ids, pv, grid, True)
        coverage = []
        for a in res.attentions:
            row = a[0, :, -1, :].float().numpy().mean(0)[vis]
            coverage.append(paper_coverage(row, gh, gw, c["box"], size[0], size[1]))
        # Greedy answer with transformers' own generate (KV cache: the vision encoder runs once).
        kw = _inputs(model, config, ids, pv, grid)
        with torch.no_grad():
            seq = model.generate(
                **kw, max_new_tokens=c["max_new_tokens"], do_sample=False, eos_token_id=sorted(eos), pad_token_id=sorted(eos)[0]
            )
        answer = []
        for t in seq[0, ids.shape[1] :].tolist():
            if t in eos:
                break
            answer.append(int(t))
        out.append({"image_size": list(size), "grid": [gh, gw], "coverage": coverage, "answer_ids": answer})
    return out


def main() -> None:
    json.dump(run(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
