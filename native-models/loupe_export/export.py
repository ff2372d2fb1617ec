"""Checkpoint folder -> Loupe model package (three ONNX sessions + configs + loupe.json)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import SCHEMA_VERSION
from .decoder import HIDDEN_STATES_OUTPUT, Decoder, EmbedTokens
from .export_memory import peak_bytes, reset_peak
from .families import FamilySpec, spec_for, text_config
from .fused_ops import MS_DOMAIN
from .unembedding import UNEMBEDDING_FILE, export_unembedding
from .vision import VisionEncoder

OPSET = 17
TWO_GB = 2 * 1024**3
# Files copied verbatim from the checkpoint when present (tokenizer, processor, chat template).
COPY_FILES = [
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "merges.txt",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.json",
    "chat_template.jinja",
    "generation_config.json",
    "preprocessor_config.json",
    "video_preprocessor_config.json",
    "processor_config.json",
]
# Text fields the engine reads at the top level of config.json (transformers.js reads them there for
# qwen2_vl / qwen2_5_vl; transformers 5 nests them under text_config). The exporter mirrors them.
TEXT_FIELDS = [
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "hidden_size",
    "vocab_size",
    "head_dim",
    "eos_token_id",
    "bos_token_id",
    "pad_token_id",
    "rms_norm_eps",
    "max_position_embeddings",
    "rope_parameters",
]


class ExportError(RuntimeError):
    pass


@dataclass
class ExportResult:
    out_dir: Path
    manifest: dict
    seconds: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    # Peak resident bytes of this process per stage (VmHWM reset before each): which graph drives the peak.
    peak_rss: dict = field(default_factory=dict)


def tap_names(num_layers: int) -> list[str]:
    return [f"decoder_attentions.{i}" for i in range(num_layers)]


def load_checkpoint(checkpoint: str | Path, dtype: str = "fp32", device: str = "cpu"):
    """Load a Qwen-VL checkpoint folder with eager attention (the reference the parity check uses)."""
    from transformers import AutoConfig, AutoModelForImageTextToText

    config = AutoConfig.from_pretrained(checkpoint)
    spec_for(config)  # fails early with a clear message for other model types
    torch_dtype = torch.float16 if dtype == "fp16" else torch.float32
    try:
        model = AutoModelForImageTextToText.from_pretrained(checkpoint, dtype=torch_dtype, attn_implementation="eager")
    except TypeError:  # transformers < 4.56 names it torch_dtype
        model = AutoModelForImageTextToText.from_pretrained(checkpoint, torch_dtype=torch_dtype, attn_implementation="eager")
    model.eval().to(device)
    return config, model


def _example_grid(vision_config) -> torch.Tensor:
    # one image of 4 x 6 patches: small, non-square, more than one window for Qwen2.5-VL's windows
    m = int(vision_config.spatial_merge_size)
    return torch.tensor([[1, 2 * m, 3 * m]], dtype=torch.int64)


def _pixel_dim(vc) -> int:
    return int(vc.in_channels) * int(vc.temporal_patch_size) * int(vc.patch_size) ** 2


def _export(module, args, path: Path, input_names, output_names, dynamic_axes):
    """torch.onnx (TorchScript exporter: no onnxscript needed) into `path`; >2 GB goes to external data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        tmp_path = Path(tmp) / path.name
        with torch.no_grad():
            torch.onnx.export(
                module,
                args,
                str(tmp_path),
                input_names=input_names,
                output_names=output_names,
                dynamic_axes=dynamic_axes,
                opset_version=OPSET,
                custom_opsets={MS_DOMAIN: 1},  # fused attention (fused_ops.py)
                do_constant_folding=True,
                dynamo=False,
            )
        _finalize_onnx(tmp_path, path)


