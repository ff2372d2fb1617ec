"""Parity: package (onnxruntime) vs the PyTorch model with eager attention and output_attentions.

For each case (prompt + images) it compares
  * the last-position logits,
  * every layer's last-query attention row (package tap vs row -1 of transformers' attentions),
  * the position ids (Loupe's transformers.js-style rope index vs transformers' get_rope_index),
then one cached decoding step (package with past_key_values vs transformers on the prompt plus that
token, no cache), and the vision encoder alone on images of at least 2,048 px (several windows, edge
windows, two images in one call).

What "equal" means. PyTorch float32 is not exact either: with peaky attention it differs from a float64
computation of the same model by 2e-5 to 5e-5, so an absolute 1e-5 bound fails healthy exports. When
the model fits in memory twice over in float64, the reference is a float64 copy of it, and each
quantity passes when the package's error is within NOISE_FACTOR x PyTorch float32's own error on that
quantity (or under an absolute floor): a healthy export is as close to the exact result as PyTorch
fp32 is, a broken one (a wrong weight, rope row or window) is orders of magnitude further. Without a
float64 reference (a model too large), the float32 model is the reference with absolute tolerances.
The outcome is written into loupe.json as `parity` (record_parity); the engine warns about packages
without a passing record.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .runtime import PackageRunner, Prepared, prepare

# float64 reference: package error <= NOISE_FACTOR x PyTorch-fp32 error, or <= the floor
NOISE_FACTOR = 10.0
FLOORS = {"logits_rel": 1e-5, "attention_abs": 1e-6, "vision_rel": 1e-5}
TOLERANCES = {
    # without a float64 reference, or for fp16 packages: absolute bounds against the reference
    "fp32": {"logits_rel": 1e-4, "attention_abs": 1e-4, "vision_rel": 1e-4},
    "fp16": {"logits_rel": 2e-2, "attention_abs": 5e-3, "vision_rel": 2e-2},
}
# a float64 copy costs 8 bytes per parameter; above this the float32 model is the reference
FP64_MAX_PARAMS = int(os.environ.get("LOUPE_PARITY_FP64_MAX_PARAMS", 2_000_000_000))
RECORD_KEY = "parity"


class ParityError(AssertionError):
    pass


@dataclass
class CaseResult:
    name: str
    tokens: int
    visual_tokens: int
    logits_max_abs: float
    logits_rel: float
    attention_max_abs: float
    attention_per_layer: list[float]
    step_logits_rel: float | None = None
    step_attention_max_abs: float | None = None
    argmax_equal: bool = True


@dataclass
class ParityReport:
    dtype: str
    tolerances: dict
    cases: list[CaseResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reference: str = "float32"
    # per quantity: the package's largest error and PyTorch fp32's (float64 reference only)
    worst: dict = field(default_factory=dict)
    fp32_noise: dict = field(default_factory=dict)
    vision: list[dict] = field(default_factory=list)

    def _note(self, key: str, package_err: float, torch_err: float | None) -> None:
        self.worst[key] = max(self.worst.get(key, 0.0), package_err)
        if torch_err is not None:
            self.fp32_noise[key] = max(self.fp32_noise.get(key, 0.0), torch_err)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        rule = (
            f"package error <= {NOISE_FACTOR:g} x PyTorch fp32 error vs float64, floors {FLOORS}"
            if self.reference == "float64"
            else f"tolerances {self.tolerances} vs PyTorch {self.reference}"
        )
        lines = [f"parity ({self.dtype}; {rule})"]
        for c in self.cases:
            step = (
                f", step logits rel {c.step_logits_rel:.2e}, step attn {c.step_attention_max_abs:.2e}"
                if c.step_logits_rel is not None
                else ""
            )
            lines.append(
                f"  {c.name}: {c.tokens} tokens ({c.visual_tokens} visual): logits max|d| {c.logits_max_abs:.2e} "
                f"(rel {c.logits_rel:.2e}), attention max|d| {c.attention_max_abs:.2e}{step}"
            )
        for v in self.vision:
            lines.append(f"  vision {v['grid']}: features max|d| {v['rel']:.2e} relative (PyTorch fp32 {v['fp32_rel']:.2e})")
        for f in self.failures:
            lines.append(f"  FAIL {f}")
        return "\n".join(lines)

    def record(self) -> dict:
        """What loupe.json keeps under `parity`."""
        return {
            "passed": self.ok,
            "reference": f"PyTorch {self.reference} (transformers eager attention)",
            "rule": (
                f"each quantity's max error vs the float64 model <= {NOISE_FACTOR:g} x PyTorch float32's own error, or <= {FLOORS}"
                if self.reference == "float64"
                else f"max error vs the PyTorch {self.reference} model within {self.tolerances}"
            ),
            "package_dtype": self.dtype,
            "max_error": {k: float(v) for k, v in self.worst.items()},
            "pytorch_fp32_error": {k: float(v) for k, v in self.fp32_noise.items()},
            "cases": [
                {"name": c.name, "tokens": c.tokens, "visual_tokens": c.visual_tokens, "argmax_equal": c.argmax_equal} for c in self.cases
            ],
            "vision": [{"grid": v["grid"], "patches": v["patches"]} for v in self.vision],
            "failures": list(self.failures),
            "checked_at": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
            "tool": "native-models/export_checkpoint.py (loupe_export.parity)",
            "versions": {
                "onnxruntime": __import__("onnxruntime").__version__,
                "torch": torch.__version__,
                "transformers": __import__("transformers").__version__,
            },
        }


def record_parity(pkg: str | Path, report: ParityReport) -> dict:
    """Writes `parity` into loupe.json, keeping every other key (read-modify-write)."""
    path = Path(pkg) / "loupe.json"
    manifest = json.loads(path.read_text())
    manifest[RECORD_KEY] = report.record()
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest[RECORD_KEY]


def default_images(pkg: Path):
    """Synthetic images sized to the processor's factor (no resampling: processors agree exactly)."""
    import json

    from PIL import Image

    pre = json.loads((pkg / "preprocessor_config.json").read_text())
    f = int(pre["patch_size"]) * int(pre.get("merge_size", 2))
    rng = np.random.RandomState(7)

    def img(h, w):
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)), ((xx + yy) * 3) % 256], -1)
        noise = rng.randint(0, 40, size=(h, w, 3))
        return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))

    return img(2 * f, 3 * f), img(3 * f, 2 * f)


