"""Export-friendly vision encoder: the checkpoint's own weights, grid bookkeeping done with tensor ops.

transformers' vision towers compute positions, windows and per-image attention chunks with Python
loops over `grid_thw.tolist()`, which a trace would freeze to one image size. This wrapper computes
the same quantities per patch from `grid_thw` with tensor arithmetic, so the ONNX graph works for any
image size and any number of images.

Attention runs per segment, never over a patches x patches matrix: a segment is one window
(Qwen2.5-VL's windowed blocks) or one frame of one image (full-attention blocks, Qwen2-VL and Qwen3-VL
towers). Each patch is scattered to (segment, slot) of a padded [segments, slots] buffer (as
transformers reorders patches by window, then restores the order), the buffer goes through
onnxruntime's MultiHeadAttention as a batch of segments, and the rows are gathered back into the
processor's patch order. The kernel takes no mask on its O(S)-memory path, so padding slots are hidden
with one extra channel per head: 1 in every query, 0 in real keys, -BIG in padding keys, which adds
exactly 0 to every real score and sends every padding score to exp(-BIG) = 0. Memory is linear in the
number of patches: the largest buffer is [patches (+ padding), 3 x hidden].
"""

from __future__ import annotations

import torch
from torch import nn

from .families import FamilySpec
from .fused_ops import dynamic_reshape, multi_head_attention, scatter_rows
from .rope import rotate_half


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
    def _segments(seg: torch.Tensor, slot: torch.Tensor, count: torch.Tensor, length: torch.Tensor) -> dict:
        """Where each patch goes in the padded [count, length] buffer, and which buffer rows are real."""
        total = count * length
        index = seg * length + slot
        occupied = scatter_rows(total, index, torch.ones_like(index, dtype=torch.float32).unsqueeze(1))  # [total, 1]
        return {"index": index, "total": total, "count": count, "length": length, "padding": 1.0 - occupied}

    def _frame_segments(self, img, frame, grid) -> tuple:
        """Full attention: one segment per frame of each image (transformers' cu_seqlens)."""
        grid = grid.to(torch.int64)
        t, h, w = grid[:, 0], grid[:, 1], grid[:, 2]
        first_frame = torch.cumsum(t, 0) - t
        seg = first_frame[img] + frame
        length = torch.max(h * w)
        return seg, length, t.sum()

    def _window_segments(self, img, frame, row, col, grid) -> tuple:
        """Qwen2.5-VL windows: window_size px squares aligned to the top-left corner of each frame."""
        ws = self.window_tokens * self.merge  # patches per window side
        grid = grid.to(torch.int64)
        t, h, w = grid[:, 0], grid[:, 1], grid[:, 2]
        rows_w = torch.div(h + ws - 1, ws, rounding_mode="floor")
        cols_w = torch.div(w + ws - 1, ws, rounding_mode="floor")
        per_frame = rows_w * cols_w
        per_image = t * per_frame
        first = torch.cumsum(per_image, 0) - per_image
        win_r = torch.div(row, ws, rounding_mode="floor")
        win_c = torch.div(col, ws, rounding_mode="floor")
        seg = first[img] + frame * per_frame[img] + win_r * cols_w[img] + win_c
        slot = (row - win_r * ws) * ws + (col - win_c * ws)
        return seg, slot, per_image.sum()

    @staticmethod
    def _attention(attn: nn.Module, x: torch.Tensor, cos, sin, segs: dict) -> torch.Tensor:
        n = x.shape[0]
        heads = attn.num_heads
        qkv = attn.qkv(x).reshape(n, 3, heads, -1).permute(1, 0, 2, 3)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [N, heads, d]
        dtype = q.dtype
        d = q.shape[-1]
        qf, kf = q.float(), k.float()
        c, s = cos.unsqueeze(-2).float(), sin.unsqueeze(-2).float()
        q = ((qf * c) + (rotate_half(qf) * s)).to(dtype)
        k = ((kf * c) + (rotate_half(kf) * s)).to(dtype)
        scaling = float(getattr(attn, "scaling", None) or d**-0.5)
        # the padding channel (module docstring); BIG is finite so no inf - inf can appear in the kernel
        big = min(1e4 / scaling, 6e4) if dtype == torch.float16 else 1e4 / scaling
        one = torch.ones_like(q[..., :1])
        zero = torch.zeros_like(q[..., :1])
        rows = torch.cat([torch.cat([q, one], -1), torch.cat([k, zero], -1), torch.cat([v, zero], -1)], dim=1)  # [N, 3*heads, d+1]
        width = 3 * heads * (d + 1)
        buf = scatter_rows(segs["total"], segs["index"], rows.reshape(n, width))  # [total, width]
        pad_row = torch.zeros(3, heads, d + 1, dtype=dtype)
        pad_row[1, :, d] = -big
        buf = buf + segs["padding"].to(dtype) * pad_row.reshape(1, width).to(buf.device)
        shape = torch.stack([segs["count"], segs["length"], torch.ones_like(segs["count"]) * width])
        buf = dynamic_reshape(buf, shape)
        span = heads * (d + 1)
        out = multi_head_attention(buf[:, :, :span], buf[:, :, span : 2 * span], buf[:, :, 2 * span :], heads, scaling)
        out = out.reshape(-1, heads, d + 1).index_select(0, segs["index"])[:, :, :d]
        return attn.proj(out.reshape(n, heads * d))

    def forward(self, pixel_values: torch.Tensor, grid: torch.Tensor):
        visual = self.visual
        grid = grid.to(torch.int64)
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

        seg, length, count = self._frame_segments(img, frame, grid)
        within = torch.arange(img.shape[0], dtype=torch.int64, device=grid.device)
        starts = torch.cumsum(grid[:, 0] * grid[:, 1] * grid[:, 2], 0) - grid[:, 0] * grid[:, 1] * grid[:, 2]
        slot = within - starts[img] - frame * h * w
        full_segs = self._segments(seg, slot, count, length)
        if self.spec.windowed_vision:
            wseg, wslot, wcount = self._window_segments(img, frame, row, col, grid)
            ws = self.window_tokens * self.merge
            window_segs = self._segments(wseg, wslot, wcount, torch.ones_like(wcount) * (ws * ws))

        deepstack = []
        for i, blk in enumerate(visual.blocks):
            segs = window_segs if (self.spec.windowed_vision and i not in self.fullatt) else full_segs
            hidden = hidden + self._attention(blk.attn, blk.norm1(hidden), cos, sin, segs)
            hidden = hidden + blk.mlp(blk.norm2(hidden))
            if self.spec.learned_vision_pos and i in self.deepstack_indexes:
                merger = visual.deepstack_merger_list[self.deepstack_indexes.index(i)]
                deepstack.append(merger(hidden))
        features = visual.merger(hidden)
        if self.spec.learned_vision_pos:
            return features, torch.stack(deepstack, dim=0)
        return features
