"""Export-friendly text decoder with KV cache and last-query attention taps.

The checkpoint's own modules do the per-token work (norms, projections, MLPs, lm_head). Attention is
written out here in two parts:

* the layer's output comes from onnxruntime's fused GroupQueryAttention (fused_ops.py), which never
  holds a [heads, S, S] score matrix, so a prefill of S tokens costs O(S) memory beyond the weights;
* the tap `decoder_attentions.N` is computed beside it as softmax(q_last K^T / sqrt(d) + mask) over
  all keys (past + new): one row per head, [batch, heads, 1, past + L], O(S). HF's
  output_attentions returns every layer's full [heads, L, L] matrix instead.

Multimodal RoPE is computed from `position_ids` [3, B, L] by reading, for each rotary frequency, the
row (T, H or W) that transformers' rotary embedding would read (chunked for Qwen2/2.5-VL, interleaved
for Qwen3-VL). The product position * inv_freq is the same float32 product transformers computes.

The graph's outputs are declared in one place, `Decoder.output_names` (forward returns them in that
order): add a new output there and in `_outputs`.
"""

from __future__ import annotations

import torch
from torch import nn

from .families import FamilySpec, mrope_source_rows, text_config
from .fused_ops import group_query_attention
from .rope import rotate_half

HIDDEN_STATES_OUTPUT = "decoder_hidden_states"


class EmbedTokens(nn.Module):
    def __init__(self, embed: nn.Embedding):
        super().__init__()
        self.embed = embed

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embed(input_ids)


class Decoder(nn.Module):
    """inputs_embeds, attention_mask, position_ids, past_key_values.* [, deepstack_embeds]
    -> logits, present.*, decoder_attentions.* (when taps)."""

    def __init__(self, hf_model: nn.Module, config, spec: FamilySpec, taps: bool = True, hidden_states: bool = False):
        super().__init__()
        # decoder_hidden_states: the final normalised hidden states of every position, float32 (activation
        # maps; the same output `loupe tap --hidden-states` adds to a package exported without it).
        self.hidden_states = hidden_states
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

    def output_names(self) -> list[str]:
        """Every graph output, in the order forward returns them (the one place outputs are declared)."""
        names = ["logits"]
        for i in range(self.num_layers):
            names += [f"present.{i}.key", f"present.{i}.value"]
        if self.taps:
            names += [f"decoder_attentions.{i}" for i in range(self.num_layers)]
        if self.hidden_states:
            names.append(HIDDEN_STATES_OUTPUT)
        return names

    def _last_row_tap(self, q: torch.Tensor, k: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        """softmax(q_last K^T * scale + key_bias) per head: [B, heads, 1, T] float32.

        q [B, L, heads, d] (rotated), k [B, kv, T, d] (present keys). The query heads are grouped per
        kv head ([B, kv, groups, d] x [B, kv, d, T]) so K is never repeated. The last query sits at
        position T - 1, so causality hides nothing from it; `key_bias` [B, 1, 1, T] hides padding.
        """
        bsz = q.shape[0]
        groups = self.num_heads // self.num_kv
        q_last = q[:, -1, :, :].reshape(bsz, self.num_kv, groups, self.head_dim)
        scores = torch.matmul(q_last, k.transpose(2, 3)) * self.scaling  # [B, kv, groups, T]
        scores = scores.reshape(bsz, self.num_heads, 1, -1).float() + key_bias
        return torch.softmax(scores, dim=-1)

    def forward(self, inputs_embeds, attention_mask, position_ids, past_flat, deepstack_embeds=None, num_logits_to_keep=None):
        bsz, q_len, _ = inputs_embeds.shape
        dtype = inputs_embeds.dtype
        cos, sin = self._rope(position_ids, dtype)  # [B, 1, L, D]
        cos, sin = cos.transpose(1, 2), sin.transpose(1, 2)  # [B, L, 1, D]: broadcast over heads in [B, L, heads, D]
        # the tap's additive key mask [B, 1, 1, T] (0 where attention_mask is 1): O(T), not O(L x T)
        neg = torch.finfo(torch.float32).min
        key_bias = torch.where(attention_mask > 0, 0.0, neg).to(torch.float32).view(bsz, 1, 1, -1)

        hidden = inputs_embeds
        presents = []
        taps = []
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
            q = (q * cos) + (rotate_half(q) * sin)
            k = (k * cos) + (rotate_half(k) * sin)
            out, present_k, present_v = group_query_attention(
                q.reshape(bsz, q_len, -1),
                k.reshape(bsz, q_len, -1),
                v.reshape(bsz, q_len, -1),
                past_flat[2 * i],
                past_flat[2 * i + 1],
                attention_mask,
                self.num_heads,
                self.num_kv,
                self.scaling,
            )
            presents += [present_k, present_v]
            if self.taps:
                taps.append(self._last_row_tap(q, present_k, key_bias))
            hidden = residual + attn.o_proj(out)
            residual = hidden
            hidden = residual + layer.mlp(layer.post_attention_layernorm(hidden))
            if deepstack_embeds is not None and i in self.spec.deepstack_layers:
                hidden = hidden + deepstack_embeds[i].to(dtype)
        hidden = self.lm.norm(hidden)
        final = hidden.float() if self.hidden_states else None  # every position, before the logits' selection
        if num_logits_to_keep is not None:
            # transformers.js's num_logits_to_keep: logits of the last n positions only (0 = all). A prompt
            # of 2,000 tokens with a 152k vocabulary would otherwise return 1.2 GB of float32 logits.
            n = num_logits_to_keep.to(torch.int64)
            length = torch.ones_like(n) * hidden.shape[1]
            keep = torch.where(n > 0, torch.minimum(n, length), length)
            idx = torch.arange(hidden.shape[1], device=hidden.device, dtype=torch.int64)
            hidden = hidden.index_select(1, idx[idx >= hidden.shape[1] - keep])
        logits = self.lm_head(hidden).float()
        return self._outputs(logits, presents, taps, final)

    def _outputs(self, logits, presents, taps, final=None) -> tuple:
        """The tensors named by `output_names`, in that order."""
        return (logits, *presents, *(taps if self.taps else []), *((final,) if self.hidden_states else ()))
