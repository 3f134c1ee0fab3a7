"""DFDN data preparation (after training/export/export-data.ts):

1. unit check: the Python copy of dfdnFeatures (used for synthetic samples only) against the
   features the TypeScript export wrote, on one real sample (max |diff| must be < 1e-5);
2. per sample, a detail-free albedo: texture / SH shading at the proxy normal, Gaussian
   low-pass (sigma ALBEDO_SIGMA texels, masked): the albedo of the synthetic renders and of
   the real photos' appearance loss;
3. per scan render, the ground-truth displacement in our UV layout: the GT normals sampled into
   UV give the target forward differences (slopes_from_normals); a screened Poisson solve
   (screening length SCREEN_MM) integrates them into a displacement that keeps the detail band
   and drops what is only the proxy's low-frequency misfit; zeroed in the flat mask;
4. a pool of procedural displacement maps (training seed) and a held-out pool (other seed).

Usage: /usr/bin/python3 training/prepare.py [--pool N] [--heldout-pool M]
"""
import argparse
import json
import os
import time

import numpy as np
import torch

from dfdn_common import PREP, Sample, dfdn_features_np, masked_blur_t, samples, sh_shade_t, slopes_from_normals
import procedural

ALBEDO_SIGMA = 4.0  # texels (about 0.7 mm): removes wrinkle shading from the real textures
SCREEN_MM = 3.0     # screened-Poisson length scale of the scan targets, mm (keeps wavelengths below ~10 mm)
CG_ITERS = 300


def check_features(s: Sample):
    f_py, exp, sm = dfdn_features_np(np.asarray(s.texture), np.asarray(s.normal), np.asarray(s.coverage),
                                     np.asarray(s.confidence), s.sh, np.asarray(s.flat))
    diff = np.abs(f_py - np.asarray(s.features))
    worst = np.unravel_index(diff.argmax(), diff.shape)
    res = {"sample": s.id, "maxAbsDiff": float(diff.max()), "worst": [int(i) for i in worst],
           "exposure": [exp, s.meta["exposure"]], "shadingMean": [sm, s.meta["shadingMean"]]}
    print("feature check", res)
    assert diff.max() < 1e-5, f"Python dfdn features differ from TS by {diff.max()} at {worst}"
    return res


def albedo(s: Sample):
    t = torch.from_numpy(np.array(s.texture))[None]
    n0 = torch.from_numpy(np.array(s.normal))[None]
    shade = sh_shade_t(torch.from_numpy(s.sh).float(), n0)
    cov = torch.from_numpy(np.array(s.coverage)).float()[None, None]
    conf = torch.from_numpy(np.array(s.confidence))[None, None]
    mean_s = (shade * cov).sum((2, 3), keepdim=True) / cov.sum().clamp_min(1)
    ok = cov * (conf > 0.05).float() * (shade > 0.05 * mean_s).float()
    rho = t / shade.clamp_min(1e-4) * ok
    w = ok.expand_as(rho)
    out = masked_blur_t(rho, w, ALBEDO_SIGMA) * cov
    return out[0].numpy().astype(np.float16)


def screened_poisson(du, dv, M, lam, iters=CG_ITERS):
    """argmin sum_eu (Dx d - du)^2 + sum_ev (Dy d - dv)^2 + lam sum_M d^2, d = 0 outside M."""
    M = M.float(); du = du.float(); dv = dv.float()
    eu = M[:, 1:] * M[:, :-1]
    ev = M[1:, :] * M[:-1, :]

    def Dx(d): return d[:, 1:] - d[:, :-1]
    def Dy(d): return d[1:, :] - d[:-1, :]

    def DxT(r):
        o = torch.zeros_like(M); o[:, :-1] -= r; o[:, 1:] += r; return o

    def DyT(r):
        o = torch.zeros_like(M); o[:-1, :] -= r; o[1:, :] += r; return o

    def A(d): return (DxT(eu * Dx(d)) + DyT(ev * Dy(d)) + lam * M * d) * M + (1 - M) * d
    b = (DxT(eu * du[:, :-1]) + DyT(ev * dv[:-1, :])) * M
    diag = (torch.nn.functional.pad(eu, (1, 0)) + torch.nn.functional.pad(eu, (0, 1))
            + torch.nn.functional.pad(ev, (0, 0, 1, 0)) + torch.nn.functional.pad(ev, (0, 0, 0, 1)) + lam) * M + (1 - M)
    x = torch.zeros_like(M)
    r = b - A(x); z = r / diag; p = z.clone(); rz = (r * z).sum()
    b_norm = b.norm().clamp_min(1e-12)
    for i in range(iters):
        Ap = A(p)
        alpha = rz / (p * Ap).sum()
        x += alpha * p; r -= alpha * Ap
        if r.norm() / b_norm < 1e-4:
            break
        z = r / diag
        rz_new = (r * z).sum()
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x.float(), i + 1, float(r.norm() / b_norm)


