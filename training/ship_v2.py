"""Ship a DFDN v2 run (train_v2.py): copy its ONNX to models/dfdn/dfdn.onnx and write
models/dfdn/dfdn.json (the inference contract + the training summary from the run's
train-log.json, best.pt's validation scores and onnx-check.json). The model card
(models/dfdn/MODEL_CARD.md) is written by hand from the benchmark (`npm run bench:detail`).

Usage: /usr/bin/python3 training/ship_v2.py RUN_DIR [--model-dir models/dfdn]
"""
import argparse
import json
import os
import shutil

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATCH, STRIDE, SIGMA, RES = 256, 192, 64, 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--model-dir", default=os.path.join(ROOT, "models", "dfdn"))
    ap.add_argument("--output-gain", type=float, default=1.0, help="the --output-gain the ONNX was exported with (recorded in dfdn.json)")
    ap.add_argument("--output-scale", type=float, default=1.0, help="dfdn.json's outputScale: the detail stage's calibration of the network's output, chosen on bench:detail's tune split")
    a = ap.parse_args()
    log = json.load(open(os.path.join(a.run, "train-log.json")))
    best = torch.load(os.path.join(a.run, "best.pt"), map_location="cpu")
    chk = json.loads(open(os.path.join(a.run, "onnx-check.json")).read().strip().splitlines()[-1])
    metas = [json.load(open(os.path.join(log["args"]["data"], i, "meta.json"))) for i in log["train"] + log["val"]]
    os.makedirs(a.model_dir, exist_ok=True)
    shutil.copyfile(os.path.join(a.run, "dfdn.onnx"), os.path.join(a.model_dir, "dfdn.onnx"))
    w = "-".join(str(x) for x in log["config"]["widths"])
    doc = {
        "format": "facedetail-dfdn", "version": 1, "inputName": "features", "outputName": "displacement",
        "channels": 6, "patchSize": PATCH, "patchStride": STRIDE, "blendSigma": SIGMA, "uvResolution": RES,
        **({"outputScale": a.output_scale} if a.output_scale != 1.0 else {}),
        "training": {
            "version": 2,
            "dataCommit": sorted({m["commit"] for m in metas}),
            "framework": "PyTorch 1.13 (CPU), exported with torch.onnx (opset 17)",
            "architecture": f"fixed log-ratio / high-pass stem, space-to-depth U-Net, widths {w}, depthwise-separable residual blocks, pixel-shuffle head",
            "parameters": log["generatorParams"], "macsPerPixel": round(log["macsPerPixel"]),
            "outputGain": a.output_gain,
            "steps": log["steps"], "bestStep": best["step"], "trainMinutes": round(log["minutes"], 1),
            "data": {
                "kind": "synthetic faces (wrinkle generator v2, training renderer v2) reconstructed by the pipeline itself",
                "trainSamples": len(log["train"]), "valSamples": len(log["val"]),
                "seeds": [min(m["seed"] for m in metas), max(m["seed"] for m in metas)],
                "withGlasses": sum(1 for m in metas if m.get("glasses")), "withHair": sum(1 for m in metas if m.get("hair")),
                "renderSizes": sorted({m["size"] for m in metas}),
            },
            "loss": "mean skin e^2 + w_grad * mean texel-gradient e^2 + w_occ * mean occluded (pred)^2, e in 0.1 mm",
            "config": {k: v for k, v in log["args"].items() if k not in ("out", "data")},
            "validation": {k: round(v, 4) if isinstance(v, float) else v for k, v in best["val"].items()},
            "onnxCheck": chk,
        },
    }
    with open(os.path.join(a.model_dir, "dfdn.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("shipped", a.run, "->", a.model_dir, os.path.getsize(os.path.join(a.model_dir, "dfdn.onnx")), "bytes")


if __name__ == "__main__":
    main()