def _finalize_onnx(src: Path, dst: Path) -> None:
    """Move the exported model to `dst`; over 2 GB, as one `<name>.onnx_data` external-data file.

    The tensors are streamed into the data file one at a time (the exporter's per-tensor files are read in
    chunks, inline initializers moved out of the proto), so a full-size decoder (7 GB at fp32) is written
    without holding a second copy of its weights in memory.
    """
    import onnx
    from onnx.external_data_helper import (
        ExternalDataInfo,
        _get_all_tensors,
        _get_initializer_tensors,
        uses_external_data,
    )

    total = sum(f.stat().st_size for f in src.parent.iterdir() if f.is_file())
    data_name = dst.name + "_data"
    for stale in (dst, dst.parent / data_name):
        if stale.exists():
            stale.unlink()
    if total < TWO_GB and not any(f.name != src.name for f in src.parent.iterdir()):
        shutil.move(str(src), str(dst))
        return
    model = onnx.load(str(src), load_external_data=False)
    offset = 0

    def place(out, tensor, length: int) -> None:
        nonlocal offset
        # (onnx's set_external_data insists on raw_data, which the exporter's external tensors do not have)
        del tensor.external_data[:]
        for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(length))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        tensor.data_location = onnx.TensorProto.EXTERNAL
        tensor.ClearField("raw_data")
        offset += length
        pad = -offset % 4096  # page-aligned offsets let onnxruntime map the weights
        out.write(b"\0" * pad)
        offset += pad

    with open(dst.parent / data_name, "wb") as out:
        for tensor in _get_all_tensors(model):  # what the exporter already wrote to its per-tensor files
            if not uses_external_data(tensor):
                continue
            info = ExternalDataInfo(tensor)
            source = src.parent / info.location
            length = info.length if info.length is not None else source.stat().st_size - (info.offset or 0)
            with open(source, "rb") as f:
                f.seek(info.offset or 0)
                left = length
                while left:
                    chunk = f.read(min(left, 64 * 1024**2))
                    if not chunk:
                        raise ExportError(f"{source}: external data ends {left} bytes early for tensor {tensor.name!r}")
                    out.write(chunk)
                    left -= len(chunk)
            place(out, tensor, length)
        for tensor in _get_initializer_tensors(model):  # large initializers still inside the proto
            if uses_external_data(tensor) or len(tensor.raw_data) < 1024:
                continue  # small ones (and attribute constants) stay in the .onnx
            out.write(tensor.raw_data)
            place(out, tensor, len(tensor.raw_data))
    onnx.save_model(model, str(dst))


def export_vision(model, config, spec: FamilySpec, out: Path, dtype: torch.dtype, device: str) -> list[str]:
    vc = config.vision_config
    visual = getattr(model.model, "visual", None) or model.visual  # transformers < 4.52 keeps it on the top model
    enc = VisionEncoder(visual, vc, spec).eval()
    grid = _example_grid(vc).to(device)
    n = int(grid.prod())
    pixels = torch.randn(n, _pixel_dim(vc), dtype=torch.float32, device=device)
    outputs = ["image_features"] + (["deepstack_features"] if spec.learned_vision_pos else [])
    axes = {"pixel_values": {0: "patches"}, spec.vision_grid_input: {0: "images"}, "image_features": {0: "tokens"}}
    if spec.learned_vision_pos:
        axes["deepstack_features"] = {1: "tokens"}

    _export(enc, (pixels, grid), out, ["pixel_values", spec.vision_grid_input], outputs, axes)
    return outputs


def export_embed(model, out: Path, device: str) -> None:
    emb = EmbedTokens(model.get_input_embeddings()).eval()
    ids = torch.tensor([[1, 2, 3]], dtype=torch.int64, device=device)
    _export(
        emb,
        (ids,),
        out,
        ["input_ids"],
        ["inputs_embeds"],
        {"input_ids": {0: "batch", 1: "sequence"}, "inputs_embeds": {0: "batch", 1: "sequence"}},
    )