def scan_target(s: Sample):
    n0 = torch.from_numpy(np.array(s.normal)); a = torch.from_numpy(np.array(s.dpdu)); b = torch.from_numpy(np.array(s.dpdv))
    nt = torch.from_numpy(np.array(s.gtnormal))
    M = (torch.from_numpy(np.array(s.gtvalid)) > 0) & (torch.from_numpy(np.array(s.coverage)) > 0)
    M = M & (torch.from_numpy(np.array(s.confidence)) > 0.5)
    # Erode by one texel: GT samples at the face-region border mix two surfaces.
    Mf = M.float()[None, None]
    Mf = (-torch.nn.functional.max_pool2d(-Mf, 3, 1, 1))[0, 0]
    du, dv = slopes_from_normals(nt, n0, a, b)
    texel = float(torch.sqrt((a * a).sum(0))[Mf > 0].median())
    lam = (texel / SCREEN_MM) ** 2
    # Solve on the bounding box of the valid texels only.
    ys, xs = torch.nonzero(Mf > 0, as_tuple=True)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 2, int(xs.min()), int(xs.max()) + 2
    d = torch.zeros_like(Mf)
    d[y0:y1, x0:x1], it, rel = screened_poisson(du[y0:y1, x0:x1], dv[y0:y1, x0:x1], Mf[y0:y1, x0:x1], lam)
    flat = torch.from_numpy(np.array(s.flat))
    d = d * (1 - flat) * Mf
    return d.numpy(), Mf.numpy().astype(np.uint8), {"texelMm": texel, "cgIters": it, "cgRel": rel,
                                                      "validTexels": int(Mf.sum()), "rmsMm": float(d[Mf > 0].pow(2).mean().sqrt())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pool", type=int, default=120)
    ap.add_argument("--heldout-pool", type=int, default=16)
    args = ap.parse_args()
    torch.set_num_threads(2)
    os.makedirs(PREP, exist_ok=True)
    t0 = time.time()
    report = {}
    allS = samples()
    photos = [s for s in allS if s.kind == "photo"]
    report["featureCheck"] = check_features(photos[0])
    for s in allS:
        p = s.prep_path("albedo.npy")
        if not os.path.exists(p):
            np.save(p, albedo(s))
    print(f"albedos done {time.time() - t0:.0f} s")
    report["scanTargets"] = {}
    for s in allS:
        if not s.has_gt:
            continue
        p = s.prep_path("target.npy")
        if os.path.exists(p):
            continue
        d, M, info = scan_target(s)
        np.save(p, d.astype(np.float32)); np.save(s.prep_path("tvalid.npy"), M)
        report["scanTargets"][s.id] = info
        print(s.id, info, f"{time.time() - t0:.0f} s")
    lm = procedural.load_landmark_px()
    for name, n, seed in (("pool_train.npy", args.pool, 1), ("pool_heldout.npy", args.heldout_pool, 2)):
        p = os.path.join(PREP, name)
        if os.path.exists(p) and np.load(p, mmap_mode="r").shape[0] == n:
            continue
        rng = np.random.default_rng(seed)
        arr = np.lib.format.open_memmap(p + ".tmp.npy", mode="w+", dtype=np.float16, shape=(n, 1024, 1024))
        params = []
        for i in range(n):
            m, prm = procedural.generate(rng, lm)
            arr[i] = m.astype(np.float16)
            params.append(prm)
        arr.flush(); del arr
        os.replace(p + ".tmp.npy", p)
        with open(p.replace(".npy", ".json"), "w") as f:
            json.dump(params, f)
        print(f"{name}: {n} maps {time.time() - t0:.0f} s")
    report["seconds"] = time.time() - t0
    with open(os.path.join(PREP, "prepare-report.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
