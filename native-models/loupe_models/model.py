"""A tiny Qwen2-VL-shaped vision-language model.

It keeps the parts of Qwen2-VL that matter to Loupe's engine: the processor's flattened
patch layout (temporal patch 2, patch 14, 2x2 merge), image features that replace the
`<|image_pad|>` embeddings, a decoder with grouped-query attention and multimodal rotary
position embeddings (M-RoPE, three position rows t/h/w), and greedy generation. It drops
what a 2-core CPU cannot train: the vision tower merges the 2x2 patch groups first and
then runs two small transformer blocks over the merged tokens with 2-D rotary positions.

`forward_train` handles padded batches; the export wrappers in `export.py` reuse the same
modules with the transformers.js session signatures.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

# Training uses PyTorch's fused attention (a full-image forward + backward pass of 16 samples: 1.4 s
# -> 0.8 s on two CPU cores, with single-frame patches), and so does batched generation that wants
# only the answers (`fused=True`); export and other inference keep the explicit softmax, whose
# probabilities are the exported attention taps.
_FUSED = hasattr(F, "scaled_dot_product_attention")


@dataclass
class TinyConfig:
    vocab_size: int = 512
    hidden_size: int = 128
    intermediate_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    rope_theta: float = 10000.0
    # head_dim 32 -> 16 rotary frequencies split over (t, h, w) like Qwen2-VL's [16, 24, 24] for 128.
    mrope_section: list[int] = field(default_factory=lambda: [4, 6, 6])
    rms_norm_eps: float = 1e-6
    # vision
    patch_size: int = 14
    temporal_patch_size: int = 2
    in_channels: int = 3
    spatial_merge_size: int = 2
    vision_patch_dim: int = 64
    vision_hidden: int = 128
    vision_depth: int = 2
    vision_heads: int = 4

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @property
    def patch_input_dim(self) -> int:
        return self.in_channels * self.temporal_patch_size * self.patch_size * self.patch_size

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


# ----------------------------------------------------------------------------- vision


class VisionBlock(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.heads = heads

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, key_mask: torch.Tensor | None, fused: bool = False):
        # x [B, N, D]; cos/sin [B, N, hd]; key_mask [B, N] bool (True = real token) or None
        b, n, d = x.shape
        hd = d // self.heads
        qkv = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        c, s = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * c + rotate_half(q) * s
        k = k * c + rotate_half(k) * s
        if (self.training or fused) and _FUSED:
            # no mask where no row is padded (a batch of same-size images): the kernel then skips it
            mask = key_mask[:, None, None, :] if key_mask is not None and not bool(key_mask.all()) else None
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)
            if key_mask is not None:
                scores = scores.masked_fill(~key_mask[:, None, None, :], -1e9)
            out = torch.matmul(torch.softmax(scores, dim=-1), v)
        out = out.transpose(1, 2).reshape(b, n, d)
        x = x + self.proj(out)
        return x + self.mlp(self.norm2(x))


class VisionTower(nn.Module):
    """Patches [B, N, C*T*P*P] in the processor's merge-group order -> merged features [B, N/4, hidden]."""

    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.cfg = cfg
        m2 = cfg.spatial_merge_size**2
        self.patch_embed = nn.Sequential(
            nn.Linear(cfg.patch_input_dim, 2 * cfg.vision_patch_dim), nn.GELU(), nn.Linear(2 * cfg.vision_patch_dim, cfg.vision_patch_dim)
        )
        self.merge_norm = nn.LayerNorm(cfg.vision_patch_dim, eps=1e-6)
        self.merger = nn.Sequential(
            nn.Linear(m2 * cfg.vision_patch_dim, cfg.vision_hidden), nn.GELU(), nn.Linear(cfg.vision_hidden, cfg.vision_hidden)
        )
        self.blocks = nn.ModuleList([VisionBlock(cfg.vision_hidden, cfg.vision_heads) for _ in range(cfg.vision_depth)])
        self.out_norm = nn.LayerNorm(cfg.vision_hidden, eps=1e-6)
        self.out_proj = nn.Linear(cfg.vision_hidden, cfg.hidden_size)
        hd = cfg.vision_hidden // cfg.vision_heads
        # half the rotary dims for rows, half for columns
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd // 2, 2, dtype=torch.float32) / (hd // 2)))
        self.register_buffer("inv_freq", inv, persistent=False)

    def rope(self, rows: torch.Tensor, cols: torch.Tensor):
        # rows/cols [B, N] float -> cos/sin [B, N, hd]
        fr = rows[..., None] * self.inv_freq
        fc = cols[..., None] * self.inv_freq
        f = torch.cat([fr, fc], dim=-1)
        emb = torch.cat([f, f], dim=-1)
        return emb.cos(), emb.sin()

    def embed_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """Patch MLP. Accepts the processor's full patches (C*T*P*P values) or, in training, one
        temporal frame (C*P*P): a still image repeats the same frame T times, so the first layer's
        weights can be summed over T, which is exact and halves the largest matmul."""
        cfg = self.cfg
        if patches.shape[-1] == cfg.patch_input_dim:
            return self.patch_embed(patches)
        first = self.patch_embed[0]
        pp = cfg.patch_size * cfg.patch_size
        w = first.weight.view(-1, cfg.in_channels, cfg.temporal_patch_size, pp).sum(2).reshape(first.weight.shape[0], -1)
        return self.patch_embed[2](self.patch_embed[1](F.linear(patches, w, first.bias)))

    def forward(self, patches: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, key_mask: torch.Tensor | None, fused: bool = False):
        b, n, _ = patches.shape
        m2 = self.cfg.spatial_merge_size**2
        x = self.merge_norm(self.embed_patches(patches))
        x = x.reshape(b, n // m2, m2 * self.cfg.vision_patch_dim)
        x = self.merger(x)
        cos, sin = self.rope(rows, cols)
        for blk in self.blocks:
            x = blk(x, cos, sin, key_mask, fused)
        return self.out_proj(self.out_norm(x))


# ----------------------------------------------------------------------------- decoder


class MRope(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        hd = cfg.head_dim
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        self.register_buffer("inv_freq", inv, persistent=False)
        # which position row (t=0, h=1, w=2) drives each of the hd/2 frequencies, as in Qwen2-VL
        sel = []
        for i, s in enumerate(cfg.mrope_section):
            sel += [i] * s
        assert len(sel) == hd // 2, "mrope_section must sum to head_dim / 2"
        self.register_buffer("section_rows", torch.tensor(sel, dtype=torch.long), persistent=False)

    def forward(self, position_ids: torch.Tensor):
        # position_ids [3, B, L] -> cos/sin [B, L, hd]
        freqs = position_ids.float()[..., None] * self.inv_freq  # [3, B, L, hd/2]
        idx = self.section_rows.view(1, 1, 1, -1).expand(1, freqs.shape[1], freqs.shape[2], -1)
        f = torch.gather(freqs, 0, idx).squeeze(0)  # [B, L, hd/2]
        emb = torch.cat([f, f], dim=-1)
        return emb.cos(), emb.sin()


class DecoderLayer(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        h, hd = cfg.hidden_size, cfg.head_dim
        self.nh, self.nkv, self.hd = cfg.num_attention_heads, cfg.num_key_value_heads, hd
        self.input_norm = RMSNorm(h, cfg.rms_norm_eps)
        self.q_proj = nn.Linear(h, self.nh * hd)
        self.k_proj = nn.Linear(h, self.nkv * hd)
        self.v_proj = nn.Linear(h, self.nkv * hd)
        self.o_proj = nn.Linear(self.nh * hd, h, bias=False)
        self.post_norm = RMSNorm(h, cfg.rms_norm_eps)
        self.gate = nn.Linear(h, cfg.intermediate_size, bias=False)
        self.up = nn.Linear(h, cfg.intermediate_size, bias=False)
        self.down = nn.Linear(cfg.intermediate_size, h, bias=False)

    def forward(self, x, cos, sin, mask_add, past_k=None, past_v=None, fused: bool = False):
        """x [B, L, H]; mask_add [B, 1, L, P+L] additive, or None for a causal mask alone (training on
        right-padded rows, see TinyQwen2VL.hidden_states); past [B, nkv, P, hd]. fused: the fused
        kernel outside training too (no probabilities).
        Returns (x, k_all, v_all, probs [B, nh, L, P+L]); probs is None in training mode."""
        b, l, _ = x.shape
        hsn = self.input_norm(x)
        q = self.q_proj(hsn).view(b, l, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(hsn).view(b, l, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(hsn).view(b, l, self.nkv, self.hd).transpose(1, 2)
        c, s = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * c + rotate_half(q) * s
        k = k * c + rotate_half(k) * s
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        rep = self.nh // self.nkv
        kr = k.repeat_interleave(rep, dim=1)
        vr = v.repeat_interleave(rep, dim=1)
        if (self.training or fused) and _FUSED:
            probs = None
            out = F.scaled_dot_product_attention(q, kr, vr, attn_mask=mask_add, is_causal=mask_add is None)
        else:
            scores = torch.matmul(q, kr.transpose(-1, -2)) / math.sqrt(self.hd) + mask_add
            probs = torch.softmax(scores, dim=-1)
            out = torch.matmul(probs, vr)
        out = out.transpose(1, 2).reshape(b, l, self.nh * self.hd)
        x = x + self.o_proj(out)
        hs2 = self.post_norm(x)
        x = x + self.down(F.silu(self.gate(hs2)) * self.up(hs2))
        return x, k, v, probs


def build_mask(attention_mask: torch.Tensor, q_len: int) -> torch.Tensor:
    """Causal + padding mask as an additive [B, 1, L, P+L] tensor (queries are the last L positions)."""
    total = attention_mask.shape[1]
    past = total - q_len
    q_idx = torch.arange(q_len, device=attention_mask.device) + past
    k_idx = torch.arange(total, device=attention_mask.device)
    causal = k_idx[None, :] <= q_idx[:, None]  # [L, T]
    allowed = causal[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
    return torch.where(allowed, torch.zeros((), dtype=torch.float32), torch.full((), -1e9, dtype=torch.float32))


def is_right_padded(attention_mask: torch.Tensor) -> bool:
    """Whether every row is real tokens followed by padding (as data.collate builds training batches).

    Then a causal mask alone gives every real position the same attention as the causal + padding
    mask: a real query at position t sees keys 0..t, and every padded key lies after the row's last
    real token. Padded positions attend differently, but nothing reads them (their labels are -100).
    Under `is_causal` the fused kernel reads no mask tensor and may skip key blocks above the
    diagonal (1.02-1.06x a training step, measured on one thread)."""
    lengths = attention_mask.sum(1, keepdim=True)
    return bool((attention_mask == (torch.arange(attention_mask.shape[1]) < lengths)).all())


class TinyQwen2VL(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.cfg = cfg
        self.visual = VisionTower(cfg)
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.rope = MRope(cfg)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def lm_head(self, h: torch.Tensor) -> torch.Tensor:
        # tied with the input embeddings: the exported decoder keeps its own copy of the matrix
        return F.linear(h, self.embed_tokens.weight)

    def decode(self, inputs_embeds, attention_mask, position_ids, past=None, logits_at: torch.Tensor | None = None, fused: bool = False):
        """One decoder call. past: list of (k, v) or None. Returns logits, presents, probs per layer.
        logits_at [B]: one position per row whose logits are returned ([B, 1, V]; batched
        generation reads only each row's last prompt position), instead of every position's.
        fused: the fused attention kernel, whose probabilities are not returned (None per layer)."""
        cos, sin = self.rope(position_ids)
        mask = build_mask(attention_mask, inputs_embeds.shape[1])
        x = inputs_embeds
        presents, probs_all = [], []
        for i, layer in enumerate(self.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v, probs = layer(x, cos, sin, mask, pk, pv, fused)
            presents.append((k, v))
            probs_all.append(probs)
        if logits_at is not None:
            x = x[torch.arange(x.shape[0]), logits_at][:, None]
        return self.lm_head(self.norm(x)), presents, probs_all

    def forward_train(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded batch -> (final hidden states [B, L, H], visual features [B, Nmax/4, H]).

        batch: patches [B, Nmax, D], patch_rows/patch_cols [B, Nmax/4], vis_mask [B, Nmax/4] bool,
        input_ids [B, L], attention_mask [B, L], position_ids [3, B, L], image_slots [B, L] bool
        (positions of `<|image_pad|>`; their count per row equals that row's real visual tokens).
        """
        emb, feats = self.embed_batch(batch)
        return self.hidden_states(emb, batch["attention_mask"], batch["position_ids"]), feats

    def embed_batch(self, batch: dict, fused: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded batch -> (input embeddings with the visual features in the image slots [B, L, H],
        visual features [B, Nmax/4, H]): the shared first half of training and batched generation."""
        feats = self.visual(batch["patches"], batch["patch_rows"], batch["patch_cols"], batch["vis_mask"], fused)
        emb = self.embed_tokens(batch["input_ids"])
        slots = batch["image_slots"]
        return emb.masked_scatter(slots[..., None].expand_as(emb), feats[batch["vis_mask"]].to(emb.dtype)), feats

    def hidden_states(self, inputs_embeds, attention_mask, position_ids) -> torch.Tensor:
        """Final-norm hidden states (training computes logits only where there are labels)."""
        cos, sin = self.rope(position_ids)
        mask = None if self.training and _FUSED and is_right_padded(attention_mask) else build_mask(attention_mask, inputs_embeds.shape[1])
        x = inputs_embeds
        for layer in self.layers:
            x, _, _, _ = layer(x, cos, sin, mask)
        return self.norm(x)
