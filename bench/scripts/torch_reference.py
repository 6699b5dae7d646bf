#!/usr/bin/env python3
"""The bench's ResNet-18 Fashion-MNIST task in plain PyTorch, as the speed reference.

Trains the same network the bench builds (a 3x3 stem of 64 channels with batch norm and ReLU, no
max-pool, four stages of two basic blocks, global average pooling, a linear classifier; one input
channel) on the same data the same way: images scaled to [0, 1], batch 128, random crop with zero
padding and horizontal flip, SGD with momentum 0.9 and coupled weight decay 5e-4, peak learning
rate 0.1 with one epoch of linear warm-up and a cosine decay to 0 at the last step. The data set
lives on the GPU, batches are gathered by index and augmented there as batched tensor ops, and
the loss and accuracy are summed on the device and read once per epoch, so the loop never waits
for the GPU inside an epoch. This is what a careful PyTorch user writes; the bench's DJL loop is
measured against it.

Optimizers:
  sgd         torch.optim.SGD (the default)
  official4   the 4-bit Shampoo of the paper's official code (ShampooSGD of its optimizers/
              shampoo2.py, prec_bits=4) grafted on the same SGD, T1/T2 from --t1/--t2
  official32  the same code with prec_bits=32
The official code is not part of this repository: pass a checkout of it with --official-dir, with
its CUDA library built (cmake -B build cudaC_python && cmake --build build, then copy
build/qtensor/libqtensor_cuda*.so into its qtensor/ folder).

Prints one line per epoch and a summary line:
  torch-reference: optimizer=sgd epochs=5 steps/epoch=469 ms/step=6.61 ms/step(after epoch 1)=6.52 ...
ms/step is the training time of the epochs (a CUDA synchronisation at each epoch's end, evaluation
excluded) divided by the number of training steps.
"""
import argparse
import gzip
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    """The array of an IDX file (gzipped or not) as a uint8 tensor of its declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (too short)")
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    count = math.prod(dims)
    body = data[4 + 4 * ndim:]
    if len(body) != count:
        raise ValueError(f"{path}: header says {count} bytes of data, file has {len(body)}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def load_split(data_dir, prefix, limit, device):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    return images.to(device), labels.to(device).long()


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, width=64, classes=10, channels=1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(channels, width, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        blocks, cin = [], width
        for stage in range(4):
            cout = width << stage
            for b in range(2):
                stride = 2 if stage > 0 and b == 0 else 1
                blocks.append(BasicBlock(cin, cout, stride))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def augment(images, padding, generator):
    """Random crop of the zero-padded images and a horizontal flip with probability 1/2."""
    n, _, h, w = images.shape
    dev = images.device
    padded = F.pad(images, (padding, padding, padding, padding))
    dy = torch.randint(0, 2 * padding + 1, (n,), device=dev, generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), device=dev, generator=generator)
    rows = dy[:, None] + torch.arange(h, device=dev)
    cols = dx[:, None] + torch.arange(w, device=dev)
    batch = torch.arange(n, device=dev)[:, None, None]
    cropped = padded[batch, 0, rows[:, :, None], cols[:, None, :]].unsqueeze(1)
    flip = torch.rand(n, device=dev, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], cropped.flip(3), cropped)


def make_optimizer(args, model):
    if args.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9,
                               weight_decay=args.weight_decay)
    if not args.official_dir:
        sys.exit(f"torch-reference: --optimizer {args.optimizer} needs --official-dir")
    sys.path.insert(0, args.official_dir)
    from optimizers.shampoo2 import ShampooSGD  # the official code, outside this repository
    return ShampooSGD(model.parameters(), lr=args.lr, momentum=0.9,
                      weight_decay=args.weight_decay, nesterov=False, start_prec_step=1,
                      stat_compute_steps=args.t1, prec_compute_steps=args.t2, stat_decay=0.95,
                      matrix_eps=1e-6, prec_maxorder=1200,
                      prec_bits=4 if args.optimizer == "official4" else 32,
                      min_lowbit_size=4096, quan_blocksize=64)


def state_bytes(optimizer):
    """Bytes of every tensor the optimizer keeps (walking its state, whatever objects hold them)."""
    seen, total, stack = set(), 0, [optimizer.state]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if torch.is_tensor(obj):
            total += obj.numel() * obj.element_size()
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--optimizer", choices=["sgd", "official4", "official32"], default="sgd")
    p.add_argument("--official-dir")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--warmup-epochs", type=int, default=1)
    p.add_argument("--crop-padding", type=int, default=4)
    p.add_argument("--t1", type=int, default=100)
    p.add_argument("--t2", type=int, default=500)
    p.add_argument("--max-train", type=int, default=0)
    p.add_argument("--max-test", type=int, default=0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--cudnn-benchmark", choices=["on", "off"], default="on")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark == "on"
    dev = torch.device(args.device)
    train_x, train_y = load_split(args.data, "train", args.max_train, dev)
    test_x, test_y = load_split(args.data, "t10k", args.max_test, dev)
    model = ResNet18().to(dev)
    optimizer = make_optimizer(args, model)
    steps_per_epoch = math.ceil(len(train_x) / args.batch)
    total, warmup = args.epochs * steps_per_epoch, args.warmup_epochs * steps_per_epoch
    gen = torch.Generator(device=dev)
    gen.manual_seed(args.seed)

    def rate(step):  # 1-based, as the bench's schedule
        if step <= warmup:
            return args.lr * max(step, 1) / warmup
        return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / (total - warmup))))

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    step, epoch_seconds = 0, []
    for epoch in range(1, args.epochs + 1):
        model.train()
        sync()
        start = time.perf_counter()
        order = torch.randperm(len(train_x), device=dev, generator=gen)
        loss_sum = torch.zeros((), device=dev)
        correct = torch.zeros((), device=dev, dtype=torch.long)
        for b in range(steps_per_epoch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            x = train_x[idx].unsqueeze(1).float().div_(255)
            if args.crop_padding > 0:
                x = augment(x, args.crop_padding, gen)
            y = train_y[idx]
            step += 1
            for g in optimizer.param_groups:
                g["lr"] = rate(step)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            correct += (logits.argmax(1) == y).sum()
        sync()
        seconds = time.perf_counter() - start
        epoch_seconds.append(seconds)
        model.eval()
        hits = 0
        with torch.no_grad():
            for b in range(0, len(test_x), 1000):
                xb = test_x[b:b + 1000].unsqueeze(1).float().div_(255)
                hits += (model(xb).argmax(1) == test_y[b:b + 1000]).sum()
        print(f"torch-reference: epoch {epoch} train_loss={loss_sum.item() / steps_per_epoch:.4f} "
              f"train_acc={100 * correct.item() / len(train_x):.2f} "
              f"test_acc={100 * int(hits) / len(test_x):.2f} seconds={seconds:.2f} "
              f"ms/step={1000 * seconds / steps_per_epoch:.2f}", flush=True)
    ms = 1000 * sum(epoch_seconds) / (args.epochs * steps_per_epoch)
    later = epoch_seconds[1:] or epoch_seconds
    ms_later = 1000 * sum(later) / (len(later) * steps_per_epoch)
    peak = torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == "cuda" else 0.0
    print(f"torch-reference: optimizer={args.optimizer} epochs={args.epochs} "
          f"steps/epoch={steps_per_epoch} ms/step={ms:.2f} ms/step(after epoch 1)={ms_later:.2f} "
          f"test_acc={100 * int(hits) / len(test_x):.2f} state_MB={state_bytes(optimizer) / 1e6:.1f} "
          f"peak_MiB={peak:.0f} device={torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'}",
          flush=True)


if __name__ == "__main__":
    main()
