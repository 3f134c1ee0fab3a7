"""Procedural facial-detail displacement maps in the face-mesh UV layout (mm, along the normal,
negative = into the skin), for the DFDN's supervised synthetic pairs.

Families (placed from the face-mesh landmark UVs exported by training/export/export-data.ts,
`landmarks.json`; never retyped here except the landmark INDICES, which are MediaPipe's):
forehead lines, glabellar (frown) lines, crow's feet, under-eye wrinkles, nasolabial folds,
marionette lines, pores and fine skin roughness. Each map draws an age in [0, 1] and an
expression (neutral, smile, surprise, frown, squint) that scale the families' count, depth and
width. Sizes are in texels of a 1024^2 map (about 0.15-0.2 mm per texel on an adult face).

Usage (also a CLI that writes a preview PNG): /usr/bin/python3 training/procedural.py out.png
"""
import json
import math
import os
import sys

import numpy as np

import torch

from dfdn_common import DATA, blur_t

# MediaPipe face-mesh landmark indices (subject's right = image left).
R_EYE_OUT, R_EYE_IN, L_EYE_OUT, L_EYE_IN = 33, 133, 263, 362
R_LOWER_LID = [33, 7, 163, 144, 145, 153, 154, 155, 133]
L_LOWER_LID = [263, 249, 390, 373, 374, 380, 381, 382, 362]
R_BROW_TOP = [70, 63, 105, 66, 107]
L_BROW_TOP = [300, 293, 334, 296, 336]
R_ALA, L_ALA = 129, 358
R_MOUTH, L_MOUTH = 61, 291
FOREHEAD_TOP, NOSE_ROOT, CHIN = 10, 168, 152

EXPRESSIONS = ["neutral", "smile", "surprise", "frown", "squint"]


def load_landmark_px(res=1024):
    with open(os.path.join(DATA, "landmarks.json")) as f:
        lm = json.load(f)
    uv = np.asarray(lm["uvs"], np.float64).reshape(-1, 2)
    return uv * res


def stroke(D, pts, width, depth, rng, profile="groove", side=1.0):
    """Add one wrinkle along polyline pts (K,2) in px (x, y): a Gaussian groove of sigma `width`
    px and `depth` mm, tapered toward both ends; profile 'fold' adds a shoulder on side `side`
    (signed distance > 0 = left of the direction of travel)."""
    H, W = D.shape
    pts = np.asarray(pts, np.float64)
    pad = 4 * width + 3
    x0, y0 = int(max(0, pts[:, 0].min() - pad)), int(max(0, pts[:, 1].min() - pad))
    x1, y1 = int(min(W, pts[:, 0].max() + pad + 1)), int(min(H, pts[:, 1].max() + pad + 1))
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    P = np.stack([xx.ravel() + 0.5, yy.ravel() + 0.5], 1)  # texel centres
    A, B = pts[:-1], pts[1:]
    AB = B - A
    L2 = np.maximum((AB ** 2).sum(1), 1e-9)
    seglen = np.sqrt(L2)
    cum = np.concatenate([[0], np.cumsum(seglen)])
    AP = P[:, None, :] - A[None]
    t = np.clip((AP * AB[None]).sum(2) / L2[None], 0, 1)
    C = A[None] + t[..., None] * AB[None]
    d2 = ((P[:, None, :] - C) ** 2).sum(2)
    j = d2.argmin(1)
    r = np.sqrt(d2[np.arange(len(P)), j])
    s = (cum[j] + t[np.arange(len(P)), j] * seglen[j]) / cum[-1]  # arc-length parameter [0, 1]
    cross = AB[j, 0] * AP[np.arange(len(P)), j, 1] - AB[j, 1] * AP[np.arange(len(P)), j, 0]
    sd = np.sign(cross) * r
    taper = np.clip(np.sin(np.pi * s), 0, 1) ** 0.6
    v = -np.exp(-0.5 * (r / width) ** 2)
    if profile == "fold":
        v = v + 0.45 * np.exp(-0.5 * ((side * sd - 2.2 * width) / (1.8 * width)) ** 2)
    # Fade out beyond the ends (no blunt caps).
    v *= taper
    D[y0:y1, x0:x1] += (depth * v).reshape(y1 - y0, x1 - x0)


