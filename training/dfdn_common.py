"""Shared helpers of the DFDN training code: data loading, SH shading, normals from a
displacement map, the synthetic-sample feature computation, Gaussian blur.

Conventions are the product's (TypeScript) ones:
- maps are planar (channel-major) float32, H x W = 1024 x 1024, u = column (x), v = row (y, down);
- camera frame: +X right, +Y down, +Z into the scene; outward normals of a frontal face have z < 0;
- SH: 27 shading coefficients, basis order [Y00, Y1-1, Y10, Y11, Y2-2, Y2-1, Y20, Y21, Y22]
  evaluated at the normal (src/core/lighting/sh.ts); a pixel is albedo_c * s_c(n);
- displacement d (mm) along the proxy normal n0; the detailed normal is n(d) = normalize(n0 - g),
  g = [a b] G^-1 [du d, dv d]^T with a = dPdu, b = dPdv (mm per texel), G their Gram matrix and
  FORWARD texel differences, d = 0 outside the coverage (src/core/detail/solve-detail.ts).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("DFDN_DATA", os.path.join(HERE, "data"))
PREP = os.path.join(DATA, "prep")

SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
SH_C2 = 1.0925484305920792
SH_C20 = 0.31539156525252005
SH_C22 = 0.5462742152960396
LUM = (0.2126, 0.7152, 0.0722)


def load_index():
    with open(os.path.join(DATA, "index.json")) as f:
        return json.load(f)


class Sample:
    """One exported sample (memory-mapped planar maps)."""

    def __init__(self, entry):
        self.entry = entry
        self.id = entry["id"]
        self.kind = entry["kind"]
        self.split = entry["split"]
        self.dir = os.path.join(DATA, entry["dir"])
        with open(os.path.join(self.dir, "meta.json")) as f:
            self.meta = json.load(f)
        H, W = self.meta["height"], self.meta["width"]
        self.H, self.W = H, W
        mm = lambda name, c, dt=np.float32: np.memmap(os.path.join(self.dir, name), dtype=dt, mode="r",
                                                      shape=(c, H, W) if c > 1 else (H, W))
        self.features = mm("features.f32", 6)
        self.texture = mm("texture.f32", 3)
        self.normal = mm("normal.f32", 3)
        self.dpdu = mm("dpdu.f32", 3)
        self.dpdv = mm("dpdv.f32", 3)
        self.coverage = mm("coverage.u8", 1, np.uint8)
        self.confidence = mm("confidence.f32", 1)
        self.flat = mm("flat.f32", 1)
        self.skin = mm("skin.f32", 1)
        self.sfs = mm("sfs.f32", 1) if os.path.exists(os.path.join(self.dir, "sfs.f32")) else None
        self.sh = np.asarray(self.meta["sh"], dtype=np.float64)
        self.has_gt = os.path.exists(os.path.join(self.dir, "gtnormal.f32"))
        if self.has_gt:
            self.gtnormal = mm("gtnormal.f32", 3)
            self.gtvalid = mm("gtvalid.u8", 1, np.uint8)

    def prep_path(self, name):
        return os.path.join(PREP, f"{self.kind}-{self.id}-{name}")


def samples(kind=None, split=None):
    out = []
    for e in load_index()["samples"]:
        if kind and e["kind"] != kind:
            continue
        if split and e["split"] != split:
            continue
        out.append(Sample(e))
    return out


# --- SH ---------------------------------------------------------------------------------------

def sh_basis_t(n):
    """n: (..., 3, H, W) -> (..., 9, H, W) basis values."""
    x, y, z = n[..., 0, :, :], n[..., 1, :, :], n[..., 2, :, :]
    return torch.stack([
        torch.full_like(x, SH_C0), SH_C1 * y, SH_C1 * z, SH_C1 * x,
        SH_C2 * x * y, SH_C2 * y * z, SH_C20 * (3 * z * z - 1), SH_C2 * x * z, SH_C22 * (x * x - y * y),
    ], dim=-3)


def sh_shade_t(sh, n):
    """Per-channel shading. sh: (B, 27) or (27,); n: (B, 3, H, W) -> (B, 3, H, W)."""
    b = sh_basis_t(n)  # (B, 9, H, W)
    sh = sh.reshape(-1, 3, 9).to(n.dtype)
    if sh.shape[0] != n.shape[0]:
        sh = sh.expand(n.shape[0], 3, 9)
    return torch.einsum("bck,bkhw->bchw", sh, b)


def directional_sh(d, rgb, ambient=0.0):
    """Shading coefficients of a directional light FROM unit direction d (camera frame) + ambient
    (sh.ts directionalSH)."""
    x, y, z = d
    basis = [SH_C0, SH_C1 * y, SH_C1 * z, SH_C1 * x, SH_C2 * x * y, SH_C2 * y * z, SH_C20 * (3 * z * z - 1),
             SH_C2 * x * z, SH_C22 * (x * x - y * y)]
    band = [1, 2 / 3, 2 / 3, 2 / 3, 1 / 4, 1 / 4, 1 / 4, 1 / 4, 1 / 4]
    out = np.zeros(27)
    for c in range(3):
        for k in range(9):
            out[c * 9 + k] = rgb[c] * basis[k] * band[k] * math.pi
        out[c * 9] += ambient * rgb[c] / SH_C0
    return out


# --- geometry ---------------------------------------------------------------------------------

def normals_from_disp(d, n0, a, b, cov):
    """n(d) for a batch. d: (B,1,H,W) mm; n0, a, b: (B,3,H,W); cov: (B,1,H,W) in {0,1}.
    The last row / column use d = 0 beyond the map (as outside the coverage)."""
    d = d * cov
    du = F.pad(d[..., :, 1:] - d[..., :, :-1], (0, 1, 0, 0))
    du[..., :, -1:] = -d[..., :, -1:]
    dv = F.pad(d[..., 1:, :] - d[..., :-1, :], (0, 0, 0, 1))
    dv[..., -1:, :] = -d[..., -1:, :]
    gaa = (a * a).sum(1, keepdim=True)
    gab = (a * b).sum(1, keepdim=True)
    gbb = (b * b).sum(1, keepdim=True)
    det = gaa * gbb - gab * gab
    det = torch.where(det.abs() < 1e-12, torch.ones_like(det), det)
    gu = (gbb * du - gab * dv) / det
    gv = (-gab * du + gaa * dv) / det
    g = a * gu + b * gv
    n = n0 - g * cov
    return n / n.norm(dim=1, keepdim=True).clamp_min(1e-8)


def slopes_from_normals(nt, n0, a, b):
    """Inverse of normals_from_disp for one target normal field: the forward differences
    (du d, dv d) in mm that tilt n0 to nt. All (..., 3, H, W) -> two (..., H, W)."""
    c = (nt * n0).sum(-3, keepdim=True).clamp_min(0.2)
    g = n0 - nt / c
    return (a * g).sum(-3), (b * g).sum(-3)


# --- features (synthetic samples only; real ones come from dfdnFeatures in TS) ---------------

def dfdn_features_np(texture, normal, coverage, confidence, sh, flat, stats_weight=None):
    """Bit-for-bit intent of src/core/detail/dfdn-features.ts (float64 arithmetic, float32 out).
    texture, normal: (3,H,W); coverage, confidence, flat: (H,W)."""
    cov = coverage > 0
    t = texture.astype(np.float64)
    n = normal.astype(np.float64)
    x, y, z = n[0], n[1], n[2]
    basis = [np.full_like(x, SH_C0), SH_C1 * y, SH_C1 * z, SH_C1 * x, SH_C2 * x * y, SH_C2 * y * z,
             SH_C20 * (3 * z * z - 1), SH_C2 * x * z, SH_C22 * (x * x - y * y)]
    s = np.zeros_like(x)
    for c in range(3):
        sc = sum(sh[c * 9 + k] * basis[k] for k in range(9))
        s += LUM[c] * sc
    s = s.astype(np.float32).astype(np.float64)  # TS stores shading in a Float32Array
    w = (confidence if stats_weight is None else stats_weight).astype(np.float64)
    m = cov & (w > 0)
    lum = LUM[0] * t[0] + LUM[1] * t[1] + LUM[2] * t[2]
    sumW, sumL, sumS = w[m].sum(), (w * lum)[m].sum(), (w * s)[m].sum()
    exposure = sumL / sumW if sumW > 0 and sumL > 0 else 1.0
    smean = sumS / sumW if sumW > 0 and sumS > 0 else 1.0
    out = np.zeros((6,) + x.shape, np.float32)
    for c in range(3):
        out[c] = np.where(cov, np.clip(t[c] / exposure, 0, 4), 0)
    out[3] = np.where(cov, np.clip(s / smean, 0, 4), 0)
    out[4] = np.where(cov, confidence, 0)
    out[5] = np.where(cov, flat, 0)
    return out, exposure, smean


# --- filters ----------------------------------------------------------------------------------

def gauss_kernel1d(sigma):
    r = max(1, int(math.ceil(3 * sigma)))
    x = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur_t(x, sigma):
    """Separable Gaussian blur of (B, C, H, W), zero padding."""
    if sigma <= 0:
        return x
    k = gauss_kernel1d(sigma).to(x.dtype)
    C = x.shape[1]
    r = (k.numel() - 1) // 2
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(C, 1, 1, 1), padding=(0, r), groups=C)
    x = F.conv2d(x, k.view(1, 1, -1, 1).repeat(C, 1, 1, 1), padding=(r, 0), groups=C)
    return x


def masked_blur_t(x, w, sigma):
    return blur_t(x * w, sigma) / blur_t(w, sigma).clamp_min(1e-6)


UNIT = 0.1  # mm: displacement losses are in units of 0.1 mm


def geo_terms(p, t, m):
    """The two geometry-loss terms over mask m, in units of 0.1 mm: the mean squared displacement
    error e = (p - t) / UNIT, and the mean squared texel differences of e in x plus in y (the
    normals' error), each over the texel pairs both inside m."""
    e = (p - t) / UNIT
    l2 = ((e * e) * m).sum() / m.sum().clamp_min(1)
    mx = m[..., :, 1:] * m[..., :, :-1]
    my = m[..., 1:, :] * m[..., :-1, :]
    gx = e[..., :, 1:] - e[..., :, :-1]
    gy = e[..., 1:, :] - e[..., :-1, :]
    lg = ((gx * gx) * mx).sum() / mx.sum().clamp_min(1) + ((gy * gy) * my).sum() / my.sum().clamp_min(1)
    return l2, lg


def torch_setup(seed):
    """2 CPU threads, denormals flushed (tiny activations / gradients slowed some steps ~10x on
    this CPU), seeded torch; returns a seeded numpy generator."""
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)
