"""Train DFDN v2 on the pipeline's own reconstructions of synthetic wrinkled faces.

Data: `training/data/synth/<id>/` written by `training/export/export-synth.ts` (the product's
`dfdnFeatures()` of a reconstruction of a training-renderer-v2 image, the ground-truth wrinkle
displacement projected into our UV layout, and a class map: 1 skin, 2 under an occluder = target
0). Unlike v1 (features synthesised in Python with a Lambertian model on real photos' geometry),
the network sees exactly what inference sees: the real unwrap, the fitted lighting, JPEG, blur,
noise, shadows, AO, subsurface, specular, pigment, glasses and hair.

Loss per crop, displacement error e = (pred - target) / 0.1 mm:
  L = mean_skin e^2 + w_grad (mean (dx e)^2 + mean (dy e)^2) + w_occ mean_occluded (pred / 0.1 mm)^2
      [+ w_amp mean_skin (A(pred) - A(target))^2, A = local RMS slope in Gaussian windows: v5]
The gradient term is the normals' error (what the benchmark and a raking light see). Seeds are
split by `--val-every` (every k-th sample is validation) and the checkpoint with the best
validation loss is kept.

Usage: /usr/bin/python3 training/train_v2.py --out training/runs/v2 [--minutes 30] [--widths 16,32,64]
"""
import argparse
import glob
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from dfdn_common import UNIT, geo_terms, torch_setup
from model import Generator, macs_per_pixel

HERE = os.path.dirname(os.path.abspath(__file__))


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "data", "synth"))
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "v2"))
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--w-grad", type=float, default=3.0)
    ap.add_argument("--w-occ", type=float, default=1.0)
    ap.add_argument("--w-amp", type=float, default=0.0,
                    help="weight of the local-amplitude term (0 = v2-v4's loss): the prediction's local RMS slope vs the target's")
    ap.add_argument("--amp-sigma", type=float, default=6.0, help="Gaussian sigma (texels) of the amplitude term's windows")
    ap.add_argument("--init", default=None, help="start from this checkpoint's generator (fresh optimiser and schedule), e.g. ../training/runs/v4/best.pt")
    ap.add_argument("--init-onnx", default=None,
                    help="start from the weights of a shipped ONNX file instead (its baked output gain is not read back), e.g. ../models/dfdn/dfdn.onnx")
    ap.add_argument("--p-detail", type=float, default=0.6, help="share of crops centred where the target has relief")
    ap.add_argument("--widths", default="16,32,64")
    ap.add_argument("--blocks", default="2,2,3")
    ap.add_argument("--val-every", type=int, default=10, help="every k-th sample (by name order) is validation")
    ap.add_argument("--eval-steps", type=int, default=250)
    ap.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt (model, optimiser, step, elapsed minutes)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--augment", type=float, default=0.0,
                    help="probability that a crop's texture channels get real-photo degradations (resampling blur, sharpening halo, grain, white balance, tone curve); 0 = off")
    ap.add_argument("--sss", type=float, default=0.0,
                    help="probability that a crop's texture channels get a subsurface-like blur (per-channel, skin's red-green-blue scattering radii scaled by 0.5-1.5; v7); 0 = off")
    ap.add_argument("--mm-per-texel", type=float, default=0.25, help="texel size of the exported 1024² maps on the face, for --sss")
    return ap.parse_args()


class Sample:
    """One exported sample, in RAM: features as float16 (6 x H x W), target float32, class uint8."""

    def __init__(self, d):
        m = json.load(open(os.path.join(d, "meta.json")))
        W, H = m["width"], m["height"]
        self.id, self.meta, self.W, self.H = m["id"], m, W, H
        self.f = np.fromfile(os.path.join(d, "features.f32"), np.float32).reshape(6, H, W).astype(np.float16)
        self.t = np.fromfile(os.path.join(d, "target.f32"), np.float32).reshape(H, W)
        self.c = np.fromfile(os.path.join(d, "class.u8"), np.uint8).reshape(H, W)
        g = self.c[::8, ::8]
        ys, xs = np.nonzero(g > 0)
        self.any = np.stack([ys * 8, xs * 8], 1)
        ys, xs = np.nonzero((np.abs(self.t[::8, ::8]) > 0.08) | (g == 2))
        self.detail = np.stack([ys * 8, xs * 8], 1) if len(ys) else self.any


def load(data_dir):
    dirs = sorted(d for d in glob.glob(os.path.join(data_dir, "*")) if os.path.exists(os.path.join(d, "class.u8")))
    return [Sample(d) for d in dirs]


