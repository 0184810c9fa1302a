"""dlib's face descriptor ResNet run with onnxruntime: parses dlib's .dat weights and builds the ONNX graph."""

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from facegate.errors import InputError

ort.disable_telemetry_events()  # no event leaves the process (the files are kept away by facegate.engine)

CHIP_SIZE = 150
DESCRIPTOR_SIZE = 128

# dlib stores no tag ids, skip targets or layer kinds for the wrappers, so the parser must know the
# network type. These lists mirror dlib's anet_type (dnn_face_recognition_ex.cpp), outermost layer first.
_ARES = ["relu", "add_prev1", "affine", "con", "relu", "affine", "con", "tag1"]
_ARES_DOWN = ["relu", "add_prev2", "avg_pool", "skip1", "tag2", "affine", "con", "relu", "affine", "con", "tag1"]
_LEVELS = (
    _ARES_DOWN  # alevel0
    + _ARES * 2
    + _ARES_DOWN  # alevel1
    + _ARES * 2
    + _ARES_DOWN  # alevel2
    + _ARES * 3
    + _ARES_DOWN  # alevel3
    + _ARES * 3  # alevel4
)
_ANET = ["fc", "avg_pool", *_LEVELS, "max_pool", "relu", "affine", "con"]


class _FormatError(Exception):
    """The bytes are not what dlib's serialization of the face network would contain."""


