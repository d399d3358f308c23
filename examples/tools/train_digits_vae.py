"""Train the digits VAE of examples/digits-vae/: a variational autoencoder with a 2-D latent space and a convolutional
decoder on scikit-learn's 8×8 digits (1,797 images shipped inside Debian's python3-sklearn: nothing is downloaded).

Decoder (the network rgnn imports): Linear(2, 32·2·2) → reshape 32×2×2 → ConvTranspose2d(32, 16, 2, stride 2) → Softplus
→ ConvTranspose2d(16, 8, 2, stride 2) → Softplus → Conv2d(8, 1, 3, padding 1) → Sigmoid, a 1×8×8 image of pixel
intensities in (0, 1). Encoder: an MLP 64 → 256 → 128 → (mean, log-variance) of a diagonal Gaussian in R².
Loss: the negative ELBO, Bernoulli cross-entropy of the 64 pixels (intensities /16) plus KL to N(0, I), Adam.

Writes, in examples/digits-vae/ (or the directory given as the first argument):
  decoder.onnx            the decoder in float64, torch.onnx.export at opset 17 (input z: batch × 2, output
                          batch × 1×8×8)
  state_dict.safetensors  the same weights as F64 tensors under the decoder's state_dict names (fc.weight, fc.bias,
                          up1.weight, …), in PyTorch's layouts (named apart from the decoder.safetensors that
                          `rgnn import` writes beside decoder.rgnn)
  latents.csv             x,y,label: the encoder's mean for every digit, and the digit's class
  reconstructions.png     digits and their reconstructions, the encoded means coloured by class, and the decoder
                          on a lattice of the latent plane

Run with Debian's Python (torch 1.13, numpy, sklearn): /usr/bin/python3 examples/tools/train_digits_vae.py
One CPU thread, fixed seeds: the same files on every run on the same machine.
"""

import os
import struct
import sys
import time
import zlib

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional as F

# rgnn's Python package (python/): its safetensors writer, without installing the package
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from rgnn.safetensors import write_safetensors  # noqa: E402

SEED = 20171204
EPOCHS = 400
BATCH = 64
LR = 2e-3
# the channels at 2×2, 4×4 and 8×8 before the last convolution
C0, C1, C2 = 32, 16, 8


class Decoder(nn.Module):
    """z (batch × 2) → image (batch × 1 × 8 × 8)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, C0 * 2 * 2)
        self.up1 = nn.ConvTranspose2d(C0, C1, kernel_size=2, stride=2)
        self.up2 = nn.ConvTranspose2d(C1, C2, kernel_size=2, stride=2)
        self.conv = nn.Conv2d(C2, 1, kernel_size=3, padding=1)
        self.act1, self.act2, self.out = nn.Softplus(), nn.Softplus(), nn.Sigmoid()

    def forward(self, z):
        x = self.fc(z).view(-1, C0, 2, 2)
        x = self.act1(self.up1(x))
        x = self.act2(self.up2(x))
        return self.out(self.conv(x))


class Encoder(nn.Module):
    """image (batch × 64) → mean and log-variance (batch × 2 each)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 256), nn.Softplus(), nn.Linear(256, 128), nn.Softplus())
        self.mean, self.logvar = nn.Linear(128, 2), nn.Linear(128, 2)

    def forward(self, x):
        h = self.body(x)
        return self.mean(h), self.logvar(h)


