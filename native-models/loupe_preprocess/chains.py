"""Each protocol's steps, one function per step, in PIL (the reference the TypeScript code is held to)."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageOps

PROTOCOLS = ("paper", "hf")

# qwen_vl_utils 0.0.14 constants and the paper scripts' arguments.
QWEN_VL_UTILS_PATCH = 14  # fetch_image's `image_patch_size` default; the scripts never pass 16
SPATIAL_MERGE_SIZE = 2
IMAGE_MIN_TOKEN_NUM = 4
IMAGE_MAX_TOKEN_NUM = 16384
MAX_RATIO = 200
PAPER_FETCH_MAX_PIXELS = 2048 * 1024  # the "max_pixels" in each chat message's image entry
PAPER_PROCESSOR_MAX_PIXELS = 2048 * 2048  # AutoProcessor.from_pretrained(..., max_pixels=2048*2048)


def smart_resize_qwen_vl_utils(
    height: int, width: int, factor: int, min_pixels: int | None = None, max_pixels: int | None = None
) -> tuple[int, int]:
    """qwen_vl_utils' smart_resize: Python's round (half to even) with a floor of one factor; floor
    above max_pixels and ceil below min_pixels, both scaled by sqrt of the pixel ratio."""
    max_pixels = max_pixels if max_pixels is not None else IMAGE_MAX_TOKEN_NUM * factor**2
    min_pixels = min_pixels if min_pixels is not None else IMAGE_MIN_TOKEN_NUM * factor**2
    if max_pixels < min_pixels:
        raise ValueError("max_pixels must be at least min_pixels")
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f"absolute aspect ratio must be smaller than {MAX_RATIO}, got {max(height, width) / min(height, width)}")
    h_bar = max(factor, round(height / factor) * factor)
    w_bar = max(factor, round(width / factor) * factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def smart_resize_hf(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """transformers' Qwen2-VL smart_resize (also used by Qwen2.5-VL and Qwen3-VL): no floor of one factor
    on the rounded size, but one on the max_pixels branch."""
    if max(height, width) / min(height, width) > MAX_RATIO:
        raise ValueError(f"absolute aspect ratio must be smaller than {MAX_RATIO}, got {max(height, width) / min(height, width)}")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def to_rgb_qwen_vl_utils(image: Image.Image) -> Image.Image:
    """RGBA is composited onto white through its alpha; every other mode goes through convert("RGB")
    (LA and P-with-transparency lose their alpha; CMYK is PIL's plain inversion)."""
    if image.mode == "RGBA":
        white = Image.new("RGB", image.size, (255, 255, 255))
        white.paste(image, mask=image.split()[3])
        return white
    return image.convert("RGB")


def open_paper(path: str | Path) -> Image.Image:
    """The paper's decode: Image.open without EXIF orientation, then qwen_vl_utils' to_rgb."""
    with Image.open(path) as im:
        im.load()
        return to_rgb_qwen_vl_utils(im)


def paper_fetch_image(
    path: str | Path, max_pixels: int = PAPER_FETCH_MAX_PIXELS, min_pixels: int | None = None, patch: int = QWEN_VL_UTILS_PATCH
) -> Image.Image:
    """qwen_vl_utils.fetch_image as the paper's scripts call it: decode, to_rgb, smart_resize at factor
    patch*2 (28: the scripts keep the 14-px default even for Qwen3-VL), PIL resize with its default
    filter (bicubic)."""
    return fetch_resize(open_paper(path), max_pixels=max_pixels, min_pixels=min_pixels, patch=patch)


def fetch_resize(
    image: Image.Image, max_pixels: int = PAPER_FETCH_MAX_PIXELS, min_pixels: int | None = None, patch: int = QWEN_VL_UTILS_PATCH
) -> Image.Image:
    """fetch_image's resize step on an image already decoded and converted (e.g. a crop cut from one)."""
    factor = patch * SPATIAL_MERGE_SIZE
    width, height = image.size
    min_px = min_pixels if min_pixels is not None else IMAGE_MIN_TOKEN_NUM * factor**2
    h, w = smart_resize_qwen_vl_utils(height, width, factor=factor, min_pixels=min_px, max_pixels=max_pixels)
    return image.resize((w, h))


def open_hf(path: str | Path) -> Image.Image:
    """transformers' load_image for a local file: EXIF orientation applied, then convert("RGB")."""
    with Image.open(path) as im:
        im.load()
        return ImageOps.exif_transpose(im).convert("RGB")


def processor_size_for(protocol: str, min_pixels: int, max_pixels: int, user_max_pixels: int | None = None) -> dict[str, int]:
    """The processor's `size` ({shortest_edge: min pixels, longest_edge: max pixels}) under a protocol:
    the paper loads the processor with max_pixels=2048*2048; hf keeps the checkpoint's. A user's lower
    budget applies on top of either."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {PROTOCOLS}")
    longest = PAPER_PROCESSOR_MAX_PIXELS if protocol == "paper" else max_pixels
    if user_max_pixels is not None:
        longest = min(longest, user_max_pixels)
    return {"shortest_edge": min(min_pixels, longest), "longest_edge": longest}