class _Reader:
    """Reads dlib's serialization primitives from a byte string."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise _FormatError("unexpected end of file")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def integer(self) -> int:
        # One control byte (bit 7 = negative, low nibble = byte count), then little-endian magnitude.
        control = self.take(1)[0]
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise _FormatError(f"bad integer control byte 0x{control:02x} at offset {self.pos - 1}")
        value = int.from_bytes(self.take(size), "little")
        return -value if control & 0x80 else value

    def real(self) -> float:
        # Scalars are a mantissa and a base-2 exponent, both dlib integers.
        mantissa, exponent = self.integer(), self.integer()
        special = {32000: math.inf, 32001: -math.inf, 32002: math.nan}
        return special[exponent] if exponent in special else math.ldexp(mantissa, exponent)

    def boolean(self) -> bool:
        char = self.take(1)
        if char not in (b"0", b"1"):
            raise _FormatError(f"bad boolean at offset {self.pos - 1}")
        return char == b"1"

    def string(self) -> str:
        return self.take(self.integer()).decode("latin-1")

    def expect(self, *names: str) -> str:
        start = self.pos
        try:
            name = self.string()
        except _FormatError:
            name = None
        if name not in names:
            raise _FormatError(f"expected {' or '.join(names)} at offset {start}")
        return name

    def version(self, *allowed: int) -> int:
        value = self.integer()
        if value not in allowed:
            raise _FormatError(f"unsupported version {value} at offset {self.pos}")
        return value

    def tensor(self) -> np.ndarray:
        # Tensor version 2: four dims, then raw little-endian float32 values.
        self.version(2)
        shape = tuple(self.integer() for _ in range(4))
        if min(shape) < 0:
            raise _FormatError(f"negative tensor size at offset {self.pos}")
        count = math.prod(shape)
        return np.frombuffer(self.take(4 * count), dtype="<f4").astype(np.float32).reshape(shape)

    def alias(self) -> tuple[int, ...]:
        self.version(1)
        return tuple(self.integer() for _ in range(4))


@dataclass
class _Layer:
    """One layer in forward order: its kind (con, affine, relu, tag, skip, ...) and its parameters."""

    kind: str
    params: dict[str, Any]


def _read_details(r: _Reader, kind: str) -> _Layer:
    """Reads one layer's own fields (dlib's `serialize(layer_details)`)."""
    if kind == "con":
        version = r.expect("con_4", "con_5")
        params = r.tensor().ravel()
        r.integer()  # num_filters (repeated in the filters alias)
        nr, nc, stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(6))
        filters, _biases = r.alias(), r.alias()
        for _ in range(4):  # learning rate and weight decay multipliers
            r.real()
        use_bias = r.boolean() if version == "con_5" else True
        size = math.prod(filters)
        if filters[2:] != (nr, nc) or params.size != size + (filters[0] if use_bias else 0):
            raise _FormatError("convolution filter shape does not match its parameters")
        bias = params[size:] if use_bias else np.zeros(filters[0], np.float32)
        weight = params[:size].reshape(filters)
        geometry = dict(kernel=[nr, nc], strides=[stride_y, stride_x], pads=[pad_y, pad_x] * 2)
        return _Layer(kind, dict(w=weight, b=bias, **geometry))
    if kind == "affine":
        r.expect("affine_")
        params = r.tensor().ravel()
        gamma, beta = r.alias(), r.alias()
        if r.integer() != 0:  # dlib's layer_mode: CONV_MODE = 0 (per channel), FC_MODE = 1
            raise _FormatError("affine layer is not per-channel")
        k = math.prod(gamma)
        if math.prod(beta) != k or params.size != 2 * k:
            raise _FormatError("affine parameter sizes do not match")
        return _Layer(kind, dict(gamma=params[:k], beta=params[k:]))
    if kind in ("max_pool", "avg_pool"):
        r.expect(f"{kind}_2")
        nr, nc, stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(6))
        return _Layer(kind, dict(kernel=[nr, nc], strides=[stride_y, stride_x], pads=[pad_y, pad_x] * 2))
    if kind == "relu":
        r.expect("relu_")
        return _Layer(kind, {})
    if kind.startswith("add_prev"):
        r.expect("add_prev_")
        return _Layer("add_prev", dict(tag=kind[-1]))
    if kind == "fc":
        r.expect("fc_2")
        outputs, inputs = r.integer(), r.integer()
        params = r.tensor().ravel()
        r.alias(), r.alias()
        no_bias = r.integer() == 1  # dlib's fc_bias_mode: FC_HAS_BIAS = 0, FC_NO_BIAS = 1
        for _ in range(4):
            r.real()
        if params.size != inputs * outputs + (0 if no_bias else outputs):
            raise _FormatError("fully connected parameter size does not match its shape")
        weights, rest = params[: inputs * outputs].reshape(inputs, outputs), params[inputs * outputs :]
        return _Layer(kind, dict(w=weights, b=None if no_bias else rest))
    raise AssertionError(kind)


def _parse(data: bytes) -> tuple[tuple[float, float, float], list[_Layer]]:
    """Returns the input means (r, g, b) and the layers in forward order (input first)."""
    r = _Reader(data)
    r.version(1)  # add_loss_layer
    r.expect("loss_metric_2")
    r.real(), r.real()  # margin and distance threshold: training only
    # Each wrapper writes its version, then its subnetwork, then its own fields: the headers come
    # outermost first, and the layer bodies innermost first after the input layer.
    layer_versions = {}
    for i, kind in enumerate(_ANET):
        if kind.startswith(("tag", "skip")):
            r.version(1)
        else:
            layer_versions[i] = r.version(3, 2) if i == len(_ANET) - 1 else r.version(1, 2)
    r.expect("input_rgb_image_sized")
    means = (r.real(), r.real(), r.real())
    if (r.integer(), r.integer()) != (CHIP_SIZE, CHIP_SIZE):
        raise _FormatError(f"input size is not {CHIP_SIZE}x{CHIP_SIZE}")
    layers = []
    for i in reversed(range(len(_ANET))):
        kind = _ANET[i]
        if i not in layer_versions:
            layers.append(_Layer(kind[:-1], dict(tag=kind[-1])))
            continue
        layers.append(_read_details(r, kind))
        for _ in range(3):  # setup called, gradient stale, output disabled
            r.boolean()
        r.tensor(), r.tensor()  # x_grad and cached_output, empty in a cleaned network
        if i == len(_ANET) - 1:  # the layer on the input: grad_final and sample expansion factor
            r.tensor()
            if layer_versions[i] == 3:
                r.integer()
        elif layer_versions[i] == 2:
            r.tensor()  # params_grad
    if r.pos != len(data):
        raise _FormatError(f"{len(data) - r.pos} unexpected bytes after the network")
    return means, layers


class _Graph:
    """Collects ONNX nodes and initializers with generated names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, value: np.ndarray) -> str:
        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        name = f"t{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [name], **attrs))
        return name