def losses(enc, dec, x):
    """Per-digit Bernoulli cross-entropy of the reconstruction (one sample of z) and KL(q(z|x) ‖ N(0, I))."""
    mu, logvar = enc(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    probs = dec(z).view(-1, 64)
    rec = F.binary_cross_entropy(probs, x, reduction="none").sum(1)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
    return rec, kl


def write_png(path, rgb):
    """An 8-bit RGB PNG from an H × W × 3 uint8 array (zlib and struct only)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[r].tobytes() for r in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


# ten distinguishable colours (Tableau 10), one per digit class
COLOURS = np.array(
    [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
     [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]], dtype=np.uint8
)


def tile(img, scale):
    """A grey 8×8 image in [0, 1] (dark ink on white) as an RGB block scaled up by an integer factor."""
    g = (255 * (1 - np.clip(img, 0, 1))).astype(np.uint8)
    g = np.kron(g, np.ones((scale, scale), dtype=np.uint8))
    return np.repeat(g[:, :, None], 3, axis=2)


def figure(images, recons, latents, labels, lattice_images, box, k):
    """Three panels side by side: (left) pairs of rows, digits over their reconstructions; (middle) the encoded means
    coloured by class on the latent box; (right) the decoder's image at each point of a k × k lattice of that box."""
    s, pad = 4, 4
    cell = 8 * s + pad
    # left: 10 columns (classes) × 4 examples, each example an original row over a reconstruction row
    left = np.full((8 * cell + pad, 10 * cell + pad, 3), 255, dtype=np.uint8)
    for c in range(10):
        for r in range(4):
            i = np.where(labels == c)[0][r]
            y, x = pad + 2 * r * cell, pad + c * cell
            left[y : y + 8 * s, x : x + 8 * s] = tile(images[i], s)
            left[y + cell : y + cell + 8 * s, x : x + 8 * s] = tile(recons[i], s)
        left[pad + 2 * np.arange(4)[:, None] * cell + cell - pad // 2 - 1, pad + c * cell : pad + c * cell + 8 * s] = [200, 200, 200]
    # right: the decoded lattice, top row = largest y
    side = k * (8 * 2 + 1) + 1
    right = np.full((side, side, 3), 255, dtype=np.uint8)
    for i in range(k):
        for j in range(k):
            y, x = 1 + (k - 1 - j) * 17, 1 + i * 17
            right[y : y + 16, x : x + 16] = tile(lattice_images[i * k + j], 2)
    # middle: the scatter on a square of the same size as the lattice panel
    mid = np.full((side, side, 3), 255, dtype=np.uint8)
    (x0, x1), (y0, y1) = box
    px = np.clip(((latents[:, 0] - x0) / (x1 - x0) * (side - 1)).round().astype(int), 1, side - 2)
    py = np.clip(((y1 - latents[:, 1]) / (y1 - y0) * (side - 1)).round().astype(int), 1, side - 2)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            mid[py + dy, px + dx] = COLOURS[labels]
    mid[[0, -1], :] = mid[:, [0, -1]] = 0
    # a legend strip: the class colours in order 0 … 9 along the bottom
    legend = np.full((14, side, 3), 255, dtype=np.uint8)
    for c in range(10):
        legend[3:11, 4 + c * 14 : 14 + c * 14] = COLOURS[c]
    mid = np.concatenate([mid, legend])
    h = max(left.shape[0], mid.shape[0], right.shape[0])
    panels = [np.pad(p, ((0, h - p.shape[0]), (0, 8), (0, 0)), constant_values=255) for p in (left, mid, right)]
    return np.concatenate(panels, axis=1)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "digits-vae")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    digits = load_digits()
    X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    labels = digits.target.astype(int)
    enc, dec = Encoder(), Decoder()
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.process_time()
    for epoch in range(1, EPOCHS + 1):
        perm = torch.randperm(len(X), generator=gen)
        tot_rec = tot_kl = 0.0
        for s in range(0, len(X), BATCH):
            x = X[perm[s : s + BATCH]]
            rec, kl = losses(enc, dec, x)
            loss = (rec + kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot_rec += rec.sum().item()
            tot_kl += kl.sum().item()
        sched.step()
        if epoch == 1 or epoch % 50 == 0:
            n = len(X)
            print(f"epoch {epoch:4d}: -ELBO {(tot_rec + tot_kl) / n:7.3f} nats/digit (reconstruction {tot_rec / n:7.3f}, "
                  f"KL {tot_kl / n:5.3f}), {time.process_time() - t0:5.1f} s CPU", flush=True)

    enc.eval()
    dec = dec.double().eval()
    with torch.no_grad():
        mu, logvar = enc(X)
        mu64 = mu.double()
        recon = dec(mu64).view(-1, 64)
        x64 = X.double()
        rec_at_mean = F.binary_cross_entropy(recon, x64, reduction="none").sum(1).mean().item()
        mse = ((recon - x64) ** 2).mean().item()
        kl = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)).mean().item()
    print(f"final, decoding each digit's mean: cross-entropy {rec_at_mean:.3f} nats/digit, pixel MSE {mse:.4f} "
          f"(intensities in [0, 1]), KL {kl:.3f}")

    # the decoder in float64, exported as torch 1.13 writes it at opset 17, with a dynamic batch axis
    z0 = torch.zeros(1, 2, dtype=torch.float64)
    torch.onnx.export(
        dec, z0, os.path.join(out, "decoder.onnx"), input_names=["z"], output_names=["image"],
        dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}}, opset_version=17,
    )
    write_safetensors(os.path.join(out, "state_dict.safetensors"), {k: v.numpy() for k, v in dec.state_dict().items()})

    # the encoded means: 8 significant digits, and the reference computations read back exactly these numbers
    lat = mu64.numpy()
    with open(os.path.join(out, "latents.csv"), "w") as f:
        f.write("x,y,label\n")
        for (a, b), c in zip(lat, labels):
            f.write(f"{a:.8g},{b:.8g},{c}\n")
    print("class means of the encoded digits (x, y) and spread (mean distance to the class mean):")
    for c in range(10):
        p = lat[labels == c]
        m = p.mean(0)
        print(f"  {c}: ({m[0]:6.2f}, {m[1]:6.2f})  spread {np.linalg.norm(p - m, axis=1).mean():.2f}")

    lo, hi = np.percentile(lat, 0.5, axis=0), np.percentile(lat, 99.5, axis=0)
    half = 0.55 * float(max(hi - lo))
    centre = (lo + hi) / 2
    box = ((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half))
    k = 15
    grid = torch.tensor(
        [[box[0][0] + (box[0][1] - box[0][0]) * (i + 0.5) / k, box[1][0] + (box[1][1] - box[1][0]) * (j + 0.5) / k]
         for i in range(k) for j in range(k)], dtype=torch.float64)
    with torch.no_grad():
        lattice = dec(grid).view(-1, 8, 8).numpy()
    png = figure(x64.view(-1, 8, 8).numpy(), recon.view(-1, 8, 8).numpy(), lat, labels, lattice, box, k)
    write_png(os.path.join(out, "reconstructions.png"), png)
    print(f"latent box of the figure: x {box[0][0]:.2f} … {box[0][1]:.2f}, y {box[1][0]:.2f} … {box[1][1]:.2f}")
    for name in ("decoder.onnx", "state_dict.safetensors", "latents.csv", "reconstructions.png"):
        print(f"wrote {os.path.join(out, name)} ({os.path.getsize(os.path.join(out, name))} bytes)")


if __name__ == "__main__":
    main()