def export_decoder(
    model, config, spec: FamilySpec, out: Path, dtype: torch.dtype, device: str, taps: bool, hidden_states: bool = False
) -> dict:
    dec = Decoder(model, config, spec, taps=taps, hidden_states=hidden_states).eval()
    tc = text_config(config)
    b, q, past = 1, 3, 2
    hidden = int(tc.hidden_size)
    embeds = torch.randn(b, q, hidden, dtype=dtype, device=device)
    mask = torch.ones(b, past + q, dtype=torch.int64, device=device)
    pos = torch.arange(past, past + q, dtype=torch.int64, device=device).view(1, 1, q).expand(3, b, q).contiguous()
    pkv = []
    in_names = ["inputs_embeds", "attention_mask", "position_ids"]
    axes = {
        "inputs_embeds": {0: "batch", 1: "sequence"},
        "attention_mask": {0: "batch", 1: "total_sequence"},
        "position_ids": {1: "batch", 2: "sequence"},
        "logits": {0: "batch", 1: "sequence"},
    }
    for i in range(dec.num_layers):
        for kind in ("key", "value"):
            name = f"past_key_values.{i}.{kind}"
            pkv.append(torch.randn(b, dec.num_kv, past, dec.head_dim, dtype=dtype, device=device))
            in_names.append(name)
            axes[name] = {0: "batch", 2: "past_sequence"}
    out_names = dec.output_names()
    for name in out_names:
        if name.startswith("present."):
            axes[name] = {0: "batch", 2: "total_sequence"}
        elif name.startswith("decoder_attentions."):
            axes[name] = {0: "batch", 3: "total_sequence"}
        elif name == HIDDEN_STATES_OUTPUT:
            axes[name] = {0: "batch", 1: "sequence"}
    deep = None
    if spec.deepstack_layers:
        deep = torch.randn(len(spec.deepstack_layers), b, q, hidden, dtype=dtype, device=device)
        in_names.append("deepstack_embeds")
        axes["deepstack_embeds"] = {1: "batch", 2: "sequence"}
    keep = torch.tensor(1, dtype=torch.int64, device=device)
    in_names.append("num_logits_to_keep")

    n_layers = dec.num_layers
    has_deep = deep is not None

    class _Flat(torch.nn.Module):  # flat positional signature for the tracer
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            embeds, mask, pos = args[0], args[1], args[2]
            past = list(args[3 : 3 + 2 * n_layers])
            deep_in = args[3 + 2 * n_layers] if has_deep else None
            return self.inner(embeds, mask, pos, past, deep_in, args[-1])

    args = (embeds, mask, pos, *pkv) + ((deep,) if has_deep else ()) + (keep,)
    _export(_Flat(dec), args, out, in_names, out_names, axes)
    return {"inputs": in_names, "outputs": out_names}


def _package_config(checkpoint: Path, config) -> dict:
    cfg = json.loads((checkpoint / "config.json").read_text())
    tc = text_config(config)
    text = cfg.get("text_config")
    if not isinstance(text, dict):
        text = {k: v for k, v in tc.to_dict().items()}
        cfg["text_config"] = text
    for key in TEXT_FIELDS:
        if key in text and key not in cfg:
            cfg[key] = text[key]
        elif key not in cfg and getattr(tc, key, None) is not None:
            cfg[key] = getattr(tc, key)
    for key in ("num_hidden_layers", "num_attention_heads", "num_key_value_heads", "hidden_size", "vocab_size"):
        if key not in text:
            text[key] = getattr(tc, key)
    if "eos_token_id" not in cfg:
        gen = checkpoint / "generation_config.json"
        if gen.exists():
            eos = json.loads(gen.read_text()).get("eos_token_id")
            if eos is not None:
                cfg["eos_token_id"] = eos
    return cfg


