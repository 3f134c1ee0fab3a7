"""DFDN networks: a small U-Net generator (features -> displacement, mm) and a PatchGAN
discriminator (training only).

Generator budget: inference of a 1024^2 map as 25 patches of 256^2 in <= 300 ms on 2 CPU cores
(onnxruntime-node). A first version with one 3x3 convolution and a separable head at full
resolution (1.8 kMAC/px, 34 k parameters) took about 0.7 s for 25 patches: memory traffic at
full resolution dominated (rough: untrained weights on a busy CPU). So the network starts with
a space-to-depth stage (see Generator); trained, it runs 25 patches in ~70 ms.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

ACT = 0.1  # LeakyReLU slope


def act(x):
    return F.leaky_relu(x, ACT)


class DSBlock(nn.Module):
    """Residual depthwise-separable 3x3 block: x + pw(act(dw(x)))."""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 3, padding=1, groups=c)
        self.pw = nn.Conv2d(c, c, 1)
        nn.init.zeros_(self.pw.bias)
        self.pw.weight.data.mul_(0.5)

    def forward(self, x):
        return x + self.pw(act(self.dw(x)))


class Generator(nn.Module):
    """U-Net on a space-to-depth input: a 2x2 stride-2 convolution (= pixel-unshuffle + 1x1)
    takes the 6 x 256^2 features to 16 x 128^2; levels at 1/2, 1/4, 1/8 resolution with
    residual depthwise-separable blocks; 1x1 reductions + nearest upsampling + additive skips on
    the way up; a 1x1 head to 4 channels and a pixel shuffle back to 1 x 256^2 (so the output
    still has per-texel detail). Nothing but the final reshape runs at full resolution."""

    def __init__(self, cin=6, widths=(16, 32, 64), blocks=(2, 2, 3), dec_blocks=(1, 1), out_scale=0.25, hp_kernel=5):
        super().__init__()
        w1, w2, w3 = widths
        self.out_scale = out_scale  # mm per unit of the last layer
        self.hp_kernel = hp_kernel
        self.down1 = nn.Conv2d(cin + 2, w1, 2, stride=2)
        self.enc1 = nn.Sequential(*[DSBlock(w1) for _ in range(blocks[0])])
        self.down2 = nn.Conv2d(w1, w2, 2, stride=2)
        self.enc2 = nn.Sequential(*[DSBlock(w2) for _ in range(blocks[1])])
        self.down3 = nn.Conv2d(w2, w3, 2, stride=2)
        self.enc3 = nn.Sequential(*[DSBlock(w3) for _ in range(blocks[2])])
        self.red3 = nn.Conv2d(w3, w2, 1)
        self.dec2 = nn.Sequential(*[DSBlock(w2) for _ in range(dec_blocks[0])])
        self.red2 = nn.Conv2d(w2, w1, 1)
        self.dec1 = nn.Sequential(*[DSBlock(w1) for _ in range(dec_blocks[1])])
        self.out = nn.Conv2d(w1, 4, 1)
        nn.init.zeros_(self.out.bias)

    def stem(self, x):
        """Fixed, parameter-free input channels (part of the exported graph): the log of the
        luminance / smooth-shading ratio (albedo x detail shading) and its local high-pass
        (minus a k x k box mean), i.e. the shading detail the displacement must explain. Without
        them the network's readout collapsed to d = 0 before its features found the faint
        (a few %) wrinkle shading in the raw channels."""
        lum = 0.2126 * x[:, 0:1] + 0.7152 * x[:, 1:2] + 0.0722 * x[:, 2:3]
        shade = x[:, 3:4]
        m = (shade > 0).to(x.dtype)
        lr = torch.log((lum + 0.01) / (shade + 0.05)) * m
        k = self.hp_kernel
        mean = F.avg_pool2d(lr, k, stride=1, padding=k // 2, count_include_pad=False)
        mm = F.avg_pool2d(m, k, stride=1, padding=k // 2, count_include_pad=False)
        hp = (lr - mean / mm.clamp_min(1e-3) * m) * m * 10.0
        return torch.cat([x, lr, hp], 1)

    def forward(self, x):
        s1 = self.enc1(act(self.down1(self.stem(x))))
        s2 = self.enc2(act(self.down2(s1)))
        s3 = self.enc3(act(self.down3(s2)))
        y = F.interpolate(self.red3(s3), scale_factor=2.0, mode="nearest") + s2
        y = self.dec2(act(y))
        y = F.interpolate(self.red2(y), scale_factor=2.0, mode="nearest") + s1
        y = self.dec1(act(y))
        return F.pixel_shuffle(self.out(act(y)), 2) * self.out_scale


class Discriminator(nn.Module):
    """PatchGAN on displacement crops (conditioned on the feature crop): 70-px-ish patches."""

    def __init__(self, cin=7, w=24):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cin, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * w, 4 * w, 4, 1, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * w, 1, 4, 1, 1),
        )

    def forward(self, feats, disp_mm):
        # Displacement scaled to O(1) (units of 0.1 mm).
        return self.net(torch.cat([feats, disp_mm * 10.0], 1))


def macs_per_pixel(model, size=256):
    """Multiply-accumulates per output pixel of the convolutions (forward hooks)."""
    total = [0]

    def hook(m, i, o):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            total[0] += o.numel() * k
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 6, size, size))
    for h in hs:
        h.remove()
    return total[0] / (size * size)


if __name__ == "__main__":
    import time
    torch.set_num_threads(2)
    g = Generator().eval()
    print("params", sum(p.numel() for p in g.parameters()), "MAC/px", macs_per_pixel(g))
    x = torch.rand(25, 6, 256, 256)
    with torch.no_grad():
        g(x[:2])
        ts = []
        for _ in range(3):
            t0 = time.time(); g(x); ts.append(time.time() - t0)
    print("torch CPU 25x256^2 ms", [round(t * 1000) for t in ts])
