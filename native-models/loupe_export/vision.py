"""Export-friendly vision encoder: the checkpoint's own weights, grid bookkeeping done with tensor ops.

transformers' vision towers compute positions, windows and per-image attention chunks with Python
loops over `grid_thw.tolist()`, which a trace would freeze to one image size. This wrapper computes
the same quantities per patch from `grid_thw` with tensor arithmetic (so the ONNX graph works for
any image size and any number of images) and expresses the per-image / per-window attention as an
additive mask instead of splitting the sequence. Windowed attention over a window's patches is the
same computation as full attention masked to that window, so Qwen2.5-VL's window reordering (and its
reversal after the merger) is not needed: the output order is the processor's patch order, as in
transformers.
"""

from __future__ import annotations

import torch
from torch import nn

from .families import FamilySpec


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class VisionEncoder(nn.Module):
    """pixel_values [patches, C*T*P*P] f32, grid [images, 3] i64 -> image_features [patches/m^2, hidden]
    (+ deepstack_features [k, patches/m^2, hidden] for Qwen3-VL)."""

    def __init__(self, visual: nn.Module, vision_config, spec: FamilySpec):
        super().__init__()
        self.visual = visual
        self.spec = spec
        self.merge = int(vision_config.spatial_merge_size)
        self.patch_size = int(vision_config.patch_size)
        if spec.windowed_vision:
            self.window_tokens = int(vision_config.window_size) // self.merge // self.patch_size
            self.fullatt = set(int(i) for i in vision_config.fullatt_block_indexes)
        if spec.learned_vision_pos:
            self.side = int(visual.num_grid_per_side)
            self.deepstack_indexes = [int(i) for i in vision_config.deepstack_visual_indexes]

    # --- per-patch bookkeeping -------------------------------------------------------------
    def _patch_coords(self, n_patches_like: torch.Tensor, grid: torch.Tensor):
        m = self.merge
        grid = grid.to(torch.int64)
        counts = grid[:, 0] * grid[:, 1] * grid[:, 2]
        ends = torch.cumsum(counts, 0)
        starts = ends - counts
        idx = torch.arange(n_patches_like.shape[0], dtype=torch.int64, device=grid.device)
        img = (idx.unsqueeze(1) >= ends.unsqueeze(0)).to(torch.int64).sum(1)  # image of each patch
        h = grid[:, 1][img]
        w = grid[:, 2][img]
        local = idx - starts[img]
        frame = torch.div(local, h * w, rounding_mode="floor")
        within = local - frame * h * w
        blocks_w = torch.div(w, m, rounding_mode="floor")
        in_col = within % m
        in_row = torch.div(within, m, rounding_mode="floor") % m
        block_col = torch.div(within, m * m, rounding_mode="floor") % blocks_w
        block_row = torch.div(within, m * m * blocks_w, rounding_mode="floor")
        row = block_row * m + in_row
        col = block_col * m + in_col
        return img, frame, h, w, row, col, block_row, block_col

    def _bilinear_pos_embed(self, row, col, h, w) -> torch.Tensor:
        """Qwen3-VL: the learned side x side table resampled to (h, w), align_corners=True."""
        side = self.side

        def axis(index, size):
            index = index.to(torch.float32)
            src = index * float(side - 1) / torch.clamp(size - 1, min=1).to(torch.float32)
            floor = torch.floor(src)
            offsets = torch.arange(0, 2, dtype=torch.int64, device=index.device)
            taps = (floor.to(torch.int64).unsqueeze(1) + offsets).clamp(0, side - 1)
            dist = (src.unsqueeze(1) - floor.unsqueeze(1) - offsets.to(torch.float32)).abs()
            weights = (1 - dist).clamp(min=0)
            return taps, weights

        h_taps, h_w = axis(row, h)
        w_taps, w_w = axis(col, w)
        indices = (h_taps.unsqueeze(2) * side + w_taps.unsqueeze(1)).reshape(-1, 4)
        weights = (h_w.unsqueeze(2) * w_w.unsqueeze(1)).reshape(-1, 4)
        table = self.visual.pos_embed(indices)  # [N, 4, hidden]
        return (table * weights.unsqueeze(2).to(table.dtype)).sum(1)

    # --- attention ---------------------------------------------------------------------------
    @staticmethod
    def _attention(attn: nn.Module, x: torch.Tensor, cos, sin, mask: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        heads = attn.num_heads
        qkv = attn.qkv(x).reshape(n, 3, heads, -1).permute(1, 0, 2, 3)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [N, heads, d]
        dtype = q.dtype
        qf, kf = q.float(), k.float()
        c, s = cos.unsqueeze(-2).float(), sin.unsqueeze(-2).float()
        q = ((qf * c) + (_rotate_half(qf) * s)).to(dtype)
        k = ((kf * c) + (_rotate_half(kf) * s)).to(dtype)
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)  # [heads, N, d]
        scaling = getattr(attn, "scaling", None) or q.shape[-1] ** -0.5
        scores = torch.matmul(q, k.transpose(1, 2)) * scaling + mask.to(dtype)
        probs = torch.softmax(scores.float(), dim=-1).to(dtype)
        out = torch.matmul(probs, v).transpose(0, 1).reshape(n, -1)
        return attn.proj(out)

    def forward(self, pixel_values: torch.Tensor, grid: torch.Tensor):
        visual = self.visual
        img, frame, h, w, row, col, block_row, block_col = self._patch_coords(pixel_values, grid)
        dtype = visual.patch_embed.proj.weight.dtype
        hidden = visual.patch_embed(pixel_values.to(dtype))
        if self.spec.learned_vision_pos:
            hidden = hidden + self._bilinear_pos_embed(row, col, h, w).to(hidden.dtype)
        # 2-D rotary: the first half of the frequencies follow the row, the second half the column
        # (transformers' VisionRotaryEmbedding + recomposition, written out so every version agrees)
        inv_freq = visual.rotary_pos_emb.inv_freq.float()
        freqs = torch.cat([row.float().unsqueeze(1) * inv_freq, col.float().unsqueeze(1) * inv_freq], dim=-1)
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos(), emb.sin()

        neg = torch.finfo(torch.float32).min
        same_frame = (img.unsqueeze(1) == img.unsqueeze(0)) & (frame.unsqueeze(1) == frame.unsqueeze(0))
        full_mask = torch.where(same_frame, torch.zeros((), dtype=torch.float32), torch.full((), neg))
        if self.spec.windowed_vision:
            wt = self.window_tokens
            win_r = torch.div(block_row, wt, rounding_mode="floor")
            win_c = torch.div(block_col, wt, rounding_mode="floor")
            same_window = same_frame & (win_r.unsqueeze(1) == win_r.unsqueeze(0)) & (win_c.unsqueeze(1) == win_c.unsqueeze(0))
            window_mask = torch.where(same_window, torch.zeros((), dtype=torch.float32), torch.full((), neg))
        if dtype == torch.float16:
            full_mask = full_mask.clamp(min=torch.finfo(torch.float16).min)
            if self.spec.windowed_vision:
                window_mask = window_mask.clamp(min=torch.finfo(torch.float16).min)

        deepstack = []
        for i, blk in enumerate(visual.blocks):
            mask = window_mask if (self.spec.windowed_vision and i not in self.fullatt) else full_mask
            hidden = hidden + self._attention(blk.attn, blk.norm1(hidden), cos, sin, mask)
            hidden = hidden + blk.mlp(blk.norm2(hidden))
            if self.spec.learned_vision_pos and i in self.deepstack_indexes:
                merger = visual.deepstack_merger_list[self.deepstack_indexes.index(i)]
                deepstack.append(merger(hidden))
        features = visual.merger(hidden)
        if self.spec.learned_vision_pos:
            return features, torch.stack(deepstack, dim=0)
        return features
