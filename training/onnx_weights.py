"""Read a DFDN ONNX file's weights back into a PyTorch Generator (no `onnx` package needed).

The shipped models keep only the ONNX file, so a run whose checkpoint is gone can still be
fine-tuned from what is in `models/dfdn` or `training/candidates/<name>`:
`train_v2.py --init-onnx ../models/dfdn/dfdn.onnx`. torch.onnx.export keeps the parameter names
as initializer names, so the state dict is rebuilt by name; the output gain baked in by
`export_onnx.py --output-gain` is a separate constant and is not read back (the Generator keeps
its training out_scale).

Only the few protobuf fields that hold initializers are decoded: ModelProto.graph (7) ->
GraphProto.initializer (5) -> TensorProto dims (1), data_type (2), float_data (4), name (8),
raw_data (9).
"""
import numpy as np


def _varint(b, i):
    v, s = 0, 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def _fields(b):
    """Yield (field number, wire type, value) of one protobuf message; value is int or bytes."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = _varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {w}")
        yield f, w, v


def _tensor(b):
    dims, dtype, name, raw, floats = [], 1, "", None, []
    for f, w, v in _fields(b):
        if f == 1:
            if w == 2:  # packed
                j = 0
                while j < len(v):
                    d, j = _varint(v, j)
                    dims.append(d)
            else:
                dims.append(v)
        elif f == 2:
            dtype = v
        elif f == 8:
            name = bytes(v).decode()
        elif f == 9:
            raw = bytes(v)
        elif f == 4:
            floats.append(np.frombuffer(bytes(v), "<f4") if w == 2 else np.frombuffer(bytes(v), "<f4"))
    if dtype == 1:
        a = np.frombuffer(raw, "<f4") if raw is not None else (np.concatenate(floats) if floats else np.zeros(0, np.float32))
    elif dtype == 7:
        a = np.frombuffer(raw or b"", "<i8")
    else:
        return name, None
    return name, a.reshape(dims) if dims else a.reshape(())


def initializers(path):
    """{name: numpy array} of an ONNX file's graph initializers (float32 and int64 only)."""
    data = memoryview(open(path, "rb").read())
    out = {}
    for f, _, v in _fields(data):
        if f != 7:
            continue
        for g, _, t in _fields(v):
            if g == 5:
                name, a = _tensor(t)
                if a is not None:
                    out[name] = a.copy()
    return out


def load_generator(gen, path):
    """Copy the ONNX file's weights into gen by name; raises if any parameter is missing or misshaped."""
    import torch

    init = initializers(path)
    sd = gen.state_dict()
    missing = [k for k in sd if k not in init]
    if missing:
        raise KeyError(f"{path}: no initializer for {len(missing)} tensors, e.g. {missing[:4]}")
    new = {}
    for k, v in sd.items():
        a = init[k]
        if tuple(a.shape) != tuple(v.shape):
            raise ValueError(f"{path}: {k} has shape {a.shape}, the model wants {tuple(v.shape)}")
        new[k] = torch.from_numpy(a.astype(np.float32)).to(v.dtype)
    gen.load_state_dict(new)
    return gen