def crops(samples, B, S, rng, p_detail, flip=True):
    f, t, c = [], [], []
    for _ in range(B):
        s = samples[rng.integers(len(samples))]
        cs = s.detail if rng.uniform() < p_detail else s.any
        y, x = cs[rng.integers(len(cs))]
        y0 = int(np.clip(y - S // 2 + rng.integers(-S // 4, S // 4 + 1), 0, s.H - S))
        x0 = int(np.clip(x - S // 2 + rng.integers(-S // 4, S // 4 + 1), 0, s.W - S))
        ff = s.f[:, y0:y0 + S, x0:x0 + S].astype(np.float32)
        tt = s.t[y0:y0 + S, x0:x0 + S]
        cc = s.c[y0:y0 + S, x0:x0 + S]
        if flip and rng.uniform() < 0.5:  # a mirrored face under a mirrored light is a valid sample
            ff, tt, cc = ff[:, :, ::-1], tt[:, ::-1], cc[:, ::-1]
        f.append(np.ascontiguousarray(ff)); t.append(np.ascontiguousarray(tt)); c.append(np.ascontiguousarray(cc))
    return torch.from_numpy(np.stack(f)), torch.from_numpy(np.stack(t))[:, None], torch.from_numpy(np.stack(c))[:, None]


def _blur1(x, sigma):
    """Separable Gaussian blur of x (C x H x W) with reflected borders."""
    r = max(1, int(math.ceil(3 * sigma)))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=torch.float32) / sigma) ** 2)
    k = (k / k.sum()).to(x.dtype)
    C = x.shape[0]
    y = F.pad(x[None], (r, r, 0, 0), mode="reflect")
    y = F.conv2d(y, k.view(1, 1, 1, -1).repeat(C, 1, 1, 1), groups=C)
    y = F.pad(y, (0, 0, r, r), mode="reflect")
    return F.conv2d(y, k.view(1, 1, -1, 1).repeat(C, 1, 1, 1), groups=C)[0]


def augment(f, rng, p):
    """Real-photo degradations of the texture channels (0-2) of a batch of crops (B x 6 x S x S),
    in place, each with probability p per crop, inside the coverage only (the shading, confidence
    and flat-mask channels, and the target, are untouched: the same skin under a worse camera):
    resampling blur (sigma 0.4-1.3 texels, coverage-normalised), a sharpening halo (unsharp mask,
    amount 0.3-1.2, sigma 0.8-2), luminance-correlated grain (1-4 %), white balance (+-6 % per
    channel) and a tone curve (gamma 0.85-1.2). Real photos reach the network resampled, sharpened,
    denoised or noisy; the renders are clean."""
    for b in range(f.shape[0]):
        if rng.uniform() >= p:
            continue
        tex = f[b, :3]
        cov = (f[b, 3:4] > 0).float()
        if rng.uniform() < 0.5:
            s = float(rng.uniform(0.4, 1.3))
            tex = _blur1(tex * cov, s) / _blur1(cov, s).clamp_min(1e-3)
        if rng.uniform() < 0.4:
            s = float(rng.uniform(0.8, 2.0))
            low = _blur1(tex * cov, s) / _blur1(cov, s).clamp_min(1e-3)
            tex = tex + float(rng.uniform(0.3, 1.2)) * (tex - low)
        if rng.uniform() < 0.5:
            g = float(rng.uniform(0.01, 0.04))
            lum = torch.from_numpy(rng.standard_normal(tex.shape[1:]).astype(np.float32))
            chroma = torch.from_numpy(rng.standard_normal(tex.shape).astype(np.float32))
            tex = tex * (1 + g * (0.8 * lum[None] + 0.4 * chroma))
        if rng.uniform() < 0.5:
            tex = tex * torch.from_numpy(np.exp(rng.normal(0, 0.06, 3)).astype(np.float32)).view(3, 1, 1)
        if rng.uniform() < 0.3:
            tex = tex.clamp_min(0) ** float(rng.uniform(0.85, 1.2))
        f[b, :3] = tex.clamp(0, 4) * cov
    return f


SSS_RADIUS_MM = (1.2, 0.55, 0.3)  # the Cycles reference's skin scattering radii (bench/cycles/scene.ts), R G B


def subsurface(f, rng, p, mm_per_texel):
    """A subsurface-like blur of the texture channels (0-2) of a batch of crops (B x 6 x S x S),
    in place, with probability p per crop, inside the coverage only: each channel becomes
    (1 - w) tex + w (K_c * tex), w in [0.4, 0.9], K_c a two-Gaussian stand-in for a
    Christensen-Burley profile (half at sigma d_c / 4, half at d_c) with d_c the skin scattering
    radius of that channel (red 1.2, green 0.55, blue 0.3 mm, all scaled by 0.5-1.5). Light
    that enters skin leaves it up to a millimetre away, so a fine line's shading is softer in red
    than in blue and softer in a path tracer (and in life) than in the training renderer: the same
    wrinkle, a more translucent skin; the target is unchanged."""
    for b in range(f.shape[0]):
        if rng.uniform() >= p:
            continue
        cov = (f[b, 3:4] > 0).float()
        w = float(rng.uniform(0.4, 0.9))
        k = float(rng.uniform(0.5, 1.5))
        out = []
        for ch, rad in enumerate(SSS_RADIUS_MM):
            x = f[b, ch:ch + 1]
            d = max(0.3, rad * k / mm_per_texel)
            low = 0.0
            for s in (d / 4, d):
                s = max(0.3, s)
                low = low + 0.5 * _blur1(x * cov, s) / _blur1(cov, s).clamp_min(1e-3)
            out.append((1 - w) * x + w * low)
        f[b, :3] = torch.cat(out, 0).clamp(0, 4) * cov
    return f


def gaussian_window(sigma):
    """A normalised separable Gaussian (1-D taps, radius 3 sigma) as a conv weight pair."""
    r = max(1, int(round(3 * sigma)))
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    g = torch.exp(-0.5 * (x / sigma) ** 2)
    g = g / g.sum()
    return g.view(1, 1, 1, -1), g.view(1, 1, -1, 1), r


def local_amplitude(d, m, win):
    """Local RMS slope of d (B x 1 x H x W, UNIT) over mask m: sqrt of the masked Gaussian mean of
    |grad d|^2 (forward differences, both inside m). Returns it and the window's mask weight."""
    gx, gy, r = win
    dx = torch.zeros_like(d); dy = torch.zeros_like(d)
    mx = m[..., :, 1:] * m[..., :, :-1]; my = m[..., 1:, :] * m[..., :-1, :]
    dx[..., :, 1:] = (d[..., :, 1:] - d[..., :, :-1]) * mx
    dy[..., 1:, :] = (d[..., 1:, :] - d[..., :-1, :]) * my
    e = dx * dx + dy * dy
    blur = lambda z: F.conv2d(F.conv2d(F.pad(z, (r, r, r, r), mode="reflect"), gx), gy)
    w = blur(m)
    return torch.sqrt(blur(e) / w.clamp_min(1e-3) + 1e-6), w


def loss_fn(p, t, c, w_grad, w_occ, w_amp=0.0, win=None):
    """v2's loss plus, with w_amp > 0, the local-amplitude term: the squared difference of the
    prediction's and the target's local RMS slopes (Gaussian windows) over the skin. MSE alone lets
    the network answer an uncertain input with a flat map (the conditional mean); this term costs
    the missing relief wherever the target has some, whatever its exact position."""
    skin = (c == 1).float()
    occ = (c == 2).float()
    l2, lg = geo_terms(p, t, skin)
    lo = ((p / UNIT) ** 2 * occ).sum() / occ.sum().clamp_min(1)
    loss = l2 + w_grad * lg + w_occ * lo
    parts = {"l2": float(l2), "grad": float(lg), "occ": float(lo)}
    if w_amp > 0:
        ap, w = local_amplitude(p / UNIT, skin, win)
        at, _ = local_amplitude(t / UNIT, skin, win)
        inside = skin * (w > 0.5).float()
        la = (((ap - at) ** 2) * inside).sum() / inside.sum().clamp_min(1)
        loss = loss + w_amp * la
        parts["amp"] = float(la)
    return loss, parts


@torch.no_grad()
def validate(G, val, S=256):
    """Full-map tiles of the validation samples: loss terms, Pearson r of the displacement and of
    its texel gradients (the normals) on skin, and the RMS under occluders (mm)."""
    G.eval()
    P, T, GP, GT = [], [], [], []
    occ_sq, occ_n = 0.0, 0
    for s in val:
        for y0 in range(0, s.H, S):
            for x0 in range(0, s.W, S):
                c = s.c[y0:y0 + S, x0:x0 + S]
                if not (c > 0).any():
                    continue
                f = torch.from_numpy(s.f[:, y0:y0 + S, x0:x0 + S].astype(np.float32))[None]
                p = G(f)[0, 0].numpy()
                t = s.t[y0:y0 + S, x0:x0 + S]
                m = c == 1
                P.append(p[m]); T.append(t[m])
                mx = m[:, 1:] & m[:, :-1]
                GP.append((p[:, 1:] - p[:, :-1])[mx]); GT.append((t[:, 1:] - t[:, :-1])[mx])
                o = c == 2
                occ_sq += float((p[o] ** 2).sum()); occ_n += int(o.sum())
    G.train()
    r = lambda a, b: float(np.corrcoef(np.concatenate(a), np.concatenate(b))[0, 1])
    return {"r": r(P, T), "rGrad": r(GP, GT), "occRmsMm": math.sqrt(occ_sq / max(1, occ_n)),
            "predRmsMm": float(np.sqrt(np.mean(np.concatenate(P) ** 2))), "targetRmsMm": float(np.sqrt(np.mean(np.concatenate(T) ** 2)))}


def main():
    a = parse()
    rng = torch_setup(a.seed)
    os.makedirs(a.out, exist_ok=True)
    t_load = time.time()
    allS = load(a.data)
    val = [s for i, s in enumerate(allS) if i % a.val_every == a.val_every - 1]
    train = [s for i, s in enumerate(allS) if i % a.val_every != a.val_every - 1]
    widths = tuple(int(x) for x in a.widths.split(","))
    blocks = tuple(int(x) for x in a.blocks.split(","))
    cfg = {"widths": widths, "blocks": blocks}
    G = Generator(widths=widths, blocks=blocks)
    opt = torch.optim.Adam(G.parameters(), lr=a.lr, betas=(0.9, 0.99))
    step, spent, best, hist, evals = 0, 0.0, float("inf"), [], []
    win = gaussian_window(a.amp_sigma) if a.w_amp > 0 else None
    if a.init_onnx and not a.resume:
        from onnx_weights import load_generator
        load_generator(G, a.init_onnx)
        print(f"initialised from the weights in {a.init_onnx}", flush=True)
    elif a.init and not a.resume:
        st = torch.load(a.init, map_location="cpu")
        G.load_state_dict(st["generator"])
        print(f"initialised from {a.init} (step {st.get('step')})", flush=True)
    ck = os.path.join(a.out, "checkpoint.pt")
    if a.resume and os.path.exists(ck):
        st = torch.load(ck, map_location="cpu")
        G.load_state_dict(st["generator"]); opt.load_state_dict(st["optimizer"])
        step, spent, best, evals = st["step"], st["minutes"], st.get("best", best), st.get("evals", [])
        print(f"resumed at step {step} after {spent:.1f} min", flush=True)
    print(f"{len(train)} train / {len(val)} val samples (loaded in {time.time() - t_load:.0f} s); "
          f"params {sum(p.numel() for p in G.parameters())}, MAC/px {macs_per_pixel(G):.0f}", flush=True)
    t0 = time.time() - spent * 60
    while step < a.steps:
        step += 1
        el = (time.time() - t0) / 60
        frac = min(1.0, el / a.minutes)
        lr = a.lr * min(1.0, step / 100) * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g_ in opt.param_groups:
            g_["lr"] = lr
        f, t, c = crops(train, a.batch, a.crop, rng, a.p_detail)
        if a.sss > 0:
            f = subsurface(f, rng, a.sss, a.mm_per_texel)
        if a.augment > 0:
            f = augment(f, rng, a.augment)
        p = G(f)
        loss, parts = loss_fn(p, t, c, a.w_grad, a.w_occ, a.w_amp, win)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(G.parameters(), 5.0)
        opt.step()
        hist.append(dict(parts, total=float(loss)))
        if step % 50 == 0 or step == 1:
            avg = {k: round(float(np.mean([h[k] for h in hist[-50:]])), 4) for k in hist[-1]}
            print(f"step {step} {el:.1f} min lr {lr:.2e} {avg}", flush=True)
        last = frac >= 1.0
        if step % a.eval_steps == 0 or last:
            v = validate(G, val)
            v["step"], v["minutes"] = step, round(el, 2)
            evals.append(v)
            score = -v["rGrad"]
            print(f"val step {step}: {v}", flush=True)
            state = {"generator": G.state_dict(), "optimizer": opt.state_dict(), "step": step, "minutes": el, "config": cfg, "best": best, "evals": evals}
            if score < best:
                best = score
                state["best"] = best
                torch.save({"generator": G.state_dict(), "step": step, "config": cfg, "val": v}, os.path.join(a.out, "best.pt"))
            torch.save(state, ck)
        if last:
            break
    log = {"args": vars(a), "config": cfg, "steps": step, "minutes": (time.time() - t0) / 60,
           "train": [s.id for s in train], "val": [s.id for s in val], "evals": evals,
           "generatorParams": sum(p.numel() for p in G.parameters()), "macsPerPixel": macs_per_pixel(G), "history": hist[::10]}
    json.dump(log, open(os.path.join(a.out, "train-log.json"), "w"))
    print("done", evals[-1] if evals else None, flush=True)


if __name__ == "__main__":
    main()
