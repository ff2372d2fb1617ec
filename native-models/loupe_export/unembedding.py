"""onnx/lm_head.onnx: the lm_head rows of given token ids (input `input_ids` int64 [n], output `unembedding`
float32 [n, hidden]), which activation maps score hidden states against. The same graph interface
`loupe tap --hidden-states` writes (electron/tap/unembedding.ts), so the engine reads either. Only rows are
gathered: no logits over the visual positions. Right for tied and untied heads (the weight is lm_head's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

UNEMBEDDING_FILE = "lm_head.onnx"
INPUT, OUTPUT = "input_ids", "unembedding"
# Over this the weight goes to `lm_head.onnx_data` (a 7B vocab x hidden matrix is about 1 GiB in fp16).
INLINE_BYTES = 256 * 1024 * 1024


def export_unembedding(model, path: Path) -> None:
    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper

    weight = model.get_output_embeddings().weight.detach()
    # fp16 and fp32 are stored as they are; bf16 (no numpy dtype) as fp32.
    array = (weight if weight.dtype in (torch.float16, torch.float32) else weight.float()).cpu().numpy()
    hidden = array.shape[1]
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["lm_head_weight", INPUT], ["rows"], axis=0),
            helper.make_node("Cast", ["rows"], [OUTPUT], to=TensorProto.FLOAT),
        ],
        "loupe_unembedding",
        [helper.make_tensor_value_info(INPUT, TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["n", hidden])],
        [numpy_helper.from_array(np.ascontiguousarray(array), "lm_head_weight")],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="loupe_export")
    m.ir_version = 8
    data = path.name + "_data"
    for stale in (path, path.parent / data):
        if stale.exists():
            stale.unlink()
    if array.nbytes > INLINE_BYTES:
        onnx.save_model(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=data, size_threshold=1024)
    else:
        onnx.save_model(m, str(path))
