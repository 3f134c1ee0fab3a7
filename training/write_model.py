"""Ship a trained run: copy its ONNX to models/dfdn/dfdn.onnx and write models/dfdn/dfdn.json
(the inference contract + training summary) and models/dfdn/MODEL_CARD.md (from the run's
train-log.json, onnx-check.json, metrics.json and the data index).

Usage: /usr/bin/python3 training/write_model.py RUN_DIR [--total-seconds S]
"""
import argparse
import json
import os
import shutil

from dfdn_common import DATA, load_index

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.environ.get("DFDN_MODEL_DIR", os.path.join(ROOT, "models", "dfdn"))
PATCH, STRIDE, SIGMA = 256, 192, 64


def fmt(x, n=3):
    return f"{x:.{n}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--total-seconds", type=float, default=None)
    a = ap.parse_args()
    log = json.load(open(os.path.join(a.run, "train-log.json")))
    met = json.load(open(os.path.join(a.run, "metrics.json")))
    chk = json.loads(open(os.path.join(a.run, "onnx-check.json")).read().strip().splitlines()[-1])
    idx = load_index()
    prep = json.load(open(os.path.join(DATA, "prep", "prepare-report.json")))
    os.makedirs(OUT, exist_ok=True)
    shutil.copyfile(os.path.join(a.run, "dfdn.onnx"), os.path.join(OUT, "dfdn.onnx"))
    size = os.path.getsize(os.path.join(OUT, "dfdn.onnx"))
    photos = [s for s in idx["samples"] if s["kind"] == "photo"]
    scans = [s for s in idx["samples"] if s["kind"] == "scan"]
    args = log["args"]
    training = {
        "dataCommit": idx["commit"],
        "framework": "PyTorch 1.13 (CPU), exported with torch.onnx (opset 17)",
        "architecture": "fixed log-ratio / high-pass stem, space-to-depth U-Net, widths 16-32-64, depthwise-separable residual blocks, pixel-shuffle head",
        "parameters": log["generatorParams"],
        "macsPerPixel": round(log["macsPerPixel"]),
        "steps": log["steps"],
        "trainMinutes": round(log["minutes"], 1),
        "pipelineMinutes": round(a.total_seconds / 60, 1) if a.total_seconds else None,
        "config": {k: v for k, v in args.items() if k != "out"},
        "finalLosses": {k: round(v, 5) for k, v in log["finalLosses"].items()},
        "finalLossesAveragedOverSteps": log["finalLossesOver"],
        "data": {
            "photosTrain": [s["id"] for s in photos if s["split"] == "train"],
            "photosHeldout": [s["id"] for s in photos if s["split"] == "heldout"],
            "scanRendersTrain": len([s for s in scans if s["split"] == "train"]),
            "scanRendersHeldout": len([s for s in scans if s["split"] == "heldout"]),
            "proceduralMaps": log["sources"]["proceduralMaps"],
        },
        "heldout": {
            "scan": met["scanHeldout"]["mean"], "synthetic": met["syntheticHeldout"]["mean"], "photos": met["photoHeldout"]["mean"],
        },
        "onnxMaxAbsDiffVsTorchMm": chk.get("maxAbsDiffMm"),
        "onnxMsMedian25Patches": round(chk["msMedian"], 1),
    }
    meta = {
        "format": "facedetail-dfdn", "version": 1, "inputName": "features", "outputName": "displacement",
        "channels": 6, "patchSize": PATCH, "patchStride": STRIDE, "blendSigma": SIGMA, "uvResolution": 1024,
        "training": training,
    }
    with open(os.path.join(OUT, "dfdn.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")

    sc, sy, ph = met["scanHeldout"]["mean"], met["syntheticHeldout"]["mean"], met["photoHeldout"]["mean"]
    fl = log["finalLosses"]
    card = f"""# DFDN — learned facial-detail network (facedetail issue 6, part C)

A small U-Net that maps the 6 DFDN feature channels of an unwrapped face (1024² UV map, MediaPipe
face-mesh layout; `src/core/detail/dfdn-features.ts`) to a displacement along the proxy normal,
in millimetres. Inference runs patch-wise: {PATCH}² patches, stride {STRIDE} (25 patches for a
1024² map), blended with Gaussian weights of σ = {SIGMA} px around each patch centre; the caller
masks the result by the UV coverage (and may fade it in the flat mask).

| file | what |
|---|---|
| `dfdn.onnx` | the generator, opset 17, input `features` float32 [N, 6, 256, 256], output `displacement` float32 [N, 1, 256, 256] (mm), float32 weights, {size / 1024:.0f} KB |
| `dfdn.json` | the inference contract (names, patch size, stride, blend σ) and this card's numbers |

Reproduce: `npm run train:dfdn` (`training/train.sh`; see `training/README.md`). Data commit
`{idx['commit']}`.

## Architecture
A fixed, parameter-free stem (part of the graph) appends two channels: log(luminance / smooth
shading) and its 5×5 local high-pass (the shading detail to explain; without them training
collapsed to d = 0, see below). Then a space-to-depth U-Net: a 2×2 stride-2 convolution (8 → 16
channels at 128²), residual
depthwise-separable 3×3 blocks at 1/2, 1/4 and 1/8 resolution (widths 16, 32, 64; 2, 2, 3 blocks),
1×1 reductions, nearest upsampling and additive skips on the way up (one block per level), a 1×1
head to 4 channels and a pixel shuffle back to 256² (so the output keeps per-texel detail).
LeakyReLU 0.1, no normalisation layers. {log['generatorParams']:,} parameters,
{log['macsPerPixel']:.0f} multiply-adds per output pixel.
Speed: 25 patches of 256² (one 1024² map) in **{chk['msMedian']:.0f} ms** median with onnxruntime-node
{'1.30'} on 2 threads of the 2-core development machine (runs: {chk['msAll']}). ONNX vs PyTorch on a
reference input: max |difference| {chk.get('maxAbsDiffMm', float('nan')):.1e} mm.
A first design with a full-resolution 3×3 input convolution and a separable full-resolution head
(1.8 kMAC/px) measured ≈ 0.7 s per map (untrained weights, busy CPU — a rough comparison: near-zero
untrained weights can also hit slow denormal arithmetic); the space-to-depth version with untrained
weights measured 184 ms in the same way. Full-resolution memory traffic is what the stem avoids.

A PatchGAN discriminator (5 convolutions, 12–48 channels, conditioned on the features) is used
for training only and is not shipped.

## Training data (all made by the project)
- **Synthetic pairs** ({log['sources']['proceduralMaps']} procedural displacement maps from
  `training/procedural.py`, seed 1, plus the scan's detail from the tune renders, p =
  {args['p_scan_disp']}): forehead lines, glabellar lines, crow's feet, under-eye wrinkles,
  nasolabial folds, marionette lines, pores and fine roughness, each map with an age in [0, 1] and
  an expression (neutral, smile, surprise, frown, squint) that scale count, depth and width;
  placed with the face-mesh landmark UVs. Rendered in UV space on the proxy geometry of a training
  photo or scan render: albedo · SH(n(d)) with the product's normal model (`n(d)` from dPdu,
  dPdv and forward differences, as the SfS solver), albedo = that sample's unwrapped texture
  divided by its fitted SH shading and low-passed (σ = 4 texels, i.e. its own detail removed),
  with random chromatic freckles; random SH lighting (soft frontal, raking side, top, two-light
  coloured, any direction; ambient 0.03–0.4); Gaussian blur σ 0.3–1.6 px (p = 0.6) and noise;
  features with exactly `dfdnFeatures`' arithmetic (the Python copy is checked against the
  TypeScript output on a real sample: max |diff| {prep['featureCheck']['maxAbsDiff']:.1e}).
- **Scan renders** ({training['data']['scanRendersTrain']} tune-half views of the accuracy
  benchmark, `bench/accuracy/scene.ts`): the pipeline's real features; target = the scan's ground-truth
  normals (geometry ⊕ its detail normal map) sampled into our UV layout through the proxy
  (visibility by depth relative to the view's median offset), converted to slopes and integrated by a
  screened Poisson solve (length 3 mm: the detail band; the proxy's low-frequency misfit is
  dropped), zero in the flat mask. The benchmark's held-out half is used only for evaluation.
- **Real photos, unsupervised** ({len(training['data']['photosTrain'])} train photos of
  `$FACEDETAIL_SHARED/photos`; held out: {', '.join(training['data']['photosHeldout'])};
  `non_face.jpg` excluded): appearance loss |T − ρ·SH(n(d))| / exposure weighted by
  confidence × skin × (1 − flat), ρ the low-passed albedo above, SH the pipeline's fitted lighting;
  plus a thin-plate smoothness term.

## Losses and configuration
`L_G = w_geo·(G_syn + w_scan·G_scan) + w_app·(A_syn + A_real) + w_smooth·mean((Δd/0.1 mm)²) + w_gan·LSGAN_G`,
`G = mean(e²) + w_grad·mean((∂e)²)` with e the displacement error in units of 0.1 mm and
∂ the texel differences (slopes), `A = mean_w |T − ρ·SH(n(d))| / exposure`;
w_geo = {args['w_geo']}, w_scan = {args['w_scan']}, w_grad = {args['w_grad']}, w_app = {args['w_app']},
w_smooth = {args['w_smooth']}, w_gan = {args['w_gan']} (GAN from step {args['gan_start']}; conditional
PatchGAN on features + displacement, LSGAN, Adam lr {args['lr_d']}). The paper's L1 geometry loss
(and L1 + L2) made this network collapse to d = 0 on our sparse targets (most texels carry no
wrinkle, so the L1 subgradient pulls every texel to 0 with unit force; output RMS 4·10⁻⁵ mm after
500 steps), hence squared errors. Generator Adam lr {args['lr']} (100-step warm-up, cosine to
3 % over the steps or the time budget, whichever ends first), gradient clipping 5. Per step
{args['b_syn']} synthetic, {args['b_scan']} scan and {args['b_real']} real {args['crop']}² crops (half of the
synthetic crops centred where the procedural maps have detail). {log['steps']} steps,
{log['minutes']:.0f} min of training on the shared 2-core CPU (PyTorch, 2 threads; other processes
were using the CPU too). Whole `npm run train:dfdn` from scratch: ≈ 45–50 min (export ≈ 5.5 min, prepare
≈ 8 min, training {log['minutes']:.0f} min, ONNX + evaluation ≈ 5 min).

Final losses (mean of the last {log['finalLossesOver']} steps):
{chr(10).join(f'- {k}: {v:.4f}' for k, v in fl.items())}

## Held-out results
Whole 1024² maps, patch inference as shipped.

**Scan renders, held-out half** ({met['scanHeldout']['views']} views with ≥ 20k target texels; same subject as the
tune renders, different pose / light / lens / size — this is NOT an unseen identity):

| method | L1 (mm) | L1 in the target's band (mm) | normal angle (°) | r (band) | RMS (mm) |
|---|---|---|---|---|---|
| zero displacement | {fmt(sc['zero_l1'])} | {fmt(sc['zero_l1'])} | {fmt(sc['zero_deg'], 2)} | – | 0 |
| DFDN | {fmt(sc['dfdn_l1'])} | {fmt(sc['dfdn_l1_band'])} | {fmt(sc['dfdn_deg'], 2)} | {fmt(sc['dfdn_r_band'])} | {fmt(sc['dfdn_rms'])} |
| SfS solver (current product) | {fmt(sc['sfs_l1'])} | {fmt(sc['sfs_l1_band'])} | {fmt(sc['sfs_deg'], 2)} | {fmt(sc['sfs_r_band'])} | {fmt(sc['sfs_rms'])} |

Target RMS {fmt(sc['target_rms'])} mm. Normal angle: between n(prediction) and n(target) with the product's normal model.

**Synthetic, held-out** ({met['syntheticHeldout']['samples']} renders: held-out procedural maps, seed 2, on the held-out photos' albedo and geometry):

| method | L1 (mm) | normal angle (°) | r |
|---|---|---|---|
| zero displacement | {fmt(sy['zero_l1'])} | {fmt(sy['zero_deg'], 2)} | – |
| DFDN | {fmt(sy['dfdn_l1'])} | {fmt(sy['dfdn_deg'], 2)} | {fmt(sy['dfdn_r'])} |

True RMS {fmt(sy['true_rms'])} mm.

**Real held-out photos** ({met['photoHeldout']['photos']}; no ground truth): appearance residual on skin
(mean |T − ρ·SH(n(d))| / exposure): zero {fmt(ph['zero_app'], 4)}, DFDN {fmt(ph['dfdn_app'], 4)}, SfS solver
{fmt(ph['sfs_app'], 4)}; displacement RMS on skin: DFDN {fmt(ph['dfdn_rms'])} mm, solver {fmt(ph['sfs_rms'])} mm.

## Known limits
See "Observations" below (written after looking at the maps) and:
- One real scanned identity (Lee Perry-Smith); every other geometric target is procedural. The
  held-out scan numbers measure pose/light robustness on that same face, not generalisation to
  new people.
- The albedo of the synthetic renders is low-passed: real albedo detail (pores' colour, stubble,
  moles, make-up) is only approximated by random freckles, so some albedo texture is still read as
  relief on real photos.
- No specular reflection in the synthetic renders (the scan renders have some).
- Trained on CPU for under an hour: a modest model. The scan target keeps a 3 mm-screened band:
  broader shape (cheek / nose-side misfit of the proxy) is not the network's job.

## Observations (looking at the held-out maps, `training/runs/main/figures/`)
- Scan renders: the prediction reproduces the target's layout at the few-mm scale (deeper under
  the eyes and beside the nose, the brow ridge), about a quarter of its amplitude; correlation
  0.2–0.47 with the target band, vs 0.06–0.18 for the SfS solver. But this is the training
  subject: the network has partly learned *this face's* layout.
- Synthetic held-out wrinkles: the network does NOT recover the procedural forehead lines,
  nasolabial folds or crow's feet well (r ≈ 0.09; L1 and normal angle are worse than predicting
  zero): it adds a face-region prior instead (rims along the eye, nostril and mouth masks).
- Real photos: the same region prior (dark rims at the flat-mask borders, shading of the eye
  sockets and nasolabial region); fine wrinkles (crow's feet, forehead lines) that the SfS solver
  picks up, noisily, are mostly missing; glasses frames are read as relief (grace_hopper).
- In short: a working pipeline and a modest first model. More training time (it stopped at
  5.4 k steps), a larger share of synthetic data relative to the single scan (lower w_scan), and
  removing the flat-mask-border artefacts from the scan targets are the obvious next steps.

## Why it does not learn the procedural wrinkles (diagnosis after training)
Measured with the shipped checkpoint and short probe runs (branch `wip/dfdn-light-channels`,
`training/experiments/probe_learnability.py` there):
- On TRAINING synthetic crops with procedural maps only, the shipped network's geometry loss is
  0.25 against 0.22 for predicting zero: it learned nothing of them. The procedural crops' loss
  is ~30× smaller than that of the crops carrying the scan's detail (the scan renders and the
  synthetic renders of the scan's own map), so those dominate the gradient, and the logged
  `geo_syn` never fell below its first-steps value (1.47 → 1.50).
- A per-crop relative loss (each crop's error ÷ its zero-prediction error + c) removes the
  imbalance, but the output then collapses to ~0 (RMS 0.002 mm after 2.6 k steps).
- The wrinkles ARE in the features: two extra channels with the first-order shading change per
  displacement slope (from the SH lighting and the proxy frame) predict the detail shading with
  r = 0.8–1.0 on clean crops. But the procedural wrinkles change the shading by only 1–5 %,
  at the level of the render noise and of the albedo clutter (log-ratio std 0.03–0.8), and no
  variant learned them quickly: 1,500 synthetic-only steps reach 0.95–0.98 of the
  zero-prediction loss with or without the extra channels.
- Next: deeper, more contrasted synthetic wrinkles (real forehead lines and folds are 0.2–1 mm
  deep), cavity / occlusion darkening in the synthetic render (why creases look dark under frontal
  light in photos), a curriculum from clean to degraded renders, and then the relative loss.

## Licenses and attribution
- Weights: MIT, like facedetail; made by this project's code from the data below.
- "Infinite, 3D Head Scan" by Lee Perry-Smith, CC BY 3.0 (www.triplegangers.com, ir-ltd.net):
  its renders and ground-truth normals were training targets; attribution required.
- Photos of `$FACEDETAIL_SHARED/photos` (see its README: US government works and public domain,
  Human library samples and face-api.js examples distributed with MIT projects): unsupervised
  training (appearance loss) and albedo sources; not redistributed.
- MediaPipe face-mesh UV layout and landmark indices: Apache-2.0, Google.
"""
    with open(os.path.join(OUT, "MODEL_CARD.md"), "w") as f:
        f.write(card)
    print("wrote", OUT, size, "bytes")


if __name__ == "__main__":
    main()
