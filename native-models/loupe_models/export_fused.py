"""The students' ONNX sessions with fused attention (same signatures and weights as export.py's).

* vision_encoder: each block's attention is onnxruntime's MultiHeadAttention over the image's merged
  tokens (one image per call, no mask: the kernel's O(N)-memory path);
* decoder_model_merged: each layer's output comes from GroupQueryAttention (causal, KV cache, grouped
  heads, rotary applied before it), and the tap `decoder_attentions.N` is computed beside it as
  softmax(q_last K^T / sqrt(d) + key mask), one row per head ([B, heads, 1, past + L]).

Outputs are declared once, in `decoder_io_names` (export.py), and returned in that order.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from loupe_export.fused_ops import MS_DOMAIN, group_query_attention, multi_head_attention

from .export import export_onnx
from .model import TinyQwen2VL, rotate_half


class FusedVisionEncoder(nn.Module):
    def __init__(self, model: TinyQwen2VL):
        super().__init__()
        self.visual = model.visual
        self.merge = model.cfg.spatial_merge_size

    def forward(self, pixel_values: torch.Tensor, grid_thw: torch.Tensor) -> torch.Tensor:
        vis = self.visual
        cfg = vis.cfg
        n = pixel_values.shape[0] // (self.merge * self.merge)
        mw = grid_thw[0, 2] // self.merge
        idx = torch.arange(n)
        rows = (idx // mw).float()[None]
        cols = (idx % mw).float()[None]
        m2 = cfg.spatial_merge_size**2
        x = vis.merge_norm(vis.embed_patches(pixel_values[None]))
        x = x.reshape(1, n, m2 * cfg.vision_patch_dim)
        x = vis.merger(x)
        cos, sin = vis.rope(rows, cols)  # [1, n, hd]
        c, s = cos.unsqueeze(2), sin.unsqueeze(2)
        for blk in vis.blocks:
            b, length, d = x.shape
            hd = d // blk.heads
            qkv = blk.qkv(blk.norm1(x)).view(b, length, 3, blk.heads, hd)
            q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]  # [1, n, heads, hd]
            q = q * c + rotate_half(q) * s
            k = k * c + rotate_half(k) * s
            out = multi_head_attention(
                q.reshape(b, length, d), k.reshape(b, length, d), v.reshape(b, length, d), blk.heads, 1.0 / math.sqrt(hd)
            )
            x = x + blk.proj(out)
            x = x + blk.mlp(blk.norm2(x))
        return vis.out_proj(vis.out_norm(x))[0]


class FusedDecoder(nn.Module):
    def __init__(self, model: TinyQwen2VL, taps: bool):
        super().__init__()
        self.model = model
        self.taps = taps

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        m = self.model
        b, length, _ = inputs_embeds.shape
        cos, sin = m.rope(position_ids)  # [B, L, hd]
        c, s = cos.unsqueeze(2), sin.unsqueeze(2)
        key_bias = torch.where(attention_mask > 0, 0.0, torch.finfo(torch.float32).min).to(torch.float32).view(b, 1, 1, -1)
        x = inputs_embeds
        presents, taps = [], []
        for i, layer in enumerate(m.layers):
            nh, nkv, hd = layer.nh, layer.nkv, layer.hd
            h = layer.input_norm(x)
            q = layer.q_proj(h).view(b, length, nh, hd)
            k = layer.k_proj(h).view(b, length, nkv, hd)
            v = layer.v_proj(h).view(b, length, nkv, hd)
            q = q * c + rotate_half(q) * s
            k = k * c + rotate_half(k) * s
            scale = 1.0 / math.sqrt(hd)
            out, pk, pv = group_query_attention(
                q.reshape(b, length, -1),
                k.reshape(b, length, -1),
                v.reshape(b, length, -1),
                past_flat[2 * i],
                past_flat[2 * i + 1],
                attention_mask,
                nh,
                nkv,
                scale,
            )
            presents += [pk, pv]
            if self.taps:
                q_last = q[:, -1].reshape(b, nkv, nh // nkv, hd)
                scores = (torch.matmul(q_last, pk.transpose(2, 3)) * scale).reshape(b, nh, 1, -1).float() + key_bias
                taps.append(torch.softmax(scores, dim=-1))
            x = x + layer.o_proj(out)
            h2 = layer.post_norm(x)
            x = x + layer.down(F.silu(layer.gate(h2)) * layer.up(h2))
        logits = m.lm_head(m.norm(x))
        return (logits, *presents, *taps)


def export_onnx_fused(model: TinyQwen2VL, onnx_dir: Path, write_notap: bool = False) -> None:
    """The package's graphs with fused attention: the same export as export.export_onnx, other modules."""
    export_onnx(model, onnx_dir, write_notap, vision_graph=FusedVisionEncoder, decoder_graph=FusedDecoder, custom_opsets={MS_DOMAIN: 1})
