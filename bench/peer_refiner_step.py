#!/usr/bin/env python3
"""PyTorch peer of `deno task bench --case refiner_step`.

The same SimGAN refiner training step as lib/bench/cases.ts `refiner_step`:
input x [16, 1, 35, 55] (NCHW; reported as NHWC [16, 35, 55, 1]), uniform in [-1, 1);
R = conv3x3 64 + ReLU, 4 x ResNet block (conv3x3 64 -> ReLU -> conv3x3 64, + x, ReLU),
conv1x1 1 + tanh; loss mean |R(x) - x|; Adam lr 1e-3; forward + backward + update.
Initialisation is PyTorch's default (irrelevant to timing).

Prints one JSON line in the bench schema with "backend": "pytorch-cpu".

    /usr/bin/python3 bench/peer_refiner_step.py --threads 2 --runs 5 --warmup 2
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


class Block(nn.Module):
    """y = ReLU(x + conv(ReLU(conv(x))))."""

    def __init__(self, maps: int):
        super().__init__()
        self.conv1 = nn.Conv2d(maps, maps, 3, padding=1)
        self.conv2 = nn.Conv2d(maps, maps, 3, padding=1)

    def forward(self, x):
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


def refiner(channels: int = 1, maps: int = 64, blocks: int = 4) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(channels, maps, 3, padding=1),
        nn.ReLU(),
        *[Block(maps) for _ in range(blocks)],
        nn.Conv2d(maps, channels, 1),
        nn.Tanh(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--runs", type=int, default=5, help="timed runs")
    parser.add_argument("--warmup", type=int, default=2, help="untimed warm-up runs")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0 or args.threads < 1:
        parser.error("need --runs >= 1, --warmup >= 0, --threads >= 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = refiner()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 1, 35, 55) * 2 - 1

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = (model(x) - x).abs().mean()
        loss.backward()
        opt.step()
        return loss.item()  # synchronous on CPU: the step is complete here

    for _ in range(args.warmup):
        step()
    samples = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t0) * 1000)

    median = statistics.median(samples)
    print(json.dumps({
        "case": "refiner_step",
        "backend": "pytorch-cpu",
        "ms_median": round(median, 3),
        "ms_min": round(min(samples), 3),
        "ms_mean": round(statistics.fmean(samples), 3),
        "ms_max": round(max(samples), 3),
        "runs": args.runs,
        "warmup": args.warmup,
        "threads": torch.get_num_threads(),
        "items_per_s": round(args.batch / (median / 1000), 3),
        "batch": args.batch,
        "input_shape": [args.batch, 35, 55, 1],
        "layout": "NCHW",
        "params": sum(p.numel() for p in model.parameters()),
        "loss": "mean|G(x)-x|",
        "optimizer": "adam lr=0.001 beta1=0.9",
        "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
    }))


if __name__ == "__main__":
    main()
