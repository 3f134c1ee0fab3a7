"""Export the DFDN generator to ONNX (opset 17, input `features` [N,6,256,256] with dynamic N,
output `displacement` [N,1,256,256], mm) and write a reference input/output pair for the
TypeScript-side check (training/export/check-onnx.ts).

Usage: /usr/bin/python3 training/export_onnx.py CHECKPOINT OUT.onnx [--ref DIR]
"""
import argparse
import os

import numpy as np
import torch

from model import Generator


def export(gen, path, patch=256):
    gen = gen.eval()
    x = torch.zeros(1, 6, patch, patch)
    torch.onnx.export(gen, x, path, input_names=["features"], output_names=["displacement"], opset_version=17,
                      dynamic_axes={"features": {0: "N"}, "displacement": {0: "N"}}, do_constant_folding=True)


def write_reference(gen, feats, out_dir):
    """feats: (N,6,256,256) float32 -> writes ref-input.f32, ref-output.f32, ref.json."""
    os.makedirs(out_dir, exist_ok=True)
    with torch.no_grad():
        y = gen.eval()(torch.from_numpy(feats)).numpy()
    feats.astype(np.float32).tofile(os.path.join(out_dir, "ref-input.f32"))
    y.astype(np.float32).tofile(os.path.join(out_dir, "ref-output.f32"))
    with open(os.path.join(out_dir, "ref.json"), "w") as f:
        f.write('{"n": %d, "size": %d}' % (feats.shape[0], feats.shape[2]))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--ref", default=None)
    ap.add_argument("--output-gain", type=float, default=1.0,
                    help="scale the network's output (its out_scale) by this factor: the shipped v2 uses the detail strength chosen on bench:detail's tune split")
    a = ap.parse_args()
    torch.set_num_threads(2)
    st = torch.load(a.checkpoint, map_location="cpu") if a.checkpoint != "random" else {}
    # v2 checkpoints (train_v2.py) carry their architecture; v1 ones use the defaults.
    cfg = st.get("config", {})
    g = Generator(**{k: tuple(v) for k, v in cfg.items()})
    if st:
        g.load_state_dict(st["generator"])
    g.out_scale *= a.output_gain
    export(g, a.out)
    if a.ref:
        rng = np.random.default_rng(0)
        write_reference(g, rng.uniform(0, 2, (2, 6, 256, 256)).astype(np.float32), a.ref)
    print("wrote", a.out, os.path.getsize(a.out), "bytes")
