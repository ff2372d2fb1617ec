"""Conformance of the TypeScript image pipeline with Python: images, and what PIL + transformers make of them.

Run as a module with one JSON request on stdin; the answer is JSON on stdout. The Vitest suites
electron/engine/preprocess/preprocess.test.ts and conformance.test.ts drive it, so the expectations are
regenerated on every run from PIL and transformers themselves (nothing large is committed):

  {"op": "generate", "dir": D}            writes the conformance image set into D; answers its list
  {"op": "expect", "dir": D, "out": O, "cases": [...]}
                                          per case (file, protocol, family): decoded size and SHA-256,
                                          the paper chain's fetch size, the processor's resized size and
                                          grid; the resized uint8 image written to O; for small images
                                          the SHA-256 of transformers' own pixel_values
  {"op": "smart_resize", "cases": [[h, w, factor, min, max], ...]}
  {"op": "resize", "cases": [{"src", "w", "h", "ow", "oh", "dst"}]}   PIL bicubic on raw RGB files
  {"op": "normalise", "families": [F]}    rescale + normalise of every byte value, per channel
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from .chains import (
    fetch_resize,
    open_hf,
    open_paper,
    processor_size_for,
    smart_resize_hf,
    smart_resize_qwen_vl_utils,
)

# The real checkpoints' processor settings (Qwen2.5-VL-7B-Instruct, Qwen3-VL-8B-Instruct), so the suite
# covers the budgets and patch sizes researchers meet (patch 14 and patch 16 families).
FAMILIES = {
    "qwen2_5_vl": {
        "patch_size": 14,
        "merge_size": 2,
        "temporal_patch_size": 2,
        "min_pixels": 3136,
        "max_pixels": 12845056,
        "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711],
        "rescale_factor": 1 / 255,
        "resample": 3,
    },
    "qwen3_vl": {
        "patch_size": 16,
        "merge_size": 2,
        "temporal_patch_size": 2,
        "min_pixels": 65536,
        "max_pixels": 16777216,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "rescale_factor": 1 / 255,
        "resample": 3,
    },
}

# transformers' pixel_values are compared in full below this many resized pixels (checksum of the array).
FULL_PROCESSOR_PIXELS = 200_000


def content(w: int, h: int, seed: int) -> np.ndarray:
    """A photo-like test image: gradients, stripes that alias when downscaled, and noise. Built in row
    bands so an 8K image needs no more than a few hundred MB."""
    rng = np.random.default_rng(seed)
    out = np.empty((h, w, 3), np.uint8)
    x = np.arange(w, dtype=np.float32)[None, :]
    for y0 in range(0, h, 256):
        y = np.arange(y0, min(h, y0 + 256), dtype=np.float32)[:, None]
        band = np.empty((y.shape[0], w, 3), np.float32)
        band[..., 0] = x * (255.0 / max(w - 1, 1))
        band[..., 1] = y * (255.0 / max(h - 1, 1))
        band[..., 2] = 127.5 + 127.5 * np.sin((x + 2 * y) * 0.7)
        band += rng.normal(0, 12, band.shape).astype(np.float32)
        out[y0 : y0 + band.shape[0]] = np.clip(band, 0, 255).astype(np.uint8)
    return out


def _exif(orientation: int) -> bytes:
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()


def generate(d: Path) -> list[dict]:
    """The image set: rounding sizes at factors 28 and 32, tiny and 8K, aspect ratios near 200:1, every
    PIL mode, EXIF orientations 1-8, and each container format. Returns [{file, note}]."""
    d.mkdir(parents=True, exist_ok=True)
    items: list[dict] = []
    seed = [0]

    def save(name: str, im: Image.Image, note: str, **kw) -> None:
        seed[0] += 1
        im.save(d / name, **kw)
        items.append({"file": name, "note": note})

    def rgb(w: int, h: int) -> Image.Image:
        seed[0] += 1
        return Image.fromarray(content(w, h, seed[0]))

    # Half-way rounding: sides at (k + 0.5) * factor for even and odd k, both factors, and the cases.
    for factor in (28, 32):
        for k in (3, 4, 11, 12, 22, 23, 34, 35):
            side = int((k + 0.5) * factor)
            save(f"round{factor}-{side}x{factor * 20}.png", rgb(side, factor * 20), f"width {side} = {k}.5 x {factor}")
            save(f"round{factor}-{factor * 15}x{side}.png", rgb(factor * 15, side), f"height {side} = {k}.5 x {factor}")
    for w, h in ((966, 644), (1022, 768), (900, 600), (644, 966), (1000, 750), (1078, 714), (1050, 1050), (518, 370)):
        save(f"issue-{w}x{h}.png", rgb(w, h), "sizes named in the issue / near rounding edges")
    # Tiny images: the min_pixels branch.
    for w, h in ((1, 1), (2, 3), (5, 7), (13, 9), (27, 29), (56, 56), (28, 100), (100, 28)):
        save(f"tiny-{w}x{h}.png", rgb(w, h), "tiny: min_pixels branch")
    # 8K: the max_pixels branch at full scale.
    save("8k-7680x4320.jpg", rgb(7680, 4320), "8K JPEG", quality=90)
    save("8k-4320x7680.png", rgb(4320, 7680), "8K portrait PNG", compress_level=1)
    # Aspect ratios near the 200:1 limit (over it: refused by both pipelines).
    for w, h in ((2000, 10), (10, 2000), (1990, 10), (3000, 15), (2010, 10), (10, 2020), (600, 3), (4000, 21)):
        save(f"ratio-{w}x{h}.png", rgb(w, h), f"aspect ratio {max(w, h) / min(w, h):.1f}:1")
    # PIL modes.
    for i, (w, h) in enumerate(((321, 207), (640, 480), (97, 133))):
        base = content(w, h, 1000 + i)
        alpha = np.clip(np.arange(w)[None, :] * 255 // max(w - 1, 1) + np.zeros((h, 1), int), 0, 255).astype(np.uint8)
        save(f"mode-rgb-{i}.png", Image.fromarray(base), "RGB")
        save(f"mode-l-{i}.png", Image.fromarray(base[..., 0]), "L")
        save(f"mode-la-{i}.png", Image.fromarray(np.stack([base[..., 0], alpha], -1), "LA"), "LA (alpha dropped by both)")
        save(f"mode-rgba-{i}.png", Image.fromarray(np.dstack([base, alpha]), "RGBA"), "RGBA (paper: onto white)")
        save(f"mode-rgba-{i}.webp", Image.fromarray(np.dstack([base, alpha]), "RGBA"), "RGBA WebP", lossless=True)
        p = Image.fromarray(base).quantize(64)
        save(f"mode-p-trns-{i}.png", p, "P with transparency", transparency=5)
        save(f"mode-p-{i}.png", Image.fromarray(base).quantize(200), "P")
        save(f"mode-cmyk-{i}.jpg", Image.fromarray(base).convert("CMYK"), "CMYK JPEG", quality=92)
        i16 = (base[..., 0].astype(np.uint16) * 257) if i != 2 else base[..., 0].astype(np.uint16)
        save(f"mode-i16-{i}.png", Image.fromarray(i16), "I;16 (saturates under PIL)" if i != 2 else "I;16 within 0..255")
        save(f"mode-1-{i}.png", Image.fromarray(base[..., 1] > 127), "1-bit")
    # EXIF orientations.
    for o in range(1, 9):
        for w, h in ((400, 300), (300, 517)):
            save(f"exif-{o}-{w}x{h}.jpg", rgb(w, h), f"EXIF orientation {o}", quality=90, exif=_exif(o))
    # Containers.
    for i, (w, h) in enumerate(((800, 600), (1203, 901), (333, 777), (1500, 1000))):
        save(f"prog-{i}.jpg", rgb(w, h), "progressive JPEG", quality=85, progressive=True)
        save(f"base-{i}.jpg", rgb(w, h), "baseline JPEG 4:2:0", quality=75)
        save(f"webp-{i}.webp", rgb(w, h), "lossy WebP", quality=80)
        save(f"webpl-{i}.webp", rgb(w, h), "lossless WebP", lossless=True)
        g = rgb(w // 2, h // 2).quantize(128)
        save(f"gif-{i}.gif", g, "GIF")
        save(f"gif-trns-{i}.gif", g, "GIF with a transparent index", transparency=7)
        save(f"bmp-{i}.bmp", rgb(w // 2, h // 2), "BMP 24-bit")
        save(f"bmp-p-{i}.bmp", rgb(w // 3, h // 3).quantize(16), "BMP 8-bit palette")
        save(f"tiff-{i}.tif", rgb(w // 2, h // 2), "TIFF")
        save(f"tiff-lzw-{i}.tif", rgb(w // 3, h // 2), "TIFF LZW", compression="tiff_lzw")
    # Sizes spread over the range ZoomBench uses, alternating formats.
    rng = np.random.default_rng(7)
    for i in range(60):
        w, h = int(rng.integers(150, 1800)), int(rng.integers(150, 1400))
        fmt = ("png", "jpg", "webp")[i % 3]
        save(f"spread-{i}-{w}x{h}.{fmt}", rgb(w, h), "random size", **({"quality": 88} if fmt != "png" else {}))
    return items


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _processor(family: dict, protocol: str, user_max: int | None):
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    size = processor_size_for(protocol, family["min_pixels"], family["max_pixels"], user_max)
    kw = {k: v for k, v in family.items() if k not in ("min_pixels", "max_pixels")}
    return Qwen2VLImageProcessorPil(**kw, min_pixels=size["shortest_edge"], max_pixels=size["longest_edge"]), size


def expect_case(src: Path, out: Path, protocol: str, family: dict, user_max: int | None = None) -> dict:
    from transformers.image_utils import SizeDict

    try:
        image = open_paper(src) if protocol == "paper" else open_hf(src)
    except Exception as e:  # noqa: BLE001 - the error's text is the expectation
        return {"error": f"decode: {e}"}
    res: dict = {"decoded": [image.width, image.height], "decoded_sha": _sha(image.tobytes())}
    try:
        if protocol == "paper":
            image = fetch_resize(image)
            res["fetch"] = [image.width, image.height]
        proc, size = _processor(family, protocol, user_max)
        arr = np.asarray(image).transpose(2, 0, 1)
        factor = family["patch_size"] * family["merge_size"]
        resized = proc.resize(arr, size=SizeDict(**size), resample=proc.resample, factor=factor)
    except ValueError as e:
        res["error"] = f"resize: {e}"
        return res
    h, w = resized.shape[1:]
    p = family["patch_size"]
    res["resized"] = [w, h]
    res["grid_thw"] = [1, h // p, w // p]
    hwc = np.ascontiguousarray(resized.transpose(1, 2, 0))
    out.write_bytes(hwc.tobytes())
    if h * w <= FULL_PROCESSOR_PIXELS:
        full = proc(images=[image], return_tensors="np")
        pv = np.ascontiguousarray(full["pixel_values"], dtype=np.float32)
        res["pixel_values_sha"] = _sha(pv.tobytes())
        res["pixel_values_shape"] = list(pv.shape)
        res["grid_thw_processor"] = [int(x) for x in full["image_grid_thw"][0]]
    return res


def normalise_table(family: dict) -> list[list[float]]:
    """What rescale + normalise make of each byte value: the processor's arithmetic on a 1x256 image."""
    proc, _ = _processor(family, "hf", None)
    v = np.arange(256, dtype=np.uint8)[None, :].repeat(3, 0)[:, None, :]
    r = proc.rescale(v, family["rescale_factor"])
    n = proc.normalize(r, family["image_mean"], family["image_std"])
    return [[float(x) for x in n[c, 0]] for c in range(3)]