def _normalize_preprocessor(pre: dict, family: str) -> tuple[dict, list[str]]:
    """Make every processing step explicit (transformers.js skips steps whose flags are unset)."""
    filled = []
    defaults = {
        "do_resize": True,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "do_convert_rgb": True,
        "resample": 3,
        "merge_size": 2,
        "temporal_patch_size": 2,
        "patch_size": 16 if family == "qwen3_vl" else 14,
    }
    for key, value in defaults.items():
        if key not in pre:
            pre[key] = value
            filled.append(key)
    size = pre.get("size") or {}
    if "min_pixels" not in pre and "shortest_edge" in size:
        pre["min_pixels"] = size["shortest_edge"]
        filled.append("min_pixels")
    if "max_pixels" not in pre and "longest_edge" in size:
        pre["max_pixels"] = size["longest_edge"]
        filled.append("max_pixels")
    ipt = pre.get("image_processor_type", "")
    if ipt != "Qwen2VLImageProcessor":
        # transformers.js knows the slow name; the fast/PIL variants compute the same thing
        pre["image_processor_type"] = "Qwen2VLImageProcessor"
        filled.append(f"image_processor_type (was {ipt or 'unset'})")
    return pre, filled


def _copy_support_files(checkpoint: Path, out: Path, family: str) -> dict:
    copied, notes = [], {}
    for name in COPY_FILES:
        src = checkpoint / name
        if src.exists():
            shutil.copy2(src, out / name)
            copied.append(name)
    if not (out / "tokenizer.json").exists():
        raise ExportError(
            f"{checkpoint}/tokenizer.json is missing: Loupe (transformers.js) needs the fast-tokenizer file. "
            'Create it with: python -c "from transformers import AutoTokenizer; '
            f"AutoTokenizer.from_pretrained('{checkpoint}').save_pretrained('{checkpoint}')\""
        )
    if not (out / "preprocessor_config.json").exists():
        raise ExportError(f"{checkpoint}/preprocessor_config.json is missing: the image processor settings are needed.")
    pre = json.loads((out / "preprocessor_config.json").read_text())
    pre, filled = _normalize_preprocessor(pre, family)
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    if filled:
        notes["preprocessor_filled"] = filled
    # the chat template must be in tokenizer_config.json (where transformers.js reads it)
    tcfg_path = out / "tokenizer_config.json"
    tcfg = json.loads(tcfg_path.read_text()) if tcfg_path.exists() else {}
    if not tcfg.get("chat_template"):
        template = None
        if (checkpoint / "chat_template.jinja").exists():
            template = (checkpoint / "chat_template.jinja").read_text()
        elif (checkpoint / "chat_template.json").exists():
            template = json.loads((checkpoint / "chat_template.json").read_text()).get("chat_template")
        if template is None:
            raise ExportError(
                f"{checkpoint} has no chat template (tokenizer_config.json 'chat_template', chat_template.jinja "
                "or chat_template.json): Loupe builds prompts with it."
            )
        tcfg["chat_template"] = template
        tcfg_path.write_text(json.dumps(tcfg, indent=2, ensure_ascii=False) + "\n")
        notes["chat_template_from"] = "chat_template.jinja" if (checkpoint / "chat_template.jinja").exists() else "chat_template.json"
    return {"copied": copied, **notes}


def file_sizes(out: Path) -> dict:
    return {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}


