"""onnxruntime's fused attention operators (com.microsoft domain) as traceable torch functions.

Each function runs an ordinary PyTorch computation when called (the tracer needs real tensors of the
right shapes, and tests can compare it with transformers), and its `symbolic` writes ONE contrib-op
node into the ONNX graph. The contrib kernels never hold a [heads, S, S] score matrix on the CPU
provider paths used here (measured with onnxruntime 1.30: GroupQueryAttention over 8,192 tokens,
4 heads, adds 17 MB of peak memory; the decomposed MatMul -> Softmax -> MatMul adds 1.4 GB), which
is what keeps Loupe's memory linear in the prompt length.

* `group_query_attention`: causal self-attention with a KV cache, grouped (kv_heads <= heads), the
  kernel onnxruntime-genai uses for decoders. Rotary is applied before (do_rotary = 0) because
  Qwen-VL's multimodal RoPE reads three position rows, which the kernel's 1-D cos/sin cache cannot.
  Keys past `seqlens_k[b] + 1` are ignored (right padding); a left-padded batch is not supported,
  which matches the engine (one sequence, an all-ones mask).
* `multi_head_attention`: plain bidirectional attention without mask or bias, which onnxruntime's CPU
  kernel runs as tiled (flash) attention in O(S) memory; the vision encoder calls it once per
  window or per image (a batch of equally long segments).
"""

from __future__ import annotations

import torch

MS_DOMAIN = "com.microsoft"


class _GroupQueryAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, query, key, value, past_key, past_value, seqlens_k, total_length, num_heads: int, kv_heads: int, scale: float):
        # query [B, S, N*D]; key/value [B, S, KV*D]; past [B, KV, P, D] -> out [B, S, N*D], present [B, KV, P+S, D]
        b, s, _ = query.shape
        d = past_key.shape[-1]
        q = query.view(b, s, num_heads, d).transpose(1, 2)
        k = torch.cat([past_key, key.view(b, s, kv_heads, d).transpose(1, 2)], dim=2)
        v = torch.cat([past_value, value.view(b, s, kv_heads, d).transpose(1, 2)], dim=2)
        total = k.shape[2]
        groups = num_heads // kv_heads
        kr = k.repeat_interleave(groups, dim=1)
        vr = v.repeat_interleave(groups, dim=1)
        kpos = torch.arange(total, device=query.device)
        qpos = torch.arange(s, device=query.device) + (total - s)
        allowed = (kpos.view(1, -1) <= qpos.view(-1, 1)).view(1, 1, s, total)
        allowed = allowed & (kpos.view(1, 1, 1, -1) <= seqlens_k.view(-1, 1, 1, 1).to(torch.int64))
        scores = torch.matmul(q, kr.transpose(2, 3)) * scale
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        out = torch.matmul(probs, vr).transpose(1, 2).reshape(b, s, num_heads * d)
        return out, k, v

    @staticmethod
    def symbolic(g, query, key, value, past_key, past_value, seqlens_k, total_length, num_heads, kv_heads, scale):
        return g.op(
            f"{MS_DOMAIN}::GroupQueryAttention",
            query,
            key,
            value,
            past_key,
            past_value,
            seqlens_k,
            total_length,
            num_heads_i=num_heads,
            kv_num_heads_i=kv_heads,
            scale_f=scale,
            do_rotary_i=0,
            outputs=3,
        )


def group_query_attention(query, key, value, past_key, past_value, attention_mask, num_heads: int, kv_heads: int, scale: float):
    """Causal attention of `query` over past + new keys; returns (output [B, S, N*D], present_key, present_value).

    `attention_mask` [B, past + S] (int64, ones then zeros) gives the kernel its `seqlens_k` (valid
    keys - 1, int32) and `total_sequence_length` (int32 scalar).
    """
    seqlens_k = (attention_mask.sum(dim=1) - 1).to(torch.int32)
    total = torch._shape_as_tensor(attention_mask)[1].to(torch.int32)  # traced as Shape -> Gather, not a constant
    return _GroupQueryAttention.apply(query, key, value, past_key, past_value, seqlens_k, total, num_heads, kv_heads, scale)


class _MultiHeadAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, query, key, value, num_heads: int, scale: float):
        # [B, S, N*D] each -> [B, S, N*D]; bidirectional, no mask
        b, s, hd = query.shape
        d = hd // num_heads
        q, k, v = (t.view(b, s, num_heads, d).transpose(1, 2) for t in (query, key, value))
        probs = torch.softmax((torch.matmul(q, k.transpose(2, 3)) * scale).float(), dim=-1).to(q.dtype)
        return torch.matmul(probs, v).transpose(1, 2).reshape(b, s, hd)

    @staticmethod
    def symbolic(g, query, key, value, num_heads, scale):
        return g.op(f"{MS_DOMAIN}::MultiHeadAttention", query, key, value, num_heads_i=num_heads, scale_f=scale)


def multi_head_attention(query, key, value, num_heads: int, scale: float):
    """Unmasked attention per batch row (one window or one image per row): [B, S, N*D] -> [B, S, N*D]."""
    return _MultiHeadAttention.apply(query, key, value, num_heads, scale)


class _ScatterRows(torch.autograd.Function):
    @staticmethod
    def forward(ctx, total, index, updates):
        out = updates.new_zeros((int(total), updates.shape[1]))
        return out.index_copy(0, index, updates)

    @staticmethod
    def symbolic(g, total, index, updates):
        shape = g.op(
            "Concat",
            g.op("Unsqueeze", total, g.op("Constant", value_t=torch.tensor([0], dtype=torch.int64))),
            g.op(
                "Slice",
                g.op("Shape", updates),
                g.op("Constant", value_t=torch.tensor([1], dtype=torch.int64)),
                g.op("Constant", value_t=torch.tensor([2], dtype=torch.int64)),
            ),
            axis_i=0,
        )
        dtype = updates.type().dtype() if updates.type().dtype() is not None else torch.float32
        zeros = g.op("ConstantOfShape", shape, value_t=torch.zeros(1, dtype=dtype))
        rows = g.op("Unsqueeze", index, g.op("Constant", value_t=torch.tensor([1], dtype=torch.int64)))
        return g.op("ScatterND", zeros, rows, updates)


def scatter_rows(total: torch.Tensor, index: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
    """A [total, C] tensor of zeros with row index[i] = updates[i] (ONNX: ConstantOfShape + ScatterND).

    `total` is a 0-d int64 tensor computed in the graph, so the buffer follows the image size.
    """
    return _ScatterRows.apply(total, index, updates)


class _Reshape(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, shape):
        return x.reshape([int(s) for s in shape.tolist()])

    @staticmethod
    def symbolic(g, x, shape):
        return g.op("Reshape", x, shape)


def dynamic_reshape(x: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
    """x.reshape(shape) where `shape` is an int64 tensor computed in the graph (not frozen by the tracer)."""
    return _Reshape.apply(x, shape)