def main() -> None:
    req = json.load(sys.stdin)
    op = req["op"]
    if op == "generate":
        answer: object = generate(Path(req["dir"]))
    elif op == "expect":
        d, out = Path(req["dir"]), Path(req["out"])
        out.mkdir(parents=True, exist_ok=True)
        answer = []
        for c in req["cases"]:
            family = c.get("config") or FAMILIES[c["family"]]
            dst = out / c["out"]
            answer.append(expect_case(d / c["file"], dst, c["protocol"], family, c.get("max_pixels")))
    elif op == "smart_resize":
        answer = {"hf": [], "qwen_vl_utils": []}
        for h, w, f, lo, hi in req["cases"]:
            for key, fn in (("hf", smart_resize_hf), ("qwen_vl_utils", smart_resize_qwen_vl_utils)):
                try:
                    answer[key].append(list(fn(h, w, f, min_pixels=lo, max_pixels=hi)) if key != "hf" else list(fn(h, w, f, lo, hi)))
                except ValueError:
                    answer[key].append(None)
    elif op == "resize":
        for c in req["cases"]:
            a = np.frombuffer(Path(c["src"]).read_bytes(), np.uint8).reshape(c["h"], c["w"], 3)
            Path(c["dst"]).write_bytes(np.asarray(Image.fromarray(a).resize((c["ow"], c["oh"]), Image.BICUBIC)).tobytes())
        answer = {"ok": True}
    elif op == "normalise":
        answer = [normalise_table(FAMILIES[f]) for f in req["families"]]
    else:
        raise SystemExit(f"unknown op {op!r}")
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
