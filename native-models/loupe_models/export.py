"""Export a TinyQwen2VL to a Loupe model package (transformers.js's Qwen2-VL session layout).

Sessions:
  onnx/vision_encoder.onnx        pixel_values [N, 1176], grid_thw [1, 3] -> image_features [N/4, H]
  onnx/embed_tokens.onnx          input_ids [B, L] -> inputs_embeds [B, L, H]
  onnx/decoder_model_merged.onnx  inputs_embeds, attention_mask, position_ids [3, B, L], past_key_values.N.key/value
                                  -> logits, present.N.key/value, decoder_attentions.N [B, heads, 1, P+L]
`decoder_attentions.N` is the softmaxed attention of the LAST query position of the call, so memory
stays linear in sequence length. `--no-taps` writes `decoder_model_merged.notap.onnx` (same weights,
no tap outputs) for the tap-overhead benchmark and the `loupe tap` tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .model import TinyConfig, TinyQwen2VL
from .processor import FACTOR, IMAGE_MEAN, IMAGE_STD, MAX_PIXELS, MERGE, MIN_PIXELS, PATCH, TEMPORAL
from .tokenizer import PromptEncoder, write_tokenizer_files

OPSET = 17


class VisionEncoderWrapper(nn.Module):
    def __init__(self, model: TinyQwen2VL):
        super().__init__()
        self.visual = model.visual
        self.merge = model.cfg.spatial_merge_size

    def forward(self, pixel_values: torch.Tensor, grid_thw: torch.Tensor) -> torch.Tensor:
        n = pixel_values.shape[0] // (self.merge * self.merge)
        mw = grid_thw[0, 2] // self.merge
        idx = torch.arange(n)
        rows = (idx // mw).float()[None]
        cols = (idx % mw).float()[None]
        return self.visual(pixel_values[None], rows, cols, None)[0]


class EmbedWrapper(nn.Module):
    def __init__(self, model: TinyQwen2VL):
        super().__init__()
        self.embed = model.embed_tokens

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed(input_ids)


class DecoderWrapper(nn.Module):
    def __init__(self, model: TinyQwen2VL, taps: bool):
        super().__init__()
        self.model = model
        self.taps = taps

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents, probs = self.model.decode(inputs_embeds, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        if self.taps:
            out += [p[:, :, -1:, :] for p in probs]
        return tuple(out)


def decoder_io_names(n_layers: int, taps: bool) -> tuple[list[str], list[str]]:
    inputs = ["inputs_embeds", "attention_mask", "position_ids"]
    outputs = ["logits"]
    for i in range(n_layers):
        inputs += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outputs += [f"present.{i}.key", f"present.{i}.value"]
    if taps:
        outputs += [f"decoder_attentions.{i}" for i in range(n_layers)]
    return inputs, outputs


def export_onnx(
    model: TinyQwen2VL,
    onnx_dir: Path,
    write_notap: bool = False,
    vision_graph=None,
    decoder_graph=None,
    custom_opsets: dict[str, int] | None = None,
) -> None:
    """The three graphs of a package. vision_graph(model) and decoder_graph(model, taps) build the modules
    to trace (default: the decomposed wrappers; export_fused.py passes its fused ones and their opset)."""
    vision_graph = vision_graph or VisionEncoderWrapper
    decoder_graph = decoder_graph or DecoderWrapper
    onnx_dir = Path(onnx_dir)
    onnx_dir.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    cfg = model.cfg
    with torch.no_grad():
        pv = torch.randn(16, cfg.patch_input_dim)
        grid = torch.tensor([[1, 4, 4]], dtype=torch.int64)
        torch.onnx.export(
            vision_graph(model),
            (pv, grid),
            str(onnx_dir / "vision_encoder.onnx"),
            input_names=["pixel_values", "grid_thw"],
            output_names=["image_features"],
            dynamic_axes={"pixel_values": {0: "num_patches"}, "image_features": {0: "num_image_tokens"}},
            opset_version=OPSET,
            custom_opsets=custom_opsets,
            dynamo=False,
        )
        ids = torch.zeros(1, 5, dtype=torch.int64)
        torch.onnx.export(
            EmbedWrapper(model),
            (ids,),
            str(onnx_dir / "embed_tokens.onnx"),
            input_names=["input_ids"],
            output_names=["inputs_embeds"],
            dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
            opset_version=OPSET,
            dynamo=False,
        )
        variants = [(True, "decoder_model_merged.onnx")] + ([(False, "decoder_model_merged.notap.onnx")] if write_notap else [])
        for taps, fname in variants:
            b, l, p = 1, 4, 3
            emb = torch.randn(b, l, cfg.hidden_size)
            mask = torch.ones(b, p + l, dtype=torch.int64)
            pos = torch.arange(p, p + l).view(1, 1, l).expand(3, b, l).contiguous()
            past = []
            for _ in range(cfg.num_hidden_layers):
                past += [torch.randn(b, cfg.num_key_value_heads, p, cfg.head_dim), torch.randn(b, cfg.num_key_value_heads, p, cfg.head_dim)]
            in_names, out_names = decoder_io_names(cfg.num_hidden_layers, taps)
            dyn = {
                "inputs_embeds": {0: "batch_size", 1: "sequence_length"},
                "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
                "position_ids": {1: "batch_size", 2: "sequence_length"},
                "logits": {0: "batch_size", 1: "sequence_length"},
            }
            for i in range(cfg.num_hidden_layers):
                for kind in ("key", "value"):
                    dyn[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
                    dyn[f"present.{i}.{kind}"] = {0: "batch_size", 2: "total_sequence_length"}
                if taps:
                    dyn[f"decoder_attentions.{i}"] = {0: "batch_size", 3: "total_sequence_length"}
            torch.onnx.export(
                decoder_graph(model, taps),
                (emb, mask, pos, *past),
                str(onnx_dir / fname),
                input_names=in_names,
                output_names=out_names,
                dynamic_axes=dyn,
                opset_version=OPSET,
                custom_opsets=custom_opsets,
                dynamo=False,
            )


def write_configs(cfg: TinyConfig, enc: PromptEncoder, out_dir: Path) -> None:
    ids = {
        "image_token_id": enc.image_pad,
        "video_token_id": enc.tok.token_to_id("<|video_pad|>"),
        "vision_start_token_id": enc.vision_start,
        "vision_end_token_id": enc.vision_end,
        "vision_token_id": enc.tok.token_to_id("<|vision_pad|>"),
    }
    config = {
        "architectures": ["Qwen2VLForConditionalGeneration"],
        "model_type": "qwen2_vl",
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": 4096,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": {"type": "mrope", "mrope_section": cfg.mrope_section},
        "tie_word_embeddings": True,
        "bos_token_id": enc.endoftext,
        "eos_token_id": enc.im_end,
        "pad_token_id": enc.endoftext,
        **ids,
        "torch_dtype": "float32",
        "vision_config": {
            "depth": cfg.vision_depth,
            "embed_dim": cfg.vision_patch_dim,
            "hidden_size": cfg.hidden_size,
            "num_heads": cfg.vision_heads,
            "in_chans": cfg.in_channels,
            "patch_size": cfg.patch_size,
            "spatial_merge_size": cfg.spatial_merge_size,
            "temporal_patch_size": cfg.temporal_patch_size,
        },
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2))
    pre = {
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": "Qwen2VLProcessor",
        "do_convert_rgb": True,
        "do_resize": True,
        "resample": 3,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": list(IMAGE_MEAN),
        "image_std": list(IMAGE_STD),
        "min_pixels": MIN_PIXELS,
        "max_pixels": MAX_PIXELS,
        "size": {"shortest_edge": MIN_PIXELS, "longest_edge": MAX_PIXELS},
        "patch_size": PATCH,
        "merge_size": MERGE,
        "temporal_patch_size": TEMPORAL,
    }
    (out_dir / "preprocessor_config.json").write_text(json.dumps(pre, indent=2))
    gen = {
        "bos_token_id": enc.endoftext,
        "eos_token_id": [enc.im_end, enc.endoftext],
        "pad_token_id": enc.endoftext,
        "do_sample": False,
        "max_new_tokens": 16,
    }
    (out_dir / "generation_config.json").write_text(json.dumps(gen, indent=2))
    write_tokenizer_files(enc.tok, out_dir)


def write_package(
    model: TinyQwen2VL, enc: PromptEncoder, out_dir: Path, manifest: dict, write_notap: bool = True, fused: bool = True
) -> None:
    """fused (default): onnxruntime's fused attention with separate last-row taps (export_fused.py), whose
    memory is linear in the prompt and the image; fused=False: the original MatMul -> Softmax -> MatMul graphs."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_configs(model.cfg, enc, out_dir)
    if fused:
        from .export_fused import export_onnx_fused

        export_onnx_fused(model, out_dir / "onnx", write_notap=write_notap)
    else:
        export_onnx(model, out_dir / "onnx", write_notap=write_notap)
    cfg = model.cfg
    base = {
        "format": "loupe-model/1",
        "family": "qwen2_vl",
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "hidden_size": cfg.hidden_size,
        "token_px": FACTOR,
        "attention_taps": [f"decoder_attentions.{i}" for i in range(cfg.num_hidden_layers)],
        "tap_semantics": "softmax attention of the last query position of each decoder call, [batch, heads, 1, total_length]",
        "sessions": {
            "vision_encoder": "onnx/vision_encoder.onnx",
            "embed_tokens": "onnx/embed_tokens.onnx",
            "decoder_model_merged": "onnx/decoder_model_merged.onnx",
        },
        "notap_decoder": "onnx/decoder_model_merged.notap.onnx" if write_notap else None,
        "tiny_config": cfg.to_dict(),
    }
    base.update(manifest)
    (out_dir / "loupe.json").write_text(json.dumps(base, indent=2))


def save_checkpoint(model: TinyQwen2VL, path: Path) -> None:
    torch.save({"config": model.cfg.to_dict(), "state": model.state_dict()}, path)


def load_checkpoint(path: Path) -> TinyQwen2VL:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model = TinyQwen2VL(TinyConfig(**ck["config"]))
    model.load_state_dict(ck["state"])
    return model.eval()


def numpy_f32(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().numpy().astype(np.float32)
