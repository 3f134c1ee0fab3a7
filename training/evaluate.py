"""Evaluate a trained DFDN on held-out data, the way the product runs it (whole 1024^2 map as
256^2 patches, stride and Gaussian blend weights of models/dfdn/dfdn.json):

- held-out scan renders (the benchmark's held-out half; the subject is the same as in the tune
  renders, so this measures robustness to pose / light / resolution, not to identity): L1 (mm)
  against the scan's detail in our UV layout; L1 after projecting the prediction onto the same
  detail band as the target (screened Poisson of its own slopes, prepare.py); mean angle between
  n(prediction) and n(target); correlation of the band-limited fields. Baselines: zero
  displacement, and the product's shape-from-shading solver (sfs.f32 from the export);
- held-out synthetic renders: held-out procedural maps (other seed) on held-out photos' albedo
  and geometry, random light: L1 and normal angle against the truth, vs zero;
- held-out real photos: the appearance residual |T - rho * SH(n(d))| / exposure on skin, for
  the prediction, zero and the solver (lower = shading better explained; not a geometry metric).
Writes metrics.json and PNG figures to the run folder (displacement grey scale: mid grey = 0,
white / black = +-0.3 mm for scan rows [texture | target | DFDN | SfS solver | DFDN unmasked],
+-0.15 mm for synthetic [texture | truth | DFDN] and photo rows [texture | DFDN | SfS solver]).

Usage: /usr/bin/python3 training/evaluate.py RUN_DIR [--stride 192 --sigma 64]
"""
import argparse
import json
import math
import os

import numpy as np
import torch
from PIL import Image

from dfdn_common import LUM, PREP, normals_from_disp, samples, sh_shade_t
from model import Generator
from prepare import SCREEN_MM, screened_poisson
from train import lum, random_sh
from dfdn_common import blur_t

torch.set_num_threads(2)


def blend_weight(P, sigma):
    c = (P - 1) / 2
    x = np.arange(P) - c
    g = np.exp(-0.5 * (x / sigma) ** 2)
    return np.outer(g, g).astype(np.float32)


def infer_full(G, feats, P=256, stride=192, sigma=64.0, batch=25):
    """feats (6,H,W) float32 -> displacement (H,W) by overlapping patches, Gaussian-weighted."""
    _, H, W = feats.shape
    ys = list(range(0, H - P + 1, stride)); xs = list(range(0, W - P + 1, stride))
    if ys[-1] != H - P: ys.append(H - P)
    if xs[-1] != W - P: xs.append(W - P)
    pos = [(y, x) for y in ys for x in xs]
    w = blend_weight(P, sigma)
    acc = np.zeros((H, W), np.float32); wsum = np.zeros((H, W), np.float32)
    with torch.no_grad():
        for i in range(0, len(pos), batch):
            chunk = pos[i:i + batch]
            x = torch.from_numpy(np.stack([feats[:, y:y + P, x:x + P] for y, x in chunk]))
            out = G(x)[:, 0].numpy()
            for (y, x), o in zip(chunk, out):
                acc[y:y + P, x:x + P] += w * o; wsum[y:y + P, x:x + P] += w
    return acc / np.maximum(wsum, 1e-12), len(pos)


def geom_t(s):
    f = lambda a: torch.from_numpy(np.array(a, dtype=np.float32))
    return f(s.normal)[None], f(s.dpdu)[None], f(s.dpdv)[None], (f(s.coverage) > 0).float()[None, None]


def angle_deg(n1, n2, m):
    c = (n1 * n2).sum(1).clamp(-1, 1)[0]
    a = torch.rad2deg(torch.acos(c))
    return float(a[m].mean())


def band(d, s, M, texel):
    """Project a displacement onto the target's detail band: screened Poisson of its slopes."""
    dt = torch.from_numpy(d).float()
    du = torch.zeros_like(dt); dv = torch.zeros_like(dt)
    du[:, :-1] = dt[:, 1:] - dt[:, :-1]; dv[:-1, :] = dt[1:, :] - dt[:-1, :]
    Mt = torch.from_numpy(M.astype(np.float32))
    ys, xs = torch.nonzero(Mt > 0, as_tuple=True)
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 2, int(xs.min()), int(xs.max()) + 2
    out = torch.zeros_like(dt)
    out[y0:y1, x0:x1] = screened_poisson(du[y0:y1, x0:x1], dv[y0:y1, x0:x1], Mt[y0:y1, x0:x1], (texel / SCREEN_MM) ** 2)[0]
    return (out * (1 - torch.from_numpy(np.array(s.flat))) * Mt).numpy()