def _spatial(shape: tuple[int, int, int], channels: int, p: dict[str, Any]) -> tuple[int, int, int]:
    """Output (channels, rows, columns) of a dlib convolution or pooling: 1 + (size + 2*pad - kernel) // stride."""
    sizes = zip(shape[1:], p["kernel"], p["strides"], p["pads"][:2], strict=True)
    rows, cols = (1 + (n + 2 * pad - k) // s for n, k, s, pad in sizes)
    return channels, rows, cols


def _fold_affines(layers: list[_Layer]) -> list[_Layer]:
    """Merges each affine layer into the convolution it follows (every affine in this network does)."""
    out: list[_Layer] = []
    for layer in layers:
        if layer.kind != "affine":
            out.append(layer)
            continue
        con = out[-1]
        assert con.kind == "con"
        gamma, beta = (layer.params[k].astype(np.float64) for k in ("gamma", "beta"))
        w = con.params["w"] * gamma[:, None, None, None]
        b = con.params["b"] * gamma + beta
        out[-1] = _Layer("con", dict(con.params, w=w.astype(np.float32), b=b.astype(np.float32)))
    return out


def _build(means: tuple[float, float, float], layers: list[_Layer]) -> onnx.ModelProto:
    """The ONNX model: uint8 RGB chips (N,150,150,3) in, descriptors (N,128) out."""
    g = _Graph()
    x = g.op("Cast", "chips", to=TensorProto.FLOAT)
    x = g.op("Transpose", x, perm=[0, 3, 1, 2])
    # dlib: (pixel - mean) / 256, both steps exact in float32 so the result is bit-identical.
    x = g.op("Sub", x, g.const(np.array(means, np.float32).reshape(1, 3, 1, 1)))
    x = g.op("Mul", x, g.const(np.array(1 / 256, np.float32)))
    shape = (3, CHIP_SIZE, CHIP_SIZE)  # channels, rows, columns of x
    tags: dict[str, tuple[str, tuple[int, int, int]]] = {}
    for layer in _fold_affines(layers):
        kind, p = layer.kind, layer.params
        if kind == "con":
            attrs = dict(kernel_shape=p["kernel"], strides=p["strides"], pads=p["pads"])
            x = g.op("Conv", x, g.const(p["w"]), g.const(p["b"]), **attrs)
            shape = _spatial(shape, len(p["w"]), p)
        elif kind == "relu":
            x = g.op("Relu", x)
        elif kind == "avg_pool" and p["kernel"] == [0, 0]:  # avg_pool_everything
            x = g.op("GlobalAveragePool", x)
            shape = (shape[0], 1, 1)
        elif kind in ("max_pool", "avg_pool"):
            # dlib's average ignores padded cells (it averages the clipped window).
            op, attrs = ("MaxPool", {}) if kind == "max_pool" else ("AveragePool", {"count_include_pad": 0})
            x = g.op(op, x, kernel_shape=p["kernel"], strides=p["strides"], pads=p["pads"], **attrs)
            shape = _spatial(shape, shape[0], p)
        elif kind == "tag":
            tags[p["tag"]] = (x, shape)
        elif kind == "skip":
            x, shape = tags[p["tag"]]
        elif kind == "add_prev":
            # dlib adds tensors of different shapes by treating the missing cells of each as zero.
            other, other_shape = tags[p["tag"]]
            out = (max(shape[0], other_shape[0]), max(shape[1], other_shape[1]), max(shape[2], other_shape[2]))
            x = g.op("Add", _pad_to(g, x, shape, out), _pad_to(g, other, other_shape, out))
            shape = out
        elif kind == "fc":
            x = g.op("MatMul", g.op("Flatten", x, axis=1), g.const(p["w"]))
            if p["b"] is not None:
                x = g.op("Add", x, g.const(p["b"]))
    g.nodes[-1].output[0] = "descriptors"
    graph = helper.make_graph(
        g.nodes,
        "dlib_face_resnet",
        [helper.make_tensor_value_info("chips", TensorProto.UINT8, ["N", CHIP_SIZE, CHIP_SIZE, 3])],
        [helper.make_tensor_value_info("descriptors", TensorProto.FLOAT, ["N", DESCRIPTOR_SIZE])],
        g.inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _pad_to(g: _Graph, x: str, shape: tuple[int, ...], out: tuple[int, ...]) -> str:
    """Zero-pads x (channels, rows, columns) at the end of each axis up to `out`."""
    if shape == out:
        return x
    pads = [0, 0, 0, 0] + [0] + [o - s for o, s in zip(out, shape, strict=True)]
    return g.op("Pad", x, g.const(np.array(pads, np.int64)))


class ResNetDescriptor:
    """dlib's 128-d face descriptor network, run with onnxruntime from dlib's own weights."""

    model_id: str

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        """Parse dlib's .dat file (default: face_recognition_models' copy) and build the session."""
        if model_path is None:
            import face_recognition_models

            model_path = Path(face_recognition_models.face_recognition_model_location())
        model_path = Path(model_path)
        try:
            data = model_path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the face descriptor model {model_path}: {exc.strerror}") from None
        try:
            means, layers = _parse(data)
        except _FormatError as exc:
            raise InputError(f"{model_path.name} is not dlib's face recognition ResNet model file ({exc})") from None
        self.model_id = f"dlib-resnet-v1-{hashlib.sha256(data).hexdigest()[:12]}"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            _build(means, layers).SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def compute(self, chips: np.ndarray) -> np.ndarray:
        """Descriptors (N,128) float32 for aligned RGB uint8 chips of shape (N,150,150,3)."""
        chips = np.asarray(chips)
        if chips.dtype != np.uint8 or chips.ndim != 4 or chips.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
            raise InputError(
                f"face chips must be uint8 RGB of shape (N,{CHIP_SIZE},{CHIP_SIZE},3), got {chips.dtype} {chips.shape}"
            )
        if len(chips) == 0:
            return np.zeros((0, DESCRIPTOR_SIZE), np.float32)
        descriptors: np.ndarray = self._session.run(None, {"chips": np.ascontiguousarray(chips)})[0]
        return descriptors