def wobbly(p0, p1, rng, bend=0.0, n=24, wob=0.0):
    """Polyline from p0 to p1 with a bend (px, perpendicular) and a low-frequency wobble."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    t = np.linspace(0, 1, n)
    d = p1 - p0
    nrm = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9)
    ph, fr = rng.uniform(0, 2 * np.pi), rng.uniform(1, 3)
    off = bend * 4 * t * (1 - t) + wob * np.sin(2 * np.pi * fr * t + ph)
    return p0[None] + t[:, None] * d[None] + off[:, None] * nrm[None]


def blur_np(x, sigma):
    t = torch.from_numpy(np.ascontiguousarray(x, np.float32))[None, None]
    return blur_t(t, sigma)[0, 0].numpy().astype(np.float64)


def generate(rng, lm, res=1024, age=None, expression=None, intensity=None):
    """One displacement map (res x res float32, mm) and its parameters."""
    age = rng.uniform(0, 1) if age is None else age
    expression = rng.choice(EXPRESSIONS, p=[0.3, 0.2, 0.2, 0.15, 0.15]) if expression is None else expression
    k = rng.uniform(0.4, 1.0) if intensity is None else intensity
    e = {x: (k if expression == x else 0.0) for x in EXPRESSIONS}
    D = np.zeros((res, res), np.float64)
    s = res / 1024.0
    ageamp = 0.25 + 0.95 * age  # overall depth scale

    def P(i):
        return lm[i] * (res / 1024.0 * 1024.0 / 1024.0)

    # Forehead lines.
    brow_y = min(lm[R_BROW_TOP][:, 1].min(), lm[L_BROW_TOP][:, 1].min())
    top_y = lm[FOREHEAD_TOP][1]
    xl, xr = lm[R_BROW_TOP][:, 0].min(), lm[L_BROW_TOP][:, 0].max()
    xc = 0.5 * (xl + xr)
    nlines = int(rng.integers(1, 3) + round(4 * age * rng.uniform(0.5, 1.0)) + 2 * e["surprise"])
    fdepth = ageamp * rng.uniform(0.04, 0.25) * (1 + 2.0 * e["surprise"]) * (1 - 0.6 * e["frown"])
    ys = np.sort(rng.uniform(brow_y - 0.85 * (brow_y - top_y), brow_y - 0.12 * (brow_y - top_y), nlines))
    for y in ys:
        half = 0.5 * (xr - xl) * rng.uniform(0.5, 1.05)
        cx = xc + rng.normal(0, 0.06 * (xr - xl))
        arch = rng.uniform(-0.06, 0.02) * (xr - xl)
        pieces = rng.integers(1, 3 if age > 0.5 else 4)
        cuts = np.sort(rng.uniform(-half, half, pieces - 1)) if pieces > 1 else np.array([])
        bounds = np.concatenate([[-half], cuts, [half]])
        for a0, a1 in zip(bounds[:-1], bounds[1:]):
            if a1 - a0 < 20 * s:
                continue
            xs = np.linspace(cx + a0, cx + a1, 24)
            yl = y + arch * (1 - ((xs - cx) / half) ** 2) + rng.normal(0, 0.5) * np.sin((xs - cx) / half * rng.uniform(1, 3))
            stroke(D, np.stack([xs, yl], 1), rng.uniform(1.2, 2.8) * s, fdepth * rng.uniform(0.6, 1.2), rng)

    # Glabellar (frown) lines: vertical between the inner brow ends; procerus line across the root.
    rin, lin = lm[107], lm[336]
    gdepth = ageamp * rng.uniform(0.02, 0.2) * (1 + 3.0 * e["frown"] + 0.5 * e["squint"])
    ng = int(rng.integers(0, 2) + round(2 * max(age, e["frown"])))
    gx = 0.5 * (rin[0] + lin[0])
    for i in range(ng):
        off = (i - (ng - 1) / 2) * rng.uniform(0.25, 0.45) * (lin[0] - rin[0])
        y0g = min(rin[1], lin[1]) - rng.uniform(10, 45) * s
        y1g = lm[NOSE_ROOT][1] + rng.uniform(-10, 15) * s
        stroke(D, wobbly((gx + off, y0g), (gx + off * 1.2, y1g), rng, bend=rng.normal(0, 4) * s, wob=1.0 * s),
               rng.uniform(1.3, 2.5) * s, gdepth * rng.uniform(0.7, 1.2), rng)
    if rng.uniform() < 0.3 + 0.5 * e["frown"]:
        yr = lm[NOSE_ROOT][1] + rng.uniform(0, 15) * s
        stroke(D, wobbly((gx - 25 * s, yr), (gx + 25 * s, yr), rng, bend=rng.normal(0, 3) * s),
               rng.uniform(1.5, 2.5) * s, 0.7 * gdepth, rng)

    # Crow's feet: fans from the outer eye corners, pointing away from the face centre.
    cdepth = ageamp * rng.uniform(0.02, 0.18) * (1 + 2.5 * e["smile"] + 2.0 * e["squint"])
    ncf = int(rng.integers(1, 3) + round(4 * age * rng.uniform(0.5, 1)) + 2 * (e["smile"] > 0 or e["squint"] > 0))
    for corner, inner, sgn in ((lm[R_EYE_OUT], lm[R_EYE_IN], -1), (lm[L_EYE_OUT], lm[L_EYE_IN], 1)):
        lat = corner - inner
        lat /= np.linalg.norm(lat)
        base_ang = math.atan2(lat[1], lat[0])
        angs = base_ang + np.sort(rng.uniform(-0.75, 0.75, ncf))
        for ang in angs:
            r0 = rng.uniform(6, 16) * s
            r1 = r0 + rng.uniform(25, 70) * s * (0.6 + 0.6 * age)
            p0 = corner + r0 * np.array([math.cos(ang), math.sin(ang)])
            p1 = corner + r1 * np.array([math.cos(ang + rng.normal(0, 0.15)), math.sin(ang + rng.normal(0, 0.15))])
            stroke(D, wobbly(p0, p1, rng, bend=rng.normal(0, 4) * s, wob=0.8 * s), rng.uniform(1.0, 2.2) * s,
                   cdepth * rng.uniform(0.5, 1.2), rng)

    # Under-eye wrinkles: arcs following the lower lid, offset downward.
    udepth = ageamp * rng.uniform(0.02, 0.15) * (1 + 1.5 * e["smile"] + 1.5 * e["squint"])
    nu = int(rng.integers(0, 2) + round(2 * age))
    for lid in (R_LOWER_LID, L_LOWER_LID):
        pts = lm[lid]
        for i in range(nu):
            off = rng.uniform(8, 30) * s * (i + 1) / max(nu, 1)
            sel = pts[1:-1] if rng.uniform() < 0.5 else pts
            arc = sel + np.array([0, off]) + rng.normal(0, 1.0, sel.shape) * s * 0.3
            stroke(D, arc, rng.uniform(1.2, 2.5) * s, udepth * rng.uniform(0.6, 1.2), rng)

    # Nasolabial folds: from beside the nose wing to beyond the mouth corner, broad with a cheek shoulder.
    ndepth = (0.1 + 0.6 * age) * rng.uniform(0.4, 1.2) * (1 + 1.2 * e["smile"])
    for ala, mouth, sgn in ((lm[R_ALA], lm[R_MOUTH], -1), (lm[L_ALA], lm[L_MOUTH], 1)):
        p0 = ala + np.array([sgn * rng.uniform(4, 14), rng.uniform(-12, 4)]) * s
        p1 = mouth + np.array([sgn * rng.uniform(8, 22), rng.uniform(15, 45)]) * s
        bend = -sgn * rng.uniform(3, 12) * s  # bulging toward the cheek
        pl = wobbly(p0, p1, rng, bend=bend, wob=0.5 * s)
        side = 1.0 if sgn < 0 else -1.0
        stroke(D, pl, rng.uniform(3.0, 7.0) * s, ndepth, rng, profile="fold", side=side)
        # Marionette line below the mouth corner (older faces).
        if age > 0.5 and rng.uniform() < age:
            q0 = mouth + np.array([sgn * 4, 8]) * s
            q1 = mouth + np.array([sgn * rng.uniform(5, 20), rng.uniform(50, 90)]) * s
            stroke(D, wobbly(q0, q1, rng, bend=rng.normal(0, 4) * s), rng.uniform(2, 4) * s, 0.5 * ndepth, rng)

    # Pores: sparse dimples, denser on the nose and cheeks; plus fine band-limited roughness.
    dens = rng.uniform(0.004, 0.02)
    imp = (rng.uniform(size=(res, res)) < dens).astype(np.float64) * rng.uniform(0.5, 1.5, (res, res))
    yy, xx = np.mgrid[0:res, 0:res]
    nose = lm[4]
    w_nose = np.exp(-(((xx - nose[0]) ** 2 + (yy - nose[1] - 40 * s) ** 2) / (2 * (160 * s) ** 2)))
    pdepth = rng.uniform(0.01, 0.05) * (1 + 0.5 * age)
    D -= pdepth * (0.5 + w_nose) * blur_np(imp, rng.uniform(0.6, 1.3) * s) * 2 * math.pi * 0.8
    rough = blur_np(rng.normal(0, 1, (res, res)), rng.uniform(1.0, 2.5) * s)
    D += rng.uniform(0.0, 0.01) * rough / (rough.std() + 1e-9)
    params = {"age": float(age), "expression": str(expression), "intensity": float(k)}
    return D.astype(np.float32), params


if __name__ == "__main__":
    lm = load_landmark_px()
    rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    import time
    t0 = time.time()
    maps = [generate(rng, lm) for _ in range(4)]
    print("s/map", (time.time() - t0) / 4, [m[1] for m in maps])
    from PIL import Image
    tiles = [np.clip(128 + m[0] * 255, 0, 255).astype(np.uint8) for m in maps]
    Image.fromarray(np.concatenate(tiles, 1)).resize((2048, 512)).save(sys.argv[1])
