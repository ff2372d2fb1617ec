"""Export-friendly text decoder with KV cache and last-query attention taps.

The checkpoint's own modules do the per-token work (norms, projections, MLPs, lm_head); attention is
written out here as MatMul -> Softmax -> MatMul so that

* every layer's softmax is one ONNX Softmax node (what `loupe tap` looks for in other exports), and
* `decoder_attentions.N` is that softmax's LAST query row: [batch, heads, 1, past + L]. Only that row
  leaves the graph, so the outputs grow linearly with the sequence (HF's output_attentions returns
  every layer's full [heads, L, L] matrix).

Multimodal RoPE is computed from `position_ids` [3, B, L] by reading, for each rotary frequency, the
row (T, H or W) that transformers' rotary embedding would read (chunked for Qwen2/2.5-VL, interleaved
for Qwen3-VL). The product position * inv_freq is the same float32 product transformers computes.
"""

from __future__ import annotations

import torch
from torch import nn

from .families import FamilySpec, mrope_source_rows, text_config


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class EmbedTokens(nn.Module):
    def __init__(self, embed: nn.Embedding):
        super().__init__()
        self.embed = embed

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed(input_ids)


class Decoder(nn.Module):
    """inputs_embeds, attention_mask, position_ids, past_key_values.* [, deepstack_embeds]
    -> logits, present.*, decoder_attentions.* (when taps)."""

    def __init__(self, hf_model: nn.Module, config, spec: FamilySpec, taps: bool = True):
        super().__init__()
        inner = hf_model.model
        # transformers >= 4.52: model.model.language_model; older: model.model is the text model
        self.lm = getattr(inner, "language_model", inner)
        self.lm_head = hf_model.lm_head
        self.spec = spec
        self.taps = taps
        tc = text_config(config)
        self.num_layers = int(tc.num_hidden_layers)
        self.num_heads = int(tc.num_attention_heads)
        self.num_kv = int(tc.num_key_value_heads)
        self.head_dim = int(getattr(tc, "head_dim", None) or tc.hidden_size // tc.num_attention_heads)
        self.scaling = self.head_dim**-0.5
        rotary = self.lm.rotary_emb
        self.register_buffer("inv_freq", rotary.inv_freq.detach().float().clone(), persistent=False)
        self.attention_scaling = float(getattr(rotary, "attention_scaling", 1.0))
        self.register_buffer(
            "rope_rows",
            torch.tensor(mrope_source_rows(config, spec), dtype=torch.int64, device=rotary.inv_freq.device),
            persistent=False,
        )

    def _rope(self, position_ids: torch.Tensor, dtype):
        # position_ids [3, B, L] -> per-frequency positions [B, L, D/2]
        pos = position_ids.index_select(0, self.rope_rows)  # [D/2, B, L]
        pos = pos.permute(1, 2, 0).to(torch.float32)
        freqs = pos * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = emb.cos() * self.attention_scaling
        sin = emb.sin() * self.attention_scaling
        return cos.to(dtype).unsqueeze(1), sin.to(dtype).unsqueeze(1)  # [B, 1, L, D]

    def forward(self, inputs_embeds, attention_mask, position_ids, past_flat, deepstack_embeds=None, num_logits_to_keep=None):
        bsz, q_len, _ = inputs_embeds.shape
        dtype = inputs_embeds.dtype
        total = attention_mask.shape[1]
        past_len = total - q_len
        cos, sin = self._rope(position_ids, dtype)

        # additive mask [B, 1, L, T]: key j visible to query i iff j <= past + i and attention_mask[j] == 1
        kpos = torch.arange(total, dtype=torch.int64, device=inputs_embeds.device)
        qpos = torch.arange(q_len, dtype=torch.int64, device=inputs_embeds.device) + past_len
        causal = kpos.unsqueeze(0) <= qpos.unsqueeze(1)
        allowed = causal.unsqueeze(0).unsqueeze(0) & (attention_mask.unsqueeze(1).unsqueeze(2) > 0)
        neg = torch.finfo(dtype).min
        mask = torch.where(allowed, torch.zeros((), dtype=dtype), torch.full((), neg, dtype=dtype))

        hidden = inputs_embeds
        presents = []
        taps = []
        groups = self.num_heads // self.num_kv
        for i, layer in enumerate(self.lm.layers):
            attn = layer.self_attn
            residual = hidden
            x = layer.input_layernorm(hidden)
            q = attn.q_proj(x).view(bsz, q_len, self.num_heads, self.head_dim)
            k = attn.k_proj(x).view(bsz, q_len, self.num_kv, self.head_dim)
            v = attn.v_proj(x).view(bsz, q_len, self.num_kv, self.head_dim)
            if self.spec.qk_norm:
                q = attn.q_norm(q)
                k = attn.k_norm(k)
            q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
            q = (q * cos) + (_rotate_half(q) * sin)
            k = (k * cos) + (_rotate_half(k) * sin)
            k = torch.cat([past_flat[2 * i], k], dim=2)
            v = torch.cat([past_flat[2 * i + 1], v], dim=2)
            presents += [k, v]
            if groups > 1:
                kr = (
                    k.unsqueeze(2).expand(bsz, self.num_kv, groups, total, self.head_dim).reshape(bsz, self.num_heads, total, self.head_dim)
                )
                vr = (
                    v.unsqueeze(2).expand(bsz, self.num_kv, groups, total, self.head_dim).reshape(bsz, self.num_heads, total, self.head_dim)
                )
            else:
                kr, vr = k, v
            scores = torch.matmul(q, kr.transpose(2, 3)) * self.scaling + mask
            probs = torch.softmax(scores.float(), dim=-1)
            if self.taps:
                taps.append(probs[:, :, -1:, :])
            out = torch.matmul(probs.to(dtype), vr).transpose(1, 2).reshape(bsz, q_len, -1)
            hidden = residual + attn.o_proj(out)
            residual = hidden
            hidden = residual + layer.mlp(layer.post_attention_layernorm(hidden))
            if deepstack_embeds is not None and i in self.spec.deepstack_layers:
                hidden = hidden + deepstack_embeds[i].to(dtype)
        hidden = self.lm.norm(hidden)
        if num_logits_to_keep is not None:
            # transformers.js's num_logits_to_keep: logits of the last n positions only (0 = all). A prompt
            # of 2,000 tokens with a 152k vocabulary would otherwise return 1.2 GB of float32 logits.
            n = num_logits_to_keep.to(torch.int64)
            length = torch.ones_like(n) * hidden.shape[1]
            keep = torch.where(n > 0, torch.minimum(n, length), length)
            idx = torch.arange(hidden.shape[1], device=hidden.device, dtype=torch.int64)
            hidden = hidden.index_select(1, idx[idx >= hidden.shape[1] - keep])
        logits = self.lm_head(hidden).float()
        return (logits, *presents, *taps)