def corr(a, b):
    a = a - a.mean(); b = b - b.mean()
    return float((a * b).sum() / math.sqrt((a * a).sum() * (b * b).sum() + 1e-20))


def disp_png(d, scale=0.5):
    """Displacement (mm) as grey: 0 = mid grey, +-scale mm = white / black."""
    return np.clip(127.5 + d / scale * 127.5, 0, 255).astype(np.uint8)


def tex_png(feats):
    t = np.clip(np.transpose(feats[:3], (1, 2, 0)) * 0.5, 0, 1) ** (1 / 2.2)
    return (t * 255).astype(np.uint8)


def gray3(x):
    return np.repeat(x[..., None], 3, 2)


def save_row(path, tiles, size=384):
    ims = [Image.fromarray(t if t.ndim == 3 else gray3(t)).resize((size, size), Image.BILINEAR) for t in tiles]
    out = Image.new("RGB", (size * len(ims), size))
    for i, im in enumerate(ims):
        out.paste(im, (i * size, 0))
    out.save(path)


def render_full(src, rho, dmap, sh, rng):
    """Full-map synthetic render + features (dfdnFeatures arithmetic, torch), one sample."""
    n0, a, b, cov = geom_t(src)
    d = torch.from_numpy(dmap)[None, None] * (1 - torch.from_numpy(np.array(src.flat)))[None, None] * cov
    shT = torch.from_numpy(sh).float()
    n = normals_from_disp(d, n0, a, b, cov)
    img = torch.from_numpy(rho)[None] * sh_shade_t(shT, n)
    img = blur_t(img, 0.7)
    conf = torch.from_numpy(np.array(src.confidence))[None, None]
    w = conf * cov
    e = float((lum(img) * w).sum() / w.sum())
    img = (img + torch.randn_like(img) * 0.005 * e).clamp_min(0)
    e = float((lum(img) * w).sum() / w.sum())
    s0 = lum(sh_shade_t(shT, n0))
    sm = float((s0 * w).sum() / w.sum())
    feats = torch.cat([(img / e).clamp(0, 4), (s0 / sm).clamp(0, 4), conf, torch.from_numpy(np.array(src.flat))[None, None]], 1) * cov
    return feats[0].numpy(), d[0, 0].numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--stride", type=int, default=192)
    ap.add_argument("--sigma", type=float, default=64.0)
    ap.add_argument("--max-scan", type=int, default=24)
    ap.add_argument("--quick", action="store_true", help="a few samples of each kind (smoke test)")
    args = ap.parse_args()
    nq = 2 if args.quick else 10 ** 6
    if args.quick:
        args.max_scan = 3
    ck = torch.load(os.path.join(args.run, "checkpoint.pt"), map_location="cpu")
    G = Generator(); G.load_state_dict(ck["generator"]); G.eval()
    figs = os.path.join(args.run, "figures"); os.makedirs(figs, exist_ok=True)
    res = {"stride": args.stride, "sigma": args.sigma}

    # --- held-out scan renders -----------------------------------------------------------
    rows = []
    for s in samples("scan", "heldout")[: args.max_scan]:
        M = np.load(s.prep_path("tvalid.npy")) > 0
        flat = np.array(s.flat)
        m = M & (flat < 0.5)
        if m.sum() < 20000:
            continue
        tgt = np.load(s.prep_path("target.npy"))
        feats = np.array(s.features)
        pred, _ = infer_full(G, feats, stride=args.stride, sigma=args.sigma)
        sfs = np.array(s.sfs)
        n0, a, b, cov = geom_t(s)
        texel = float(np.median(np.sqrt((np.array(s.dpdu) ** 2).sum(0))[M]))
        nt = normals_from_disp(torch.from_numpy(tgt)[None, None], n0, a, b, cov)
        me = torch.from_numpy(m & (np.roll(m, -1, 0)) & (np.roll(m, -1, 1)))
        r = {"id": s.id, "light": s.meta["light"], "texels": int(m.sum())}
        for name, d in (("zero", np.zeros_like(tgt)), ("dfdn", pred), ("sfs", sfs)):
            nd = normals_from_disp(torch.from_numpy(d)[None, None], n0, a, b, cov)
            r[f"{name}_l1"] = float(np.abs(d - tgt)[m].mean())
            r[f"{name}_deg"] = angle_deg(nd, nt, me)
            if name != "zero":
                db = band(d, s, M, texel)
                r[f"{name}_l1_band"] = float(np.abs(db - tgt)[m].mean())
                r[f"{name}_r_band"] = corr(db[m], tgt[m])
                r[f"{name}_rms"] = float(np.sqrt((d[m] ** 2).mean()))
        r["target_rms"] = float(np.sqrt((tgt[m] ** 2).mean()))
        rows.append(r)
        print(s.id, {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}, flush=True)
        if len(rows) <= 6:
            mm = lambda d: np.where(M, d, 0)
            save_row(os.path.join(figs, f"scan-{s.id}.png"), [tex_png(feats), disp_png(mm(tgt), 0.3), disp_png(mm(pred), 0.3), disp_png(mm(sfs), 0.3), disp_png(pred * np.array(s.coverage), 0.3)])
    keys = [k for k in rows[0] if k not in ("id", "light", "texels")]
    res["scanHeldout"] = {"views": len(rows), "mean": {k: float(np.mean([r[k] for r in rows])) for k in keys}, "perView": rows}

    # --- held-out synthetic ----------------------------------------------------------------
    pool = np.load(os.path.join(PREP, "pool_heldout.npy"), mmap_mode="r")
    hp = samples("photo", "heldout")
    rng = np.random.default_rng(123)
    rows = []
    for i in range(min(len(pool), nq)):
        src = hp[i % len(hp)]
        rho = np.load(src.prep_path("albedo.npy")).astype(np.float32)
        sh = random_sh(rng)
        feats, dtrue = render_full(src, rho, np.array(pool[i], dtype=np.float32), sh, rng)
        pred, _ = infer_full(G, feats, stride=args.stride, sigma=args.sigma)
        n0, a, b, cov = geom_t(src)
        m = (np.array(src.coverage) > 0) & (np.array(src.flat) < 0.5) & (np.array(src.skin) > 0.3)
        me = torch.from_numpy(m & np.roll(m, -1, 0) & np.roll(m, -1, 1))
        nt = normals_from_disp(torch.from_numpy(dtrue)[None, None], n0, a, b, cov)
        r = {"src": src.id}
        for name, d in (("zero", np.zeros_like(dtrue)), ("dfdn", pred)):
            nd = normals_from_disp(torch.from_numpy(d)[None, None], n0, a, b, cov)
            r[f"{name}_l1"] = float(np.abs(d - dtrue)[m].mean())
            r[f"{name}_deg"] = angle_deg(nd, nt, me)
        r["dfdn_r"] = corr(pred[m], dtrue[m])
        r["true_rms"] = float(np.sqrt((dtrue[m] ** 2).mean()))
        rows.append(r)
        if i < 4:
            c = np.array(src.coverage)
            save_row(os.path.join(figs, f"synthetic-{i}.png"), [tex_png(feats), disp_png(dtrue * c, 0.15), disp_png(pred * c, 0.15)])
    keys = [k for k in rows[0] if k != "src"]
    res["syntheticHeldout"] = {"samples": len(rows), "mean": {k: float(np.mean([r[k] for r in rows])) for k in keys}, "perSample": rows}
    print("synthetic", res["syntheticHeldout"]["mean"], flush=True)

    # --- held-out real photos ----------------------------------------------------------------
    rows = []
    for j, s in enumerate(hp[:nq]):
        feats = np.array(s.features)
        pred, _ = infer_full(G, feats, stride=args.stride, sigma=args.sigma)
        n0, a, b, cov = geom_t(s)
        rho = torch.from_numpy(np.load(s.prep_path("albedo.npy")).astype(np.float32))[None]
        T = torch.from_numpy(np.array(s.texture))[None]
        sh = torch.from_numpy(s.sh).float()
        w = torch.from_numpy(np.array(s.confidence) * np.array(s.skin) * (1 - np.array(s.flat)))[None, None] * cov
        r = {"id": s.id}
        for name, d in (("zero", np.zeros((s.H, s.W), np.float32)), ("dfdn", pred), ("sfs", np.array(s.sfs))):
            n = normals_from_disp(torch.from_numpy(d)[None, None], n0, a, b, cov)
            resid = (T - rho * sh_shade_t(sh, n)).abs().sum(1, keepdim=True) / 3 / s.meta["exposure"]
            r[f"{name}_app"] = float((resid * w).sum() / w.sum())
            if name != "zero":
                r[f"{name}_rms"] = float(np.sqrt((d[w[0, 0].numpy() > 0.3] ** 2).mean()))
        rows.append(r)
        c = np.array(s.coverage)
        save_row(os.path.join(figs, f"photo-{s.id}.png"), [tex_png(feats), disp_png(pred * c, 0.15), disp_png(np.array(s.sfs) * c, 0.15)])
    keys = [k for k in rows[0] if k != "id"]
    res["photoHeldout"] = {"photos": len(rows), "mean": {k: float(np.mean([r[k] for r in rows])) for k in keys}, "perPhoto": rows}
    print("photos", res["photoHeldout"]["mean"], flush=True)
    with open(os.path.join(args.run, "metrics.json"), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