def export_package(
    checkpoint: str | Path,
    out_dir: str | Path,
    *,
    dtype: str = "fp32",
    taps: bool = True,
    name: str | None = None,
    device: str = "cpu",
    model=None,
    config=None,
    notap_copy: bool = False,
    hidden_states: bool = True,
) -> ExportResult:
    """Write a Loupe package for `checkpoint` into `out_dir` (created; existing ONNX files replaced)."""
    checkpoint = Path(checkpoint)
    out = Path(out_dir)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    seconds = {}
    t0 = time.perf_counter()
    if model is None or config is None:
        config, model = load_checkpoint(checkpoint, dtype=dtype, device=device)
    spec = spec_for(config)
    seconds["load"] = time.perf_counter() - t0
    torch_dtype = torch.float16 if dtype == "fp16" else torch.float32
    model = model.to(torch_dtype)

    peak_rss = {"load": peak_bytes()}

    def stage(name: str, run):
        reset_peak()
        t = time.perf_counter()
        value = run()
        seconds[name] = time.perf_counter() - t
        peak_rss[name] = peak_bytes()
        return value

    vision_outputs = stage(
        "vision_encoder", lambda: export_vision(model, config, spec, out / "onnx" / "vision_encoder.onnx", torch_dtype, device)
    )
    stage("embed_tokens", lambda: export_embed(model, out / "onnx" / "embed_tokens.onnx", device))
    decoder_path = out / "onnx" / "decoder_model_merged.onnx"
    io = stage(
        "decoder_model_merged",
        lambda: export_decoder(model, config, spec, decoder_path, torch_dtype, device, taps, hidden_states),
    )
    if hidden_states:
        stage("lm_head", lambda: export_unembedding(model, out / "onnx" / UNEMBEDDING_FILE))
    if notap_copy and taps:
        # the same decoder without taps, for testing `loupe tap` against the native taps
        export_decoder(model, config, spec, out / "onnx" / "decoder_model_merged.notap.onnx", torch_dtype, device, False)

    (out / "config.json").write_text(json.dumps(_package_config(checkpoint, config), indent=2) + "\n")
    support = _copy_support_files(checkpoint, out, spec.family)
    tc = text_config(config)
    n_layers = int(tc.num_hidden_layers)
    float_name = "float16" if dtype == "fp16" else "float32"
    manifest = {
        "schema": SCHEMA_VERSION,
        "name": name or checkpoint.resolve().name,
        "family": spec.family,
        "layers": n_layers,
        "heads": int(tc.num_attention_heads),
        "kv_heads": int(tc.num_key_value_heads),
        "head_dim": int(getattr(tc, "head_dim", None) or tc.hidden_size // tc.num_attention_heads),
        "hidden_size": int(tc.hidden_size),
        "vocab_size": int(tc.vocab_size),
        "dtype": dtype,
        "taps": tap_names(n_layers) if taps else [],
        "tap_kind": "last_query_row" if taps else None,
        "source": {
            "checkpoint": str(checkpoint.resolve()),
            "architectures": list(getattr(config, "architectures", None) or []),
            "transformers": __import__("transformers").__version__,
            "torch": torch.__version__,
        },
        "sessions": {
            "vision_encoder": {
                "file": "onnx/vision_encoder.onnx",
                "inputs": {"pixel_values": "float32", spec.vision_grid_input: "int64"},
                "outputs": {o: float_name for o in vision_outputs},
            },
            "embed_tokens": {
                "file": "onnx/embed_tokens.onnx",
                "inputs": {"input_ids": "int64"},
                "outputs": {"inputs_embeds": float_name},
            },
            "decoder_model_merged": {
                "file": "onnx/decoder_model_merged.onnx",
                "inputs": {
                    n: ("int64" if n in ("attention_mask", "position_ids", "num_logits_to_keep") else float_name) for n in io["inputs"]
                },
                "outputs": {
                    n: ("float32" if (n in ("logits", HIDDEN_STATES_OUTPUT) or n.startswith("decoder_attentions")) else float_name)
                    for n in io["outputs"]
                },
            },
        },
        "export": {"opset": OPSET, **support},
        "files": {
            **({"decoder_without_taps": "onnx/decoder_model_merged.notap.onnx"} if (notap_copy and taps) else {}),
            **({"unembedding": f"onnx/{UNEMBEDDING_FILE}"} if hidden_states else {}),
        },
    }
    if spec.deepstack_layers:
        manifest["deepstack"] = {
            "vision_output": "deepstack_features",
            "decoder_input": "deepstack_embeds",
            "decoder_layers": spec.deepstack_layers,
            "vision_layers": [int(i) for i in config.vision_config.deepstack_visual_indexes],
        }
    (out / "loupe.json").write_text(json.dumps(manifest, indent=2) + "\n")
    seconds["total"] = time.perf_counter() - t0
    return ExportResult(out, manifest, seconds, file_sizes(out), peak_rss)
