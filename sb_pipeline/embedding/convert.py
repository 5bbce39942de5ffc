"""Safetensors BERT weights -> fp32 ONNX graph -> onnxruntime-fused ONNX.

Why hand-build the graph: the project must not depend on torch at run time (or even at build
time), and the network is never reachable, so `torch.onnx.export` / `optimum` are out. A BERT
encoder is a small, fixed set of standard ONNX ops, so we write it with `onnx.helper` from the
numpy weights.

Why *this* exact op layout: onnxruntime's transformer optimizer fuses subgraphs by pattern
matching the shapes of a PyTorch export. The node sequences below mirror what it looks for
(see onnxruntime/transformers/fusion_attention.py, fusion_embedlayer.py, fusion_gelu.py):

- embeddings: Gather(word) + Gather(token_type), + Gather(position, Slice(position_ids,
  0:Shape(input_ids)[1])), LayerNormalization  -> EmbedLayerNormalization
- attention: MatMul+Add -> Reshape [0,0,12,32] -> Transpose (K with perm 0,2,3,1), QK MatMul,
  Div sqrt(32), Add mask, Softmax, MatMul V, Transpose, Reshape [0,0,384]        -> Attention
- mask: Mul(Sub(1, Cast(Unsqueeze(Unsqueeze(attention_mask)))), -10000)          -> mask_index
- Erf GELU: Div(1.4142) -> Erf -> Add 1 -> Mul x -> Mul 0.5                      -> Gelu
- residual Add + LayerNormalization                                              -> SkipLayerNorm

If fusion misses a pattern the graph is still correct, just slower; `build_onnx` reports the
fused operator counts and refuses a graph in which attention did not fuse, so a silent speed
regression after an onnxruntime upgrade shows up as an error instead.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

OPSET = 17  # LayerNormalization is a standard op from opset 17.
NUM_HEADS = 12
HIDDEN = 384
HEAD_DIM = HIDDEN // NUM_HEADS
NUM_LAYERS = 6
LN_EPS = 1e-12  # config.json layer_norm_eps
MASK_VALUE = -10000.0  # what the fusion expects; exp(-10000) underflows to 0 in fp32 anyway
_i64 = functools.partial(np.array, dtype=np.int64)
_f32 = functools.partial(np.array, dtype=np.float32)


def build_graph(weights: dict[str, np.ndarray]):
    """Return an `onnx.ModelProto` for BertModel (no pooler) with output `last_hidden_state`; pooling and
    normalisation are done by embedder.py. The parts are added in file order (see `_GraphBuilder`)."""
    graph = _GraphBuilder(weights)
    hidden = _embeddings(graph)
    mask = _additive_attention_mask(graph)
    shared = _LayerConstants.add_to(graph)
    for i in range(NUM_LAYERS):
        hidden = _encoder_layer(graph, i, hidden, mask, shared)
    return _model_proto(graph, hidden)


class _GraphBuilder:
    """The graph's nodes and initialisers in the order added: their order in the ONNX file, whose sha256 is the
    model_id. Moving a call, even a constant's first use, re-keys every stored vector (the maths unchanged)."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list = []
        self.inits: dict[str, object] = {}

    def const(self, name: str, value) -> str:
        from onnx import numpy_helper

        if name not in self.inits:
            self.inits[name] = numpy_helper.from_array(np.asarray(value), name)
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def weight(self, key: str, transpose: bool = False) -> str:
        arr = np.ascontiguousarray(self.weights[key].astype(np.float32))
        return self.const(key, np.ascontiguousarray(arr.T) if transpose else arr)  # torch (out, in) -> MatMul (in, out)

    def linear(self, x: str, prefix: str, out: str) -> str:
        mm = self.node("MatMul", [x, self.weight(f"{prefix}.weight", transpose=True)], f"{out}/MatMul")
        return self.node("Add", [mm, self.weight(f"{prefix}.bias")], f"{out}/Add")

    def layer_norm(self, x: str, prefix: str, out: str) -> str:
        weight, bias = self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")
        return self.node("LayerNormalization", [x, weight, bias], out, axis=-1, epsilon=LN_EPS)


def _embeddings(graph: _GraphBuilder) -> str:
    """Word + token-type + position embeddings, then LayerNorm: fused into EmbedLayerNormalization."""
    word = graph.node("Gather", [graph.weight("embeddings.word_embeddings.weight"), "input_ids"], "emb/word")
    ttype = graph.node("Gather", [graph.weight("embeddings.token_type_embeddings.weight"), "token_type_ids"],
                       "emb/type")
    # position_ids[:, 0:Shape(input_ids)[1]], spelled as a PyTorch export does: the fusion looks for this Slice.
    shape = graph.node("Shape", ["input_ids"], "emb/shape")
    seq_len = graph.node("Gather", [shape, graph.const("c/one_i64", _i64(1))], "emb/seq_len", axis=0)
    seq_len_1d = graph.node("Unsqueeze", [seq_len, graph.const("c/axes0", _i64([0]))], "emb/seq_len_1d")
    table = graph.const("embeddings.position_ids", graph.weights["embeddings.position_ids"].astype(np.int64))
    starts, axes = graph.const("c/zero_1d", _i64([0])), graph.const("c/one_1d", _i64([1]))
    steps = graph.const("c/one_1d_step", _i64([1]))
    pos_ids = graph.node("Slice", [table, starts, seq_len_1d, axes, steps], "emb/pos_ids")
    pos = graph.node("Gather", [graph.weight("embeddings.position_embeddings.weight"), pos_ids], "emb/pos")
    summed = graph.node("Add", [graph.node("Add", [word, ttype], "emb/add0"), pos], "emb/add1")
    return graph.layer_norm(summed, "embeddings.LayerNorm", "emb/ln")


