#!/usr/bin/env python
"""The peer side of `npm run bench -- peer` (electron/perf/peer-bench.ts): transformers eager with
output_attentions=True, the way the paper's utils/eval_coverage.py and most notebooks read attention.

  python native-models/peer_bench.py build OUT_DIR
      tiny random Qwen2.5-VL checkpoint (OUT_DIR/checkpoint) and its Loupe package (OUT_DIR/package),
      both with max_pixels raised to 16 MP so images up to 16,384 visual tokens keep their size.
  python native-models/peer_bench.py image SIDE PATH
      a square PNG test image.
  python native-models/peer_bench.py hf CHECKPOINT IMAGE QUESTION
      one analysis: processor -> one forward with output_attentions=True; prints JSON with seconds
      (preprocess + forward, model already loaded), visual tokens, bytes of attention returned, and
      this process's peak RSS in bytes.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

MAX_PIXELS = 16 * 1024 * 1024


def _raise_budget(folder: Path) -> None:
    path = folder / "preprocessor_config.json"
    pre = json.loads(path.read_text())
    pre["max_pixels"] = MAX_PIXELS
    size = dict(pre.get("size") or {})
    size["longest_edge"] = MAX_PIXELS
    pre["size"] = size
    path.write_text(json.dumps(pre, indent=2) + "\n")


def build(out: Path) -> dict:
    from loupe_export.export import export_package, load_checkpoint
    from loupe_export.tiny import build_tiny_checkpoint

    ck = build_tiny_checkpoint("qwen2_5_vl", out / "checkpoint")
    _raise_budget(ck)
    config, model = load_checkpoint(ck)
    export_package(ck, out / "package", model=model, config=config, name="peer-bench-tiny-qwen2_5_vl")
    return {"checkpoint": str(ck), "package": str(out / "package")}


def hf(checkpoint: str, image: str, question: str) -> dict:
    import torch
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModelForImageTextToText, AutoTokenizer

    torch.set_num_threads(2)
    model = AutoModelForImageTextToText.from_pretrained(checkpoint, dtype=torch.float32, attn_implementation="eager").eval()
    # what Qwen2_5_VLProcessor does (chat template, image processor, one <|image_pad|> per visual token);
    # AutoProcessor itself would also load the video processor, which needs torchvision
    tok = AutoTokenizer.from_pretrained(checkpoint)
    proc = AutoImageProcessor.from_pretrained(checkpoint, max_pixels=MAX_PIXELS)
    img = Image.open(image).convert("RGB")
    t0 = time.perf_counter()
    content = [{"type": "image"}, {"type": "text", "text": question}]
    text = tok.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
    enc = proc(images=[img], return_tensors="pt")
    grid = enc["image_grid_thw"]
    n_visual = int(grid[0].prod()) // proc.merge_size**2
    text = text.replace("<|image_pad|>", "<|image_pad|>" * n_visual, 1)
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]], dtype=torch.int64)
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "pixel_values": enc["pixel_values"], "image_grid_thw": grid}
    with torch.no_grad():
        out = model(**inputs, output_attentions=True, use_cache=False)
    seconds = time.perf_counter() - t0
    image_token = model.config.image_token_id
    return {
        "seconds": seconds,
        "visual_tokens": int((inputs["input_ids"] == image_token).sum()),
        "tokens": int(inputs["input_ids"].shape[1]),
        "attention_bytes": int(sum(a.numel() * a.element_size() for a in out.attentions)),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def image(side: int, path: str) -> dict:
    """A square test image (gradient + noise) of `side` px: side = 28 x sqrt(visual tokens) keeps its size."""
    import numpy as np
    from PIL import Image

    rng = np.random.RandomState(1)
    yy, xx = np.mgrid[0:side, 0:side]
    a = np.stack([xx * 255 // (side - 1), yy * 255 // (side - 1), (xx + yy) % 256], -1) + rng.randint(0, 40, (side, side, 3))
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(path)
    return {"path": path, "side": side}


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "image":
        print(json.dumps(image(int(argv[1]), argv[2])))
        return 0
    if len(argv) >= 2 and argv[0] == "build":
        print(json.dumps(build(Path(argv[1]))))
        return 0
    if len(argv) == 4 and argv[0] == "hf":
        print(json.dumps(hf(argv[1], argv[2], argv[3])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
