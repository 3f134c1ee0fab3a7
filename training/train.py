"""Train the DFDN generator (and its PatchGAN discriminator) on CPU.

Each step draws three kinds of 2D crops (size --crop) from the 1024^2 UV maps:
- synthetic (--b-syn): the geometry (proxy normal, dPdu, dPdv, coverage, confidence, flat mask)
  and the detail-free albedo of a TRAIN photo or TUNE scan render, a displacement map from the
  procedural pool (or, with probability --p-scan-disp, the scan's own detail integrated from the
  tune renders), random SH lighting; rendered as albedo * SH(n(d)) with the product's normal
  model, blurred and noised like a resampled photo, turned into features exactly as
  dfdnFeatures does. Supervised (L1 geometry) + appearance.
- scan renders (--b-scan): the pipeline's real features of the tune renders of the scan, target =
  the scan's detail in our UV layout (prepare.py). Supervised (L1 geometry).
- real photos (--b-real): train-split photos, unsupervised: appearance loss
  |T - rho * SH(n(d))| / exposure weighted by confidence * skin * (1 - flat), plus smoothness.
A conditional PatchGAN (features + displacement) judges predictions against true displacements.

Loss (weights are options; defaults documented in MODEL_CARD.md):
  L_G = w_geo * (G_syn + w_scan G_scan) with G = mean(e^2) + w_grad (mean (dx e)^2 + mean (dy e)^2), e in 0.1 mm + w_app * (A_syn + A_real) + w_smooth * mean(Lap(d)/0.1 mm)^2
        + w_gan * LSGAN_G
Usage: /usr/bin/python3 training/train.py --steps 4000 --out training/runs/main
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from dfdn_common import LUM, PREP, SH_C0, UNIT, blur_t, directional_sh, geo_terms, normals_from_disp, samples, sh_basis_t, sh_shade_t, torch_setup
from model import Discriminator, Generator, macs_per_pixel



def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--max-minutes", type=float, default=60)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--b-syn", type=int, default=12)
    ap.add_argument("--pool-file", default="pool_train.npy", help="procedural displacement pool in training/data/prep: pool_train.npy (v1, procedural.py) or pool_v2_train.npy (generator v2, bench/synth/write-maps.ts)")
    ap.add_argument("--b-scan", type=int, default=0, help="scan-render batch; must stay 0: the scan is evaluation-only")
    ap.add_argument("--b-real", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--lr-d", type=float, default=1e-3)
    ap.add_argument("--w-geo", type=float, default=1.0)
    ap.add_argument("--w-grad", type=float, default=5.0)
    ap.add_argument("--w-scan", type=float, default=0.3, help="weight of the scan-render geometry loss relative to the synthetic one")
    ap.add_argument("--w-app", type=float, default=5.0)
    ap.add_argument("--w-smooth", type=float, default=0.02)
    ap.add_argument("--w-gan", type=float, default=0.01)
    ap.add_argument("--gan-start", type=int, default=500)
    ap.add_argument("--p-scan-disp", type=float, default=0.0, help="must stay 0: the scan is evaluation-only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "runs", "main"))
    a = ap.parse_args()
    if a.b_scan > 0 or a.p_scan_disp > 0:
        ap.error("--b-scan and --p-scan-disp must be 0: the Lee Perry-Smith scan is evaluation-only (an unseen subject)")
    return a


class Source:
    """A sample prepared for cropping."""

    def __init__(self, s, crop, need_target=False):
        self.s = s
        # Into RAM once (float32): random crops from memory-mapped 1024-wide maps touch a page per
        # row and channel; with a cold page cache that made steps ~10x slower (IO-bound).
        for k in ("normal", "dpdu", "dpdv", "coverage", "confidence", "flat", "skin", "features", "texture"):
            setattr(s, k, np.array(getattr(s, k)))
        self.albedo = np.load(s.prep_path("albedo.npy"))
        H = s.H
        sk = np.asarray(s.skin)
        cov = np.asarray(s.coverage)
        if need_target:
            self.target = np.load(s.prep_path("target.npy"))
            self.tvalid = np.load(s.prep_path("tvalid.npy"))
            m = np.asarray(self.tvalid) > 0
        else:
            m = (sk > 0.3) & (cov > 0)
        ys, xs = np.nonzero(m[::8, ::8])
        self.centres = np.stack([ys * 8, xs * 8], 1)
        self.crop = crop
        # Quarter-resolution copies for the full-map exposure statistics of synthetic renders.
        q = slice(0, H, 4)
        # exposure = sum_c LUM_c sum_k sh[c,k] A[c,k] / W, shading mean = sum_c LUM_c sum_k sh[c,k] B[k] / W
        # (weights = confidence on the coverage, as dfdnFeatures' default), precomputed once.
        n0 = torch.from_numpy(np.array(s.normal[:, q, q], dtype=np.float64))[None]
        rho = torch.from_numpy(np.array(self.albedo[:, q, q], dtype=np.float64))
        w = torch.from_numpy((np.array(s.confidence[q, q]) * (np.array(cov[q, q]) > 0)).astype(np.float64))
        Y = sh_basis_t(n0)[0]  # (9, h, w)
        self.q_A = torch.einsum("chw,khw->ck", rho * w, Y).numpy()
        self.q_B = torch.einsum("hw,khw->k", w, Y).numpy()
        self.q_W = float(w.sum())

    def exposure_stats(self, sh):
        shm = np.asarray(sh).reshape(3, 9)
        e = sum(LUM[c] * (shm[c] * self.q_A[c]).sum() for c in range(3)) / self.q_W
        m = sum(LUM[c] * (shm[c] * self.q_B).sum() for c in range(3)) / self.q_W
        return float(e), float(m)

    def window(self, rng, centres=None):
        centres = self.centres if centres is None else centres
        c = centres[rng.integers(len(centres))]
        S = self.crop
        y0 = int(np.clip(c[0] - S // 2 + rng.integers(-S // 4, S // 4 + 1), 0, self.s.H - S - 1))
        x0 = int(np.clip(c[1] - S // 2 + rng.integers(-S // 4, S // 4 + 1), 0, self.s.W - S - 1))
        return y0, x0

    def geom(self, y0, x0, m=1):
        S = self.crop + m
        sl = (slice(y0, y0 + S), slice(x0, x0 + S))
        g = lambda arr: torch.from_numpy(np.array(arr[(slice(None),) + sl] if arr.ndim == 3 else arr[sl], dtype=np.float32))
        s = self.s
        return dict(n0=g(s.normal), a=g(s.dpdu), b=g(s.dpdv), cov=(g(s.coverage) > 0).float()[None],
                    conf=g(s.confidence)[None], flat=g(s.flat)[None], skin=g(s.skin)[None], rho=g(self.albedo),
                    tex=g(s.texture), feats=g(s.features))


def random_sh(rng):
    """Random lighting: 1-2 directional lights (soft frontal .. raking side / top), coloured
    sometimes, plus ambient; as 27 SH shading coefficients."""
    kind = rng.choice(["frontal", "side", "top", "two", "any"], p=[0.2, 0.3, 0.15, 0.15, 0.2])
    def dirv(theta, phi):
        return np.array([math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), -math.cos(theta)])
    if kind == "frontal":
        ds = [dirv(rng.uniform(0, 0.5), rng.uniform(0, 2 * math.pi))]
    elif kind == "side":
        ds = [dirv(rng.uniform(0.7, 1.35), rng.choice([0, math.pi]) + rng.normal(0, 0.3))]
    elif kind == "top":
        ds = [dirv(rng.uniform(0.6, 1.3), -math.pi / 2 + rng.normal(0, 0.3))]
    elif kind == "two":
        p = rng.uniform(0, 2 * math.pi)
        ds = [dirv(rng.uniform(0.5, 1.2), p), dirv(rng.uniform(0.5, 1.2), p + math.pi + rng.normal(0, 0.4))]
    else:
        ds = [dirv(rng.uniform(0, 1.3), rng.uniform(0, 2 * math.pi))]
    sh = np.zeros(27)
    for i, d in enumerate(ds):
        tint = np.exp(rng.normal(0, 0.05, 3)) if rng.uniform() < 0.7 else np.exp(rng.normal(0, 0.35, 3))
        inten = rng.uniform(0.6, 1.0) * (1 if i == 0 else rng.uniform(0.2, 0.7))
        sh += directional_sh(d / np.linalg.norm(d), inten * tint, 0.0)
    amb = rng.uniform(0.03, 0.4)
    amb_rgb = amb * np.exp(rng.normal(0, 0.05, 3))
    for c in range(3):
        sh[c * 9] += amb_rgb[c] / SH_C0  # constant shading amb_rgb[c]
    return sh


def lum(x):
    return LUM[0] * x[:, 0:1] + LUM[1] * x[:, 1:2] + LUM[2] * x[:, 2:3]


class Data:
    def __init__(self, args, rng):
        self.args, self.rng = args, rng
        S = args.crop
        photos = samples("photo", "train")
        # The Lee Perry-Smith scan is an unseen subject (evaluation only): none of its renders is a
        # training target, a scan-displacement source or a synthetic sample's albedo. Data exported
        # before that change marked the scan's tune half "train": refuse it rather than train on it.
        stale = samples("scan", "train")
        if stale:
            raise SystemExit(f"training/data marks {len(stale)} scan renders as training data: re-export "
                             "(node --import tsx training/export/export-data.ts --scan-only) so the scan stays unseen")
        self.real = [Source(s, S) for s in photos]
        self.scan = []
        self.syn_src = list(self.real)
        self.pool = np.load(os.path.join(PREP, args.pool_file), mmap_mode="r")
        self.scan_disp = [x.target for x in self.scan]
        # Where the procedural detail is (mean |d| over part of the pool, 8-texel grid): half of the
        # synthetic crops are centred there, so that wrinkles are not rare events in the loss.
        act = np.mean([np.abs(np.asarray(self.pool[i, ::8, ::8], dtype=np.float32)) for i in range(0, len(self.pool), 4)], 0)
        ys, xs = np.nonzero(act > np.quantile(act[act > 0], 0.8))
        self.detail_centres = np.stack([ys * 8, xs * 8], 1)

    def synthetic(self, B):
        rng, S = self.rng, self.args.crop
        G = {k: [] for k in ("n0", "a", "b", "cov", "conf", "flat", "rho", "d")}
        shs, expo, smean = [], [], []
        for _ in range(B):
            src = self.syn_src[rng.integers(len(self.syn_src))]
            y0, x0 = src.window(rng, self.detail_centres if rng.uniform() < 0.5 else None)
            g = src.geom(y0, x0)
            if rng.uniform() < self.args.p_scan_disp:
                dm = self.scan_disp[rng.integers(len(self.scan_disp))]
            else:
                dm = self.pool[rng.integers(len(self.pool))]
            d = torch.from_numpy(np.array(dm[y0:y0 + S + 1, x0:x0 + S + 1], dtype=np.float32))[None]
            amp = 0.0 if rng.uniform() < 0.08 else rng.uniform(0.5, 1.5)
            d = d * amp * (1 - g["flat"]) * g["cov"]
            rho = g["rho"]
            # Albedo detail the network must NOT read as geometry: freckles / spots (chromatic,
            # darker) and a little achromatic mottling.
            if rng.uniform() < 0.6:
                imp = (torch.rand(1, 1, S + 1, S + 1) < rng.uniform(0.0005, 0.004)).float()
                spots = blur_t(imp, rng.uniform(0.8, 2.5))[0]
                spots = spots / spots.max().clamp_min(1e-6) * rng.uniform(0.05, 0.3)
                tint = torch.tensor([0.6, 1.0, 1.2]).view(3, 1, 1)
                rho = rho * (1 - spots * tint).clamp_min(0.2)
            sh = random_sh(rng)
            # Full-map exposure / shading mean (quarter resolution, d = 0, before degradations).
            e_, m_ = src.exposure_stats(sh)
            expo.append(e_)
            smean.append(m_)
            for k in ("n0", "a", "b", "cov", "conf", "flat"):
                G[k].append(g[k])
            G["rho"].append(rho)
            G["d"].append(d)
            shs.append(sh)
        T = {k: torch.stack(v) for k, v in G.items()}
        sh = torch.from_numpy(np.stack(shs)).float()
        n = normals_from_disp(T["d"], T["n0"], T["a"], T["b"], T["cov"])
        img = T["rho"] * sh_shade_t(sh, n)
        # Photo-like degradation: resampling blur and sensor noise (relative to exposure).
        out = []
        e = torch.tensor(expo).view(B, 1, 1, 1)
        for i in range(B):
            x = img[i:i + 1]
            if rng.uniform() < 0.6:
                x = blur_t(F.pad(x, (4, 4, 4, 4), mode="replicate"), rng.uniform(0.3, 1.6))[..., 4:-4, 4:-4]
            x = x + torch.randn_like(x) * rng.uniform(0.002, 0.015) * e[i]
            out.append(x)
        img = torch.cat(out).clamp_min(0)
        cov = T["cov"]
        sm = torch.tensor(smean).view(B, 1, 1, 1)
        s0 = lum(sh_shade_t(sh, T["n0"]))
        feats = torch.cat([(img / e).clamp(0, 4), (s0 / sm).clamp(0, 4), T["conf"], T["flat"]], 1) * cov
        c = lambda x: x[..., :S, :S]
        batch = {k: c(v) for k, v in T.items()}
        batch.update(feats=c(feats), img=c(img), sh=sh, exposure=e, n0f=T["n0"], af=T["a"], bf=T["b"], covf=cov, rhof=T["rho"])
        return batch

    def scan_batch(self, B):
        rng, S = self.rng, self.args.crop
        f, t, m = [], [], []
        for _ in range(B):
            src = self.scan[rng.integers(len(self.scan))]
            y0, x0 = src.window(rng)
            g = src.geom(y0, x0, m=0)
            f.append(g["feats"])
            t.append(torch.from_numpy(np.array(src.target[y0:y0 + S, x0:x0 + S]))[None])
            m.append(torch.from_numpy(np.array(src.tvalid[y0:y0 + S, x0:x0 + S], dtype=np.float32))[None])
        return {"feats": torch.stack(f), "d": torch.stack(t), "mask": torch.stack(m)}

    def real_batch(self, B):
        rng = self.rng
        G = {k: [] for k in ("feats", "n0", "a", "b", "cov", "conf", "flat", "skin", "rho", "tex")}
        shs, expo = [], []
        for _ in range(B):
            src = self.real[rng.integers(len(self.real))]
            y0, x0 = src.window(rng)
            g = src.geom(y0, x0)
            for k in G:
                G[k].append(g[k])
            shs.append(src.s.sh)
            expo.append(src.s.meta["exposure"])
        T = {k: torch.stack(v) for k, v in G.items()}
        T["feats"] = T["feats"][..., :-1, :-1]
        T["sh"] = torch.from_numpy(np.stack(shs)).float()
        T["exposure"] = torch.tensor(expo).float().view(B, 1, 1, 1)
        return T


def pad1(d):
    """Crop prediction (B,1,S,S) -> (B,1,S+1,S+1) with the last row/column repeated, for the
    forward differences of the appearance loss at the crop's right/bottom edge."""
    return F.pad(d, (0, 1, 0, 1), mode="replicate")