def _additive_attention_mask(graph: _GraphBuilder) -> str:
    """(1 - attention_mask) * -10000, (batch, 1, 1, seq), added to every layer's scores: padding gets no attention."""
    from onnx import TensorProto

    m = graph.node("Unsqueeze", ["attention_mask", graph.const("c/axes1", _i64([1]))], "mask/unsq1")
    m = graph.node("Unsqueeze", [m, graph.const("c/axes2", _i64([2]))], "mask/unsq2")
    m = graph.node("Cast", [m], "mask/cast", to=TensorProto.FLOAT)
    m = graph.node("Sub", [graph.const("c/one_f", _f32(1.0)), m], "mask/sub")
    return graph.node("Mul", [m, graph.const("c/mask_value", _f32(MASK_VALUE))], "mask/mul")


class _LayerConstants(NamedTuple):  # names of the constants every encoder layer shares
    heads_shape: str  # (batch, seq, HIDDEN) -> (batch, seq, NUM_HEADS, HEAD_DIM)
    merge_shape: str  # and back
    scale: str  # sqrt(HEAD_DIM), the attention scores' divisor
    sqrt2: str  # GELU's erf argument divisor

    @classmethod
    def add_to(cls, graph: _GraphBuilder) -> _LayerConstants:
        """Added once, before the first layer's weights: where the file has always had them."""
        return cls(
            heads_shape=graph.const("c/heads_shape", _i64([0, 0, NUM_HEADS, HEAD_DIM])),
            merge_shape=graph.const("c/merge_shape", _i64([0, 0, HIDDEN])),
            scale=graph.const("c/sqrt_head_dim", _f32(math.sqrt(HEAD_DIM))),
            sqrt2=graph.const("c/sqrt2", _f32(math.sqrt(2.0))),
        )


def _encoder_layer(graph: _GraphBuilder, i: int, hidden: str, mask: str, shared: _LayerConstants) -> str:
    """Encoder layer `i`: self-attention, then the feed-forward block, each closed by residual + LayerNorm."""
    p, n = f"encoder.layer.{i}", f"l{i}"
    ctx = _self_attention(graph, p, n, hidden, mask, shared)
    hidden = _dense_residual_norm(graph, ctx, hidden, f"{p}.attention.output", f"{n}/attn")
    inter = graph.linear(hidden, f"{p}.intermediate.dense", f"{n}/inter")
    activated = _gelu(graph, inter, n, shared.sqrt2)
    return _dense_residual_norm(graph, activated, hidden, f"{p}.output", f"{n}/ffn")


def _self_attention(graph: _GraphBuilder, p: str, n: str, hidden: str, mask: str, shared: _LayerConstants) -> str:
    """softmax(Q K^T / sqrt(HEAD_DIM) + mask) V with the heads merged back: fused into Attention."""

    def heads(projection: str, tag: str, perm: list[int]) -> str:  # Linear, split into heads, transposed
        x = graph.linear(hidden, f"{p}.attention.self.{projection}", f"{n}/{tag}")
        x = graph.node("Reshape", [x, shared.heads_shape], f"{n}/{tag}/reshape")
        return graph.node("Transpose", [x], f"{n}/{tag}/transpose", perm=perm)

    q = heads("query", "q", [0, 2, 1, 3])
    k = heads("key", "k", [0, 2, 3, 1])  # K^T, as the fusion expects
    v = heads("value", "v", [0, 2, 1, 3])
    scores = graph.node("MatMul", [q, k], f"{n}/qk")
    scores = graph.node("Div", [scores, shared.scale], f"{n}/qk_scaled")
    scores = graph.node("Add", [scores, mask], f"{n}/qk_masked")
    probs = graph.node("Softmax", [scores], f"{n}/softmax", axis=-1)
    ctx = graph.node("MatMul", [probs, v], f"{n}/ctx")
    ctx = graph.node("Transpose", [ctx], f"{n}/ctx_t", perm=[0, 2, 1, 3])
    return graph.node("Reshape", [ctx, shared.merge_shape], f"{n}/ctx_merged")


def _gelu(graph: _GraphBuilder, x: str, n: str, sqrt2: str) -> str:
    """Exact (erf) GELU, 0.5 * x * (1 + erf(x / sqrt 2)), in the node order the Gelu fusion matches."""
    g = graph.node("Div", [x, sqrt2], f"{n}/gelu/div")
    g = graph.node("Erf", [g], f"{n}/gelu/erf")
    g = graph.node("Add", [g, graph.const("c/one_f", _f32(1.0))], f"{n}/gelu/add")
    g = graph.node("Mul", [x, g], f"{n}/gelu/mul")
    return graph.node("Mul", [g, graph.const("c/half", _f32(0.5))], f"{n}/gelu/half")


