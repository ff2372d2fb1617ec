"""Re-export a bundled student package with fused attention, without retraining and without touching a weight.

The students' PyTorch checkpoints are not part of the repository; their ONNX files are. The weights are
recovered from those files: a fresh TinyQwen2VL with the package's `tiny_config` is exported once with
every parameter set to a distinct constant (parameter k -> k + 1), which shows which initializer each
parameter becomes (named ones keep their name; Linear weights are folded into transposed
`onnx::MatMul_N` initializers). The student's initializers are then loaded back into the parameters.

Two checks make this safe, both byte-level:
  1. the recovered model exported with the ORIGINAL code path (export.export_onnx) reproduces every
     initializer of the original files byte for byte (so the recovery is exact);
  2. every weight initializer of the fused export is byte-identical to one in the original files
     (`weights_identical`): same multiset of SHA-256 digests over the tensors' raw bytes.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import torch
from onnx import numpy_helper

from .export import export_onnx
from .model import TinyConfig, TinyQwen2VL

SESSIONS = ("vision_encoder.onnx", "embed_tokens.onnx", "decoder_model_merged.onnx")


def _initializers(path: Path) -> dict[str, np.ndarray]:
    import onnx

    m = onnx.load(str(path))
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def is_fused(pkg: Path) -> bool:
    """Whether the package's decoder already uses onnxruntime's fused attention (com.microsoft ops)."""
    import onnx

    m = onnx.load(str(Path(pkg) / "onnx" / "decoder_model_merged.onnx"), load_external_data=False)
    return any(n.domain == "com.microsoft" for n in m.graph.node)


def _exporter(fused: bool):
    if fused:
        from .export_fused import export_onnx_fused

        return export_onnx_fused
    return export_onnx


def _param_map(cfg: TinyConfig, fused: bool = False) -> dict[tuple[str, str], tuple[str, bool]]:
    """(session file, initializer name) -> (parameter name, transposed) for the export path that wrote the
    package (the original decomposed one, or the fused one)."""
    model = TinyQwen2VL(cfg).eval()
    names = [n for n, _ in model.named_parameters()]
    with torch.no_grad():
        for k, (_, p) in enumerate(model.named_parameters()):
            p.fill_(float(k + 1))
    out: dict[tuple[str, str], tuple[str, bool]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        _exporter(fused)(model, Path(tmp))
        for f in SESSIONS:
            for name, arr in _initializers(Path(tmp) / f).items():
                if arr.dtype != np.float32 or arr.size == 0:
                    continue
                first = float(arr.reshape(-1)[0])
                if first != round(first) or not (1 <= first <= len(names)) or not np.all(arr == first):
                    continue
                pname = names[int(first) - 1]
                pshape = tuple(dict(model.named_parameters())[pname].shape)
                if tuple(arr.shape) == pshape and not name.startswith("onnx::MatMul"):
                    out[(f, name)] = (pname, False)
                elif tuple(arr.shape) == pshape[::-1]:
                    out[(f, name)] = (pname, True)
    return out


def recover_student(pkg: Path) -> TinyQwen2VL:
    """The TinyQwen2VL whose export is the package's ONNX files (weights copied from them exactly).
    Works on decomposed (original) and fused (re-exported) packages alike."""
    pkg = Path(pkg)
    cfg = TinyConfig(**json.loads((pkg / "loupe.json").read_text())["tiny_config"])
    mapping = _param_map(cfg, fused=is_fused(pkg))
    model = TinyQwen2VL(cfg).eval()
    params = dict(model.named_parameters())
    seen: set[str] = set()
    for f in SESSIONS:
        inits = _initializers(pkg / "onnx" / f)
        for (sf, iname), (pname, transposed) in mapping.items():
            if sf != f:
                continue
            arr = inits[iname]
            value = torch.from_numpy(np.ascontiguousarray(arr.T if transposed else arr))
            with torch.no_grad():
                params[pname].copy_(value)
            seen.add(pname)
    missing = sorted(set(params) - seen)
    if missing:
        raise RuntimeError(f"{pkg}: no initializer found for parameters {missing}; cannot recover the weights exactly.")
    return model


def weight_digests(onnx_dir: Path, files=SESSIONS, min_elements: int = 2) -> list[str]:
    """Sorted SHA-256 digests of every float initializer with at least `min_elements` values."""
    digests = []
    for f in files:
        for arr in _initializers(Path(onnx_dir) / f).values():
            if arr.dtype == np.float32 and arr.size >= min_elements:
                digests.append(hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest())
    return sorted(digests)


def weights_identical(old_dir: Path, new_dir: Path) -> tuple[bool, str]:
    """Whether every weight tensor of the old export appears byte-identical in the new one, and vice versa
    (parameters only: the model's parameter digests, as the recovered model holds them)."""
    old, new = weight_digests(old_dir), weight_digests(new_dir)
    missing = [d for d in set(old) if d not in set(new)]
    return (not missing, f"{len(set(old))} distinct weight tensors in the original, {len(missing)} missing from the new export")


@torch.no_grad()
def _torch_prefill(model: TinyQwen2VL, inp, enc, dtype: torch.dtype):
    """Prefill logits [V] and last-row attention [layers, heads, L] of `model` cast to `dtype` (eager softmax)."""
    from .processor import MERGE

    model.eval()
    _, gh, gw = inp.grid_thw
    mh, mw = gh // MERGE, gw // MERGE
    rows = (torch.arange(mh * mw) // mw).to(dtype)[None]
    cols = (torch.arange(mh * mw) % mw).to(dtype)[None]
    feats = model.visual(torch.from_numpy(inp.pixel_values).to(dtype)[None], rows, cols, None)[0]
    ids = torch.tensor([inp.input_ids])
    emb = model.embed_tokens(ids)
    emb = emb.masked_scatter((ids == enc.image_pad)[..., None].expand_as(emb), feats)
    logits, _, probs = model.decode(emb, torch.ones_like(ids), torch.from_numpy(inp.position_ids)[:, None, :])
    return logits[0, -1].double().numpy(), torch.stack([p[0, :, -1, :] for p in probs]).double().numpy()


def student_parity(pkg: Path, model: TinyQwen2VL, images: list[tuple[str, object, str]]):
    """The package (onnxruntime) vs the recovered PyTorch model, float64 reference: a ParityReport."""
    import copy

    from tokenizers import Tokenizer

    from loupe_export.parity import TOLERANCES, CaseResult, ParityReport, _compare

    from .infer import OrtModel, prepare
    from .tokenizer import PromptEncoder

    enc = PromptEncoder(Tokenizer.from_file(str(Path(pkg) / "tokenizer.json")))
    ort_model = OrtModel(str(pkg))
    model64 = copy.deepcopy(model).double().eval()
    report = ParityReport("fp32", TOLERANCES["fp32"], reference="float64")
    for name, image, question in images:
        inp = prepare(image, question, enc)
        out = ort_model.infer(inp, enc, max_new_tokens=1)
        ref = _torch_prefill(model64, inp, enc, torch.float64)
        ref32 = _torch_prefill(model, inp, enc, torch.float32)
        taps = list(out.prefill_attn)
        d, rel, att, per_layer = _compare(report, name, out.prefill_logits, (ref[0], list(ref[1]), taps), (ref32[0], list(ref32[1])))
        visual = sum(1 for t in inp.input_ids if t == enc.image_pad)
        res = CaseResult(name, len(inp.input_ids), visual, d, rel, att, per_layer)
        res.argmax_equal = int(np.argmax(out.prefill_logits)) == int(np.argmax(ref[0]))
        report.cases.append(res)
    return report


def main(argv=None) -> int:
    """python -m loupe_models.reexport PACKAGE_DIR [--check-only]: re-export a student fused, in place."""
    import argparse
    import shutil
    import sys

    from PIL import Image

    from loupe_export.parity import record_parity

    p = argparse.ArgumentParser(prog="python -m loupe_models.reexport", description=main.__doc__)
    p.add_argument("package", help="a bundled student package (resources/models/loupe-tiny-*)")
    p.add_argument("--images", nargs="+", required=True, help="parity images (PNG/JPEG)")
    args = p.parse_args(argv)
    pkg = Path(args.package)
    model = recover_student(pkg)
    with tempfile.TemporaryDirectory() as tmp:
        original = Path(tmp) / "original"
        _exporter(is_fused(pkg))(model, original, write_notap=False)
        for f in SESSIONS:  # check 1: the recovery is exact
            a, b = _initializers(pkg / "onnx" / f), _initializers(original / f)
            bad = [k for k in a if k not in b or a[k].tobytes() != b[k].tobytes()]
            if bad:
                print(f"error: recovered weights do not reproduce {f}: {bad[:3]}", file=sys.stderr)
                return 1
        keep = Path(tmp) / "before"
        shutil.copytree(pkg / "onnx", keep)
        from .export_fused import export_onnx_fused

        export_onnx_fused(model, pkg / "onnx", write_notap=(pkg / "onnx" / "decoder_model_merged.notap.onnx").exists())
        ok, how = weights_identical(keep, pkg / "onnx")  # check 2: same weight bytes
        print(f"weights byte-identical: {ok} ({how})")
        if not ok:
            return 1
    images = [(Path(i).stem, Image.open(i).convert("RGB"), "What is in the picture?") for i in args.images]
    # and one image of 2,048 px (the processor scales it to the student's pixel budget)
    rng = np.random.RandomState(5)
    yy, xx = np.mgrid[0:1536, 0:2048]
    big = np.stack([xx * 255 // 2047, yy * 255 // 1535, (xx + yy) % 256], -1) + rng.randint(0, 40, size=(1536, 2048, 3))
    images.append(("synthetic-2048x1536", Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)), "What is in the picture?"))
    report = student_parity(pkg, model, images)
    record_parity(pkg, report)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
