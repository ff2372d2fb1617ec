"""Image preprocessing and multimodal rope positions, matching transformers.js.

transformers.js (the engine's processor) is the source of truth at inference time, so the
training side reproduces it: `smart_resize` with JavaScript's Math.round (half up, not
Python's banker's rounding), rescale 1/255, CLIP mean/std normalisation, the temporal
tile to 2 frames and the (t, h/m, w/m, m, m, C, T, p, p) patch permutation of
`Qwen2VLImageProcessor._call`, and `get_rope_index` of `Qwen2VLForConditionalGeneration`.
The only known difference is the resize filter: PIL bicubic here, sharp's bicubic in Node
(documented in docs/model-packages.md; the engine's parity test tolerates it).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

PATCH = 14
MERGE = 2
TEMPORAL = 2
FACTOR = PATCH * MERGE
# A pixel budget of about 448 x 448 (a 16 x 16 grid of 28-px tokens for square images).
MAX_PIXELS = 448 * 448
# Small crops are upscaled to at least about 224 x 224 (like a teacher seeing a zoomed crop).
MIN_PIXELS = 224 * 224
IMAGE_MEAN = (0.48145466, 0.4578275, 0.40821073)
IMAGE_STD = (0.26862954, 0.26130258, 0.27577711)


def js_round(x: float) -> int:
    return math.floor(x + 0.5)


def smart_resize(
    height: int, width: int, factor: int = FACTOR, min_pixels: int = MIN_PIXELS, max_pixels: int = MAX_PIXELS
) -> tuple[int, int]:
    """Port of transformers.js `smart_resize` (image_processors_utils.js). Returns (h, w)."""
    if height < factor or width < factor:
        scale = max(factor / height, factor / width)
        height = js_round(height * scale)
        width = js_round(width * scale)
    h_bar = js_round(height / factor) * factor
    w_bar = js_round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def resize_for_model(image: Image.Image) -> Image.Image:
    h, w = smart_resize(image.height, image.width)
    if (w, h) == image.size:
        return image.convert("RGB")
    return image.convert("RGB").resize((w, h), Image.BICUBIC)


def patchify(resized: Image.Image | np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Resized RGB image -> (pixel_values [grid_h*grid_w, 3*2*14*14] float32, (t, grid_h, grid_w))."""
    arr = np.asarray(resized, dtype=np.float32) / 255.0
    arr = (arr - np.array(IMAGE_MEAN, dtype=np.float32)) / np.array(IMAGE_STD, dtype=np.float32)
    chw = arr.transpose(2, 0, 1)  # [C, H, W]
    c, h, w = chw.shape
    gh, gw = h // PATCH, w // PATCH
    frames = np.stack([chw] * TEMPORAL, axis=0)  # [T, C, H, W]
    x = frames.reshape(1, TEMPORAL, c, gh // MERGE, MERGE, PATCH, gw // MERGE, MERGE, PATCH)
    x = x.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return np.ascontiguousarray(x.reshape(gh * gw, c * TEMPORAL * PATCH * PATCH)), (1, gh, gw)


def rope_index(input_ids: list[int], grid_thw: tuple[int, int, int], image_token_id: int, vision_start_id: int) -> np.ndarray:
    """Port of transformers.js get_rope_index for one sequence with one image (no padding).

    Returns position ids [3, L] (t, h, w rows)."""
    t, h, w = grid_thw
    lh, lw = h // MERGE, w // MERGE
    n = len(input_ids)
    starts = [i for i, x in enumerate(input_ids) if x == vision_start_id and i + 1 < n and input_ids[i + 1] == image_token_id]
    rows: list[np.ndarray] = []
    st = 0
    st_idx = 0
    for _ in starts:
        ed = input_ids.index(image_token_id, st)
        text_len = ed - st
        rows.append(np.tile(np.arange(text_len) + st_idx, (3, 1)))
        offset = text_len + st_idx
        grid = t * lh * lw
        i = np.arange(grid)
        t_index = offset + i // (lh * lw)
        h_index = offset + (i // lw) % lh
        w_index = offset + i % lw
        rows.append(np.stack([t_index, h_index, w_index]))
        st = ed + grid
        st_idx = int(rows[-1].max()) + 1
    if st < n:
        rows.append(np.tile(np.arange(n - st) + st_idx, (3, 1)))
    return np.concatenate(rows, axis=1).astype(np.int64)