def _dense_residual_norm(graph: _GraphBuilder, x: str, residual: str, prefix: str, tag: str) -> str:
    """LayerNorm(dense(x) + residual), how both halves of a layer end: fused into SkipLayerNormalization."""
    out = graph.linear(x, f"{prefix}.dense", f"{tag}_out")
    out = graph.node("Add", [out, residual], f"{tag}_residual")
    return graph.layer_norm(out, f"{prefix}.LayerNorm", f"{tag}_ln")


def _model_proto(graph: _GraphBuilder, hidden: str):
    """The finished model: `hidden` as output `last_hidden_state`, dynamic batch and sequence, opset, IR."""
    from onnx import TensorProto, helper

    graph.nodes.append(helper.make_node("Identity", [hidden], ["last_hidden_state"], name="output"))
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
              for name in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", HIDDEN])
    onnx_graph = helper.make_graph(graph.nodes, "all-MiniLM-L6-v2", inputs, [output], list(graph.inits.values()))
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="sb_pipeline.embedding.convert")
    model.ir_version = 8  # readable by any onnxruntime >= 1.10
    return model


@contextlib.contextmanager
def _quiet_expected_warnings():
    """Mute the optimizer's warnings that are expected here (producer is not "pytorch";
    shape inference is off on purpose); the fusion statistics are checked instead."""
    names = ("onnxruntime.transformers.optimizer", "fusion_skiplayernorm", "fusion_skip_group_norm")
    loggers = [logging.getLogger(n) for n in names]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, saved):
            lg.setLevel(level)


def build_onnx(
    safetensors_path: Path, out_path: Path, work_dir: Path, profile: str = "fp32"
) -> dict[str, int]:
    """Write the fused ONNX for `profile` to `out_path`; return the fused-operator statistics.

    `work_dir` holds the intermediate graphs (the caller's temp dir).
    """
    import onnx
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model
    from safetensors.numpy import load_file

    weights = load_file(str(safetensors_path))
    word = weights.get("embeddings.word_embeddings.weight")
    last = f"encoder.layer.{NUM_LAYERS - 1}.output.dense.weight"
    if word is None or word.shape[1] != HIDDEN or last not in weights:
        raise ValueError(f"{safetensors_path} is not a {NUM_LAYERS}-layer, {HIDDEN}-wide BERT")
    model = build_graph(weights)
    onnx.checker.check_model(model, full_check=True)
    raw_path = work_dir / "raw.onnx"
    onnx.save_model(model, str(raw_path))

    # Symbolic shape inference needs sympy, which is not a project dependency; the fusions we
    # need do not depend on it, and leaving it off keeps the output identical on every machine.
    options = FusionOptions("bert")
    options.enable_shape_inference = False
    with _quiet_expected_warnings():
        optimized = optimize_model(
            str(raw_path),
            model_type="bert",
            num_heads=NUM_HEADS,
            hidden_size=HIDDEN,
            opt_level=0,
            optimization_options=options,
        )
    stats = {k: int(v) for k, v in optimized.get_fused_operator_statistics().items() if v}
    if stats.get("Attention", 0) != NUM_LAYERS:
        raise RuntimeError(f"attention fusion failed ({stats}); the graph layout needs updating")
    if profile == "fp32":
        optimized.save_model_to_file(str(out_path))
    elif profile == "int8":
        fused_path = work_dir / "fused_fp32.onnx"
        optimized.save_model_to_file(str(fused_path))
        stats["int8_nodes"] = quantize_int8(fused_path, out_path)
    else:
        raise ValueError(f"unknown profile {profile!r}")
    return stats


def quantize_int8(fp32_path: Path, out_path: Path) -> int:
    """Dynamic int8 quantisation of the fused graph's weights (Attention / MatMul).

    Why dynamic: no calibration data is needed and activations get their range per batch.
    Why per-channel: per-tensor weight scales were measured at min cosine 0.85 against the
    reference vectors (outlier channels); per-channel gives ~0.96 min / ~0.99 mean at ~2.5x
    the speed. Vectors from this profile are approximate, carry their own model_id, and
    depend slightly on batch composition (activation ranges are per batch tensor).
    Returns the number of quantised (integer) nodes.
    """
    import onnx
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class _DropPreprocessHint(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "pre-processing before quantization" not in record.getMessage()

    hint_filter = _DropPreprocessHint()
    logging.getLogger().addFilter(hint_filter)
    try:
        quantize_dynamic(
            str(fp32_path),
            str(out_path),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # onnx shape inference cannot type outputs of com.microsoft ops (Attention, ...).
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        logging.getLogger().removeFilter(hint_filter)
    graph = onnx.load(str(out_path)).graph
    quantised = ("QAttention", "MatMulInteger", "DynamicQuantizeMatMul")
    return sum(1 for n in graph.node if n.op_type in quantised)
