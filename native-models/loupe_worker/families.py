"""Per-family facts the engine needs from a checkpoint: where the visual tokens sit in the prompt and how
the merged token grid lies over the image. One entry per transformers `model_type`."""

from __future__ import annotations

import math
from dataclasses import dataclass

QWEN_FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe")
FAMILIES = (*QWEN_FAMILIES, "gemma3")


@dataclass
class Grid:
    grid_h: int
    grid_w: int
    resized_h: int
    resized_w: int
    token_px: int


def text_config(config):
    return getattr(config, "text_config", None) or config


def visual_span(family: str, config, ids: list[int]) -> tuple[int, int]:
    """(first visual position, count): positions strictly between the image's start and end markers.
    Qwen: <|vision_start|> ... <|vision_end|>; Gemma 3: <start_of_image> ... <end_of_image>."""
    if family in QWEN_FAMILIES:
        start_id, end_id = config.vision_start_token_id, config.vision_end_token_id
        names = ("vision_start_token_id", "vision_end_token_id")
    elif family == "gemma3":
        start_id, end_id = config.boi_token_index, config.eoi_token_index
        names = ("boi_token_index", "eoi_token_index")
    else:
        raise ValueError(f"unknown family {family!r}")
    if start_id not in ids:
        raise LookupError(
            f"config.json: {names[0]} ({start_id}) does not occur in the prompt's tokens; the tokenizer lacks the vision tokens"
        )
    start = ids.index(start_id)
    try:
        end = ids.index(end_id, start + 1)
    except ValueError:
        raise LookupError(f"config.json: {names[1]} ({end_id}) does not follow {names[0]} in the prompt's tokens") from None
    return start + 1, end - start - 1


def grid_of(family: str, config, processed) -> Grid:
    """The merged grid of one image from the processor's outputs."""
    if family in QWEN_FAMILIES:
        vc = config.vision_config
        patch, merge = int(vc.patch_size), int(vc.spatial_merge_size)
        _, gh, gw = (int(x) for x in processed["image_grid_thw"][0])
        return Grid(gh // merge, gw // merge, gh * patch, gw * patch, patch * merge)
    if family == "gemma3":
        side = math.isqrt(int(config.mm_tokens_per_image))
        size = int(processed["pixel_values"].shape[-1])  # square resize to the vision tower's image_size
        return Grid(side, side, size, size, size // side)
    raise ValueError(f"unknown family {family!r}")


def decoder_attention_modules(model) -> list:
    """The text decoder's attention modules in layer order (the ones whose last query row is tapped)."""
    inner = getattr(model, "model", model)
    lm = getattr(inner, "language_model", None) or model.get_decoder()
    return [layer.self_attn for layer in lm.layers]


def final_norm(model):
    inner = getattr(model, "model", model)
    lm = getattr(inner, "language_model", None) or model.get_decoder()
    return lm.norm


def vision_module(model):
    inner = getattr(model, "model", model)
    for name in ("visual", "vision_tower"):
        if hasattr(inner, name):
            return getattr(inner, name)
    return None
