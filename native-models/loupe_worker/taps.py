"""Attention taps through transformers' AttentionInterface, without O(S^2) memory.

`loupe_tap` is registered as an attention implementation: every layer computes its output with SDPA
exactly as the `sdpa` implementation does, and decoder layers listed in a `TapCollector` also compute
the softmaxed attention of the LAST query position over all keys, per head ([heads, keys], float32).
That row costs heads x keys floats per layer, where `output_attentions=True` (eager) would materialise
heads x queries x keys per layer. Modules not in the collector (the vision tower) are untouched.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface, sdpa_mask

IMPLEMENTATION = "loupe_tap"


class TapCollector:
    """Which attention modules are decoder layers (id -> layer index) and the rows of the current call."""

    def __init__(self) -> None:
        self.layer_of: dict[int, int] = {}
        self.rows: dict[int, torch.Tensor] = {}
        self.enabled = True

    def watch(self, modules: list[torch.nn.Module]) -> None:
        self.layer_of = {id(m): i for i, m in enumerate(modules)}

    def take(self, num_layers: int) -> list[torch.Tensor]:
        """The rows of the call that just ran, layer by layer; cleared for the next call."""
        missing = [i for i in range(num_layers) if i not in self.rows]
        if missing:
            raise RuntimeError(
                f"attention taps missing for decoder layers {missing}: the model did not route them through {IMPLEMENTATION}"
            )
        rows = [self.rows[i] for i in range(num_layers)]
        self.rows = {}
        return rows


COLLECTOR = TapCollector()


def last_query_row(module, query, key, attention_mask, scaling) -> torch.Tensor:
    """softmax(q_last . K^T * scaling + mask_last) in float32, as eager attention computes it: [B, heads, keys]."""
    groups = getattr(module, "num_key_value_groups", 1)
    k = repeat_kv(key, groups) if groups > 1 else key
    q = query[:, :, -1:, :].float()
    scores = torch.matmul(q, k.float().transpose(2, 3)) * scaling
    if attention_mask is not None:
        mask = attention_mask[:, :, -1:, : k.shape[-2]]
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.float()
    softcap = getattr(module, "attn_logit_softcapping", None) or getattr(getattr(module, "config", None), "attn_logit_softcapping", None)
    if softcap:
        scores = torch.tanh(scores / softcap) * softcap
    return torch.softmax(scores, dim=-1)[:, :, 0, :]


def loupe_tap_attention(module, query, key, value, attention_mask, dropout=0.0, scaling=None, **kwargs):
    layer = COLLECTOR.layer_of.get(id(module))
    if layer is not None and COLLECTOR.enabled:
        scale = scaling if scaling is not None else query.shape[-1] ** -0.5
        COLLECTOR.rows[layer] = last_query_row(module, query, key, attention_mask, scale)[0].detach()
    return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)


def register() -> str:
    """Registers `loupe_tap` (attention and its mask, the same as sdpa's) once; returns its name."""
    if IMPLEMENTATION not in ALL_MASK_ATTENTION_FUNCTIONS._global_mapping:
        AttentionInterface.register(IMPLEMENTATION, loupe_tap_attention)
        AttentionMaskInterface.register(IMPLEMENTATION, sdpa_mask)
    return IMPLEMENTATION