def appearance(pred, n0, a, b, cov, rho, sh, target_img, weight, exposure):
    """Mean weighted L1 of (target - rho * SH(n(pred))) / exposure over the crop (S x S)."""
    n = normals_from_disp(pad1(pred), n0, a, b, cov)
    img = (rho * sh_shade_t(sh, n))[..., :-1, :-1]
    r = (target_img - img).abs().sum(1, keepdim=True) / exposure / 3
    w = weight[..., :-1, :-1]
    return (r * w).sum() / w.sum().clamp_min(1)


def geo_l1(p, t, m, w_grad):
    """Geometry loss over mask m, in units of 0.1 mm (per texel for the slopes): mean squared
    displacement error e plus w_grad x mean squared texel differences of e (the normals).
    The paper's L1 (and L1 + L2) made this network collapse to d = 0 on our sparse targets: most
    texels carry no wrinkle, so the L1 subgradient pulls every texel to 0 with unit force and the
    readout shrank before the features found the faint wrinkle shading (output RMS 4e-5 mm after
    500 steps); with L2 the pull is proportional to the error and training takes off."""
    l2, lg = geo_terms(p, t, m)
    return l2 + w_grad * lg


def laplacian(d):
    k = torch.tensor([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=d.dtype).view(1, 1, 3, 3)
    return F.conv2d(d, k, padding=1)


def main():
    args = parse()
    rng = torch_setup(args.seed)
    os.makedirs(args.out, exist_ok=True)
    data = Data(args, rng)
    G, D = Generator(), Discriminator(w=12)
    optG = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.9, 0.99))
    optD = torch.optim.Adam(D.parameters(), lr=args.lr_d, betas=(0.5, 0.99))
    print(f"generator params {sum(p.numel() for p in G.parameters())}, MAC/px {macs_per_pixel(G):.0f}; "
          f"sources: {len(data.real)} photos, {len(data.scan)} scan renders, {len(data.pool)} procedural maps", flush=True)
    hist, t0 = [], time.time()
    step = 0
    for step in range(1, args.steps + 1):
        # Schedule position: by steps, or by wall time when the time budget binds first.
        frac = min(1.0, max(step / args.steps, (time.time() - t0) / (args.max_minutes * 60)))
        lr = args.lr * min(1.0, step / 100) * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g_ in optG.param_groups:
            g_["lr"] = lr
        syn = data.synthetic(args.b_syn)
        scb = data.scan_batch(args.b_scan) if args.b_scan > 0 else None
        real = data.real_batch(args.b_real) if args.b_real > 0 else None
        L = {}
        p_syn = G(syn["feats"])
        m = syn["cov"]
        L["geo_syn"] = geo_l1(p_syn, syn["d"], m, args.w_grad)
        w_syn = syn["covf"] * (1 - F.pad(syn["flat"], (0, 1, 0, 1)))
        L["app_syn"] = appearance(p_syn, syn["n0f"], syn["af"], syn["bf"], syn["covf"], syn["rhof"], syn["sh"], syn["img"], w_syn, syn["exposure"])
        loss = args.w_geo * L["geo_syn"] + args.w_app * L["app_syn"]
        if scb is not None:
            p_scan = G(scb["feats"])
            L["geo_scan"] = geo_l1(p_scan, scb["d"], scb["mask"], args.w_grad)
            loss = loss + args.w_geo * args.w_scan * L["geo_scan"]
        if real is not None:
            p_real = G(real["feats"])
            w = real["conf"] * real["skin"] * (1 - real["flat"]) * real["cov"]
            L["app_real"] = appearance(p_real, real["n0"], real["a"], real["b"], real["cov"], real["rho"], real["sh"], real["tex"][..., :-1, :-1], w, real["exposure"])
            cw = real["cov"][..., :-1, :-1]
            L["smooth"] = ((laplacian(p_real) / UNIT) ** 2 * cw).sum() / cw.sum().clamp_min(1)
            loss = loss + args.w_app * L["app_real"] + args.w_smooth * L["smooth"]
        use_gan = args.w_gan > 0 and step >= args.gan_start
        if use_gan:
            fake_f = [syn["feats"]] + ([real["feats"]] if real is not None else [])
            fake_d = [p_syn] + ([p_real] if real is not None else [])
            adv = sum(((D(f, d) - 1) ** 2).mean() for f, d in zip(fake_f, fake_d)) / len(fake_f)
            L["gan_g"] = adv
            loss = loss + args.w_gan * adv
        optG.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(G.parameters(), 5.0)
        optG.step()
        if use_gan:
            real_pairs = [(syn["feats"], syn["d"])] + ([(scb["feats"], scb["d"])] if scb is not None else [])
            fake_pairs = [(f, d.detach()) for f, d in zip(fake_f, fake_d)]
            ld = sum(((D(f, d) - 1) ** 2).mean() for f, d in real_pairs) / len(real_pairs) \
                + sum((D(f, d) ** 2).mean() for f, d in fake_pairs) / len(fake_pairs)
            optD.zero_grad()
            ld.backward()
            optD.step()
            L["gan_d"] = ld
        L["total"] = loss
        hist.append({k: float(v) for k, v in L.items()})
        el = time.time() - t0
        if step % 50 == 0 or step == 1:
            last = hist[-50:]
            avg = {k: round(float(np.mean([h[k] for h in last if k in h])), 4) for k in hist[-1]}
            print(f"step {step} {el / 60:.1f} min {el / step:.2f} s/step lr {lr:.2e} {avg}", flush=True)
        if step % 250 == 0 or step == 100:
            torch.save({"generator": G.state_dict(), "step": step}, os.path.join(args.out, "checkpoint.pt"))
        if frac >= 1.0 and step < args.steps:
            print(f"time budget reached at step {step}", flush=True)
            break
    last = hist[-200:]
    final = {k: float(np.mean([h[k] for h in last if k in h])) for k in hist[-1]}
    torch.save({"generator": G.state_dict(), "discriminator": D.state_dict(), "step": step}, os.path.join(args.out, "checkpoint.pt"))
    log = {"args": vars(args), "steps": step, "minutes": (time.time() - t0) / 60, "finalLosses": final,
           "finalLossesOver": len(last), "generatorParams": sum(p.numel() for p in G.parameters()),
           "macsPerPixel": macs_per_pixel(G), "sources": {"photos": len(data.real), "scanRenders": len(data.scan), "proceduralMaps": len(data.pool)},
           "history": hist[::10]}
    with open(os.path.join(args.out, "train-log.json"), "w") as f:
        json.dump(log, f)
    print("final", final, flush=True)


if __name__ == "__main__":
    main()
