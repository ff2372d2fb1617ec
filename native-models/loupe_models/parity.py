"""Parity fixture: inputs and expected outputs the TypeScript engine is tested against.

Each item stores the image ALREADY resized to the model's input size as PNG, so that
transformers.js's processor skips its own resize (it returns the image unchanged when the
size already matches) and the test compares exactly the same pixels. The JSON holds the
question, the expected input ids, grid, a checksum of pixel_values, the prefill logits at
the last prompt token, the last-row attention of every layer and head, and the greedy answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from .infer import OrtModel, prepare, torch_infer
from .model import TinyQwen2VL
from .processor import resize_for_model
from .tokenizer import PromptEncoder

REPO = Path(__file__).resolve().parents[2]


def _repo_relative(p: Path) -> str:
    """Package path as the TypeScript tests look it up: relative to the repository when inside it."""
    p = Path(p).resolve()
    try:
        return p.relative_to(REPO).as_posix()
    except ValueError:
        return str(p)


def _round(a: np.ndarray, nd: int = 7) -> list:
    return np.round(a.astype(np.float64), nd).tolist()


def write_fixture(
    model: TinyQwen2VL, enc: PromptEncoder, package_dir: Path, out_dir: Path, items: list[tuple[str, Image.Image, str]], tol: float = 1e-4
) -> dict:
    """items: (name, image, question). Checks torch == onnxruntime within tol before writing."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ort_model = OrtModel(str(package_dir))
    records = []
    for name, image, question in items:
        resized = resize_for_model(image)
        png = f"{name}.png"
        resized.save(out_dir / png)
        inp = prepare(Image.open(out_dir / png), question, enc)
        ref = torch_infer(model, inp, enc, max_new_tokens=8)
        got = ort_model.infer(inp, enc, max_new_tokens=8)
        d_logits = float(np.abs(ref.prefill_logits - got.prefill_logits).max())
        d_attn = float(np.abs(ref.prefill_attn - got.prefill_attn).max())
        if d_logits > tol or d_attn > tol or ref.answer_ids != got.answer_ids:
            raise AssertionError(f"onnxruntime differs from PyTorch on {name}: logits {d_logits:.2e}, attention {d_attn:.2e}")
        records.append(
            {
                "name": name,
                "image": png,
                "width": resized.width,
                "height": resized.height,
                "question": question,
                "input_ids": inp.input_ids,
                "grid_thw": list(inp.grid_thw),
                "position_ids_max": int(inp.position_ids.max()),
                "pixel_values": {
                    "shape": list(inp.pixel_values.shape),
                    "sum": float(inp.pixel_values.astype(np.float64).sum()),
                    "abs_sum": float(np.abs(inp.pixel_values.astype(np.float64)).sum()),
                    "first": _round(inp.pixel_values[0, :16]),
                },
                "prefill_logits": _round(ref.prefill_logits),
                "prefill_attention": _round(ref.prefill_attn),
                "answer_ids": ref.answer_ids,
                "answer": ref.answer,
                "max_abs_diff_onnx_vs_torch": {"logits": d_logits, "attention": d_attn},
            }
        )
    fixture = {
        "format": "loupe-parity/1",
        "package": _repo_relative(package_dir),
        "tolerance": tol,
        "attention_layout": "prefill_attention[layer][head][key] = softmax weight of the last prompt token over all keys",
        "items": records,
    }
    (out_dir / "fixture.json").write_text(json.dumps(fixture))
    return fixture