def default_cases(pkg: Path) -> list[tuple[str, str, list]]:
    a, b = default_images(pkg)
    return [
        ("one-image", "What colour is the small sign in the top left corner of the image?", [a]),
        ("two-images", "Which picture shows more red?", [a, b]),
        ("text-only", "Count to three.", []),
    ]


def _accepts(fn, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def reference(model, config, prep: Prepared, extra_token: int | None = None):
    """transformers forward (eager, output_attentions) -> (logits[-1], [layer attn row -1], position_ids)."""
    ids = prep.input_ids
    if extra_token is not None:
        ids = np.concatenate([ids, [[extra_token]]], axis=1)
    input_ids = torch.from_numpy(ids)
    kwargs = dict(input_ids=input_ids, attention_mask=torch.ones_like(input_ids))
    if prep.pixel_values is not None:
        kwargs["pixel_values"] = torch.from_numpy(prep.pixel_values)
        kwargs["image_grid_thw"] = torch.from_numpy(prep.image_grid_thw)
        if _accepts(model.forward, "mm_token_type_ids"):  # transformers 5 (Qwen3-VL needs it)
            kwargs["mm_token_type_ids"] = (input_ids == config.image_token_id).to(torch.int32)
    device = next(model.parameters()).device
    kwargs = {k: v.to(device) for k, v in kwargs.items()}
    if "pixel_values" in kwargs:
        kwargs["pixel_values"] = kwargs["pixel_values"].to(next(model.parameters()).dtype)
    with torch.no_grad():
        out = model(**kwargs, output_attentions=True, use_cache=False)
    # float64 arrays: a float64 reference keeps its precision, a float32 one converts exactly
    logits = out.logits[0, -1].double().cpu().numpy()
    rows = [a[0, :, -1, :].double().cpu().numpy() for a in out.attentions]
    pos = None
    if prep.pixel_values is not None:
        rope_kwargs = dict(input_ids=kwargs["input_ids"], image_grid_thw=kwargs["image_grid_thw"], attention_mask=kwargs["attention_mask"])
        if "mm_token_type_ids" in kwargs:
            rope_kwargs["mm_token_type_ids"] = kwargs["mm_token_type_ids"]
        pos = model.model.get_rope_index(**rope_kwargs)[0].cpu().numpy()
    return logits, rows, pos


def _within(report: ParityReport, key: str, err: float, torch_err: float | None) -> tuple[bool, str]:
    """Whether `err` passes for quantity `key`, and the bound it was held to (for the message)."""
    report._note(key, err, torch_err)
    if torch_err is not None:
        bound = max(NOISE_FACTOR * torch_err, FLOORS[key])
        return err <= bound, f"{bound:.1e} ({NOISE_FACTOR:g} x PyTorch fp32's {torch_err:.1e}, floor {FLOORS[key]:.0e})"
    bound = report.tolerances[key]
    return err <= bound, f"{bound:.0e}"


def _compare(report: ParityReport, name: str, logits_pkg, ref, ref32=None):
    """ref / ref32: (logits, rows) of the reference and, with a float64 reference, of PyTorch fp32."""
    logits_ref, rows_ref = ref[0], ref[1]
    taps_pkg = ref[2]
    scale = max(float(np.abs(logits_ref).max()), 1e-6)
    d = float(np.abs(logits_pkg - logits_ref).max())
    rel = d / scale
    rel32 = None if ref32 is None else float(np.abs(ref32[0] - logits_ref).max()) / scale
    ok, bound = _within(report, "logits_rel", rel, rel32)
    if not ok:
        report.failures.append(f"{name}: logits differ by {d:.3e} (relative {rel:.3e} > {bound})")
    per_layer = [float(np.abs(t - r).max()) for t, r in zip(taps_pkg, rows_ref)]
    for i, e in enumerate(per_layer):
        e32 = None if ref32 is None else float(np.abs(ref32[1][i] - rows_ref[i]).max())
        ok, bound = _within(report, "attention_abs", e, e32)
        if not ok:
            report.failures.append(f"{name}: layer {i} attention row differs by {e:.3e} > {bound}")
    att = max(per_layer) if per_layer else 0.0
    return d, rel, att, per_layer


def vision_grids(pkg: Path) -> list[list[list[int]]]:
    """Images of at least 2,048 px on their long side, in patches: one wide image, then a tall one with a
    small one (two images per call; sizes not multiples of Qwen2.5-VL's 112-px window, so edge windows are partial)."""
    pre = json.loads((Path(pkg) / "preprocessor_config.json").read_text())
    patch, merge = int(pre["patch_size"]), int(pre.get("merge_size", 2))
    long_side = -(-2048 // (patch * merge)) * merge + merge  # >= 2,048 px, in patches
    return [[[1, 4 * merge, long_side]], [[1, long_side, 3 * merge], [1, 5 * merge, 7 * merge]]]


def _vision_outputs(visual, pixels: torch.Tensor, grid: torch.Tensor) -> list[np.ndarray]:
    out = visual(pixels, grid_thw=grid)
    feats = getattr(out, "pooler_output", None)
    if feats is None:  # transformers < 5 returns the merged features (and Qwen3-VL the deepstack list)
        feats, deep = (out[0], out[1]) if isinstance(out, tuple) else (out, None)
    else:
        deep = getattr(out, "deepstack_features", None)
    arrays = [feats.double().cpu().numpy()]
    if deep is not None:
        arrays.append(torch.stack(list(deep)).double().cpu().numpy())
    return arrays


def check_vision(report: ParityReport, runner: PackageRunner, model, model64, pkg: Path) -> None:
    """The vision encoder alone on vision_grids(pkg), random pixels, vs transformers' vision tower."""
    visual = getattr(model.model, "visual", None) or model.visual
    visual64 = None if model64 is None else (getattr(model64.model, "visual", None) or model64.visual)
    dim = int(runner.sessions["vision_encoder"].get_inputs()[0].shape[1] or 0)
    rng = np.random.RandomState(11)
    for grids in vision_grids(pkg):
        g = np.asarray(grids, dtype=np.int64)
        pixels = rng.randn(int(g.prod(1).sum()), dim).astype(np.float32)
        out = runner.vision(pixels, g)
        pkg_arrays = [out["image_features"]] + ([out["deepstack_features"]] if "deepstack_features" in out else [])
        device = next(model.parameters()).device
        with torch.no_grad():
            px, gt = torch.from_numpy(pixels).to(device), torch.from_numpy(g).to(device)
            ref32 = _vision_outputs(visual, px.to(next(visual.parameters()).dtype), gt)
            ref = ref32 if visual64 is None else _vision_outputs(visual64, px.double(), gt)
        worst = worst32 = 0.0
        for a, r, r32 in zip(pkg_arrays, ref, ref32):
            scale = max(float(np.abs(r).max()), 1e-6)
            worst = max(worst, float(np.abs(a - r).max()) / scale)
            worst32 = max(worst32, float(np.abs(r32 - r).max()) / scale)
        ok, bound = _within(report, "vision_rel", worst, None if visual64 is None else worst32)
        report.vision.append({"grid": grids, "patches": int(g.prod(1).sum()), "rel": worst, "fp32_rel": worst32})
        if not ok:
            report.failures.append(f"vision {grids}: features differ by {worst:.3e} relative > {bound}")


def float64_copy(model):
    """A float64 copy of the model for the reference, or None when it would not fit comfortably."""
    n = sum(p.numel() for p in model.parameters())
    if n > FP64_MAX_PARAMS:
        return None
    return copy.deepcopy(model).to(torch.float64).eval()


def check_parity(
    pkg: str | Path,
    model,
    config,
    *,
    cases: list[tuple[str, str, list]] | None = None,
    dtype: str | None = None,
    raise_on_failure: bool = True,
    providers: list[str] | None = None,
    fp64: bool = True,
    vision: bool = True,
) -> ParityReport:
    """Compares the package with `model` (see the module docstring); `fp64=False` skips the float64 reference."""
    pkg = Path(pkg)
    runner = PackageRunner(pkg, providers=providers)
    dtype = dtype or runner.manifest["dtype"]
    if not runner.manifest.get("taps"):
        raise ParityError(f"{pkg} was exported without taps (--no-taps): nothing to compare attention with.")
    model64 = float64_copy(model) if (fp64 and dtype == "fp32") else None
    report = ParityReport(dtype, TOLERANCES[dtype], reference="float64" if model64 is not None else "float32")

    def refs(prep, extra=None):
        r32 = reference(model, config, prep, extra_token=extra)
        if model64 is None:
            return r32, None
        return reference(model64, config, prep, extra_token=extra), r32

    for name, question, images in cases or default_cases(pkg):
        prep = prepare(pkg, question, images)
        out = runner.prefill(prep)
        (logits_ref, rows_ref, pos_ref), r32 = refs(prep)
        taps = [out[f"decoder_attentions.{i}"][0, :, 0, :] for i in range(runner.layers)]
        d, rel, att, per_layer = _compare(report, name, out["logits"][0, -1], (logits_ref, rows_ref, taps), r32)
        if pos_ref is not None and not np.array_equal(pos_ref, out["position_ids"]):
            report.failures.append(f"{name}: position ids differ from transformers' get_rope_index")
        visual = int((prep.input_ids == runner.cfg["image_token_id"]).sum())
        res = CaseResult(name, prep.input_ids.shape[1], visual, d, rel, att, per_layer)
        # one cached decoding step
        token = int(np.argmax(out["logits"][0, -1]))
        res.argmax_equal = token == int(np.argmax(logits_ref))
        mask2 = np.ones((1, prep.input_ids.shape[1] + 1), dtype=np.int64)
        step = runner.step(out, mask2, token)
        (logits_ref2, rows_ref2, _), r32b = refs(prep, token)
        taps2 = [step[f"decoder_attentions.{i}"][0, :, 0, :] for i in range(runner.layers)]
        _, rel2, att2, _ = _compare(report, f"{name}+1", step["logits"][0, -1], (logits_ref2, rows_ref2, taps2), r32b)
        res.step_logits_rel, res.step_attention_max_abs = rel2, att2
        report.cases.append(res)
    if vision:
        check_vision(report, runner, model, model64, pkg)
    if raise_on_failure and not report.ok:
        raise ParityError(report.summary())
    return report
