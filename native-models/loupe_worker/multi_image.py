"""A greedy answer to one question over several images in one user turn (the self-zoom analysis's ViCrop
input: the full image, then the crop), through the checkpoint's own chat template and processor under each
image's protocol. Only the answer is kept; the taps the decoder still records are dropped."""

from __future__ import annotations

import numpy as np

from . import families
from .engine import Engine, WorkerError, geometry_record


def image_runs(ids: list[int], image_token_id: int) -> list[int]:
    """Lengths of the runs of image tokens, one per image in prompt order."""
    runs: list[int] = []
    previous = None
    for token in ids:
        if token == image_token_id:
            if previous == image_token_id:
                runs[-1] += 1
            else:
                runs.append(1)
        previous = token
    return runs


def image_token(config) -> int:
    """Qwen: image_token_id; Gemma 3: image_token_index."""
    token = getattr(config, "image_token_id", None)
    return int(token if token is not None else getattr(config, "image_token_index", -1))


def answer_images(
    engine: Engine, rgbs: list[np.ndarray], question: str, max_new_tokens: int, protocol: str, max_pixels: int | None
) -> tuple[dict, dict]:
    images = [engine.prepare_image(rgb, protocol, max_pixels) for rgb in rgbs]
    kwargs = engine.processor_kwargs(protocol, max_pixels)
    content = [{"type": "image"} for _ in images] + [{"type": "text", "text": question}]
    text = engine.processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True, tokenize=False)
    try:
        enc = engine.processor(text=[text], images=images, return_tensors="pt", **kwargs)
    except ValueError as err:
        sizes = ", ".join(f"{im.width}x{im.height}" for im in images)
        raise WorkerError("invalid-image", f"the images ({sizes}) cannot be prepared for this model: {err}") from err
    geometries = []
    for i, rgb in enumerate(rgbs):
        one = {k: enc[k][i : i + 1] for k in ("image_grid_thw",) if k in enc}
        one["pixel_values"] = enc["pixel_values"]
        grid = families.grid_of(engine.family, engine.config, one)
        geometries.append(geometry_record(rgb, grid))
    visual_tokens = image_runs(enc["input_ids"][0].tolist(), image_token(engine.config))
    logits, _, cache = engine._forward(dict(enc), None)
    length = int(enc["input_ids"].shape[1])
    tokens: list = []
    engine.greedy(logits, cache, length, engine.rope_delta(), max_new_tokens, tokens)
    answer = engine.processor.tokenizer.decode([x["id"] for x in tokens], skip_special_tokens=True) if tokens else ""
    return {"prompt": text, "answer": answer, "tokens": tokens, "visualTokens": visual_tokens, "geometries": geometries}, {}
