#!/usr/bin/python3
"""PyTorch reference definitions of neonet's ShiftNet models.

The Go engine loads PyTorch ``state_dict`` files by parameter name, so the module
and attribute names in this file are part of the contract with the engine:

* ``ShiftResNet`` (CIFAR): ``conv1``, ``bn1``, ``layer{1,2,3}.<j>.{conv1,bn1,conv2,bn2}``,
  ``layer{2,3}.0.shortcut.{0,1}``, ``linear``.
* ``ShiftNetA`` (ImageNet, see docs in ../../../shared/docs/SHIFTNET.md): ``conv1``,
  ``layer{1..4}.<j>.{bn1,conv1,bn2,conv2}``, ``bn``, ``fc``.

The shift op has no parameters: it is described by a per-channel table of integer
offsets (dy, dx), with out[:, c, y, x] = in[:, c, y + dy, x + dx] and zeros where
(y + dy, x + dx) falls outside the image. Two offset conventions are provided:
``interleaved_offsets`` (used by the trained ShiftResNet-20 CSV weights) and
``grouped_offsets`` (used by the ShiftNet-A reconstruction).

Run this file directly to self-check it: it asserts the ShiftNet-A parameter count
and checks that the ShiftResNet-20 CSV weights reproduce their reference logits.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CSV_DIR = "/work/shared/data/weights/shiftresnet20_cifar10"

# Parameter count of the ShiftNet-A reconstruction (batch-norm affine terms included).
SHIFTNET_A_PARAMS = 4_188_680


# ----------------------------------------------------------------------------
# The shift op
# ----------------------------------------------------------------------------

def interleaved_offsets(channels):
    """Offsets of the interleaved convention: the first 9*(C//9) channels cycle
    through the 3x3 neighbourhood (dx fastest), the remaining channels stay put."""
    shifted = 9 * (channels // 9)
    table = []
    for c in range(channels):
        if c < shifted:
            table.append(((c // 3) % 3 - 1, c % 3 - 1))
        else:
            table.append((0, 0))
    return table


def grouped_offsets(channels, k):
    """Offsets of the grouped convention: k*k contiguous groups of C // (k*k)
    channels in raster order of (dy, dx); leftover channels join the last group."""
    groups = k * k
    size = channels // groups
    if size == 0:
        raise ValueError("grouped_offsets: %d channels cannot fill %d groups" % (channels, groups))
    half = k // 2
    table = []
    for c in range(channels):
        g = min(c // size, groups - 1)
        table.append((g // k - half, g % k - half))
    return table


class Shift(nn.Module):
    """Per-channel integer shift with zero fill; no parameters, no buffers.

    Channels that share an offset are moved together: the input is zero-padded by
    the largest offset magnitude and each group is cut out of the padded map at its
    own origin, then the channels are put back into their original order.
    """

    def __init__(self, offsets):
        super().__init__()
        self.offsets = [(int(dy), int(dx)) for dy, dx in offsets]
        self.pad = max([max(abs(dy), abs(dx)) for dy, dx in self.offsets] + [0])
        by_offset = {}
        for c, off in enumerate(self.offsets):
            by_offset.setdefault(off, []).append(c)
        # Plain Python data so that nothing ends up in the state_dict.
        self._groups = sorted(by_offset.items())
        order = [c for _, chans in self._groups for c in chans]
        inverse = [0] * len(order)
        for pos, c in enumerate(order):
            inverse[c] = pos
        self._inverse = inverse

    def extra_repr(self):
        return "channels=%d, groups=%d, pad=%d" % (len(self.offsets), len(self._groups), self.pad)

    def forward(self, x):
        n, c, h, w = x.shape
        if c != len(self.offsets):
            raise ValueError("Shift: expected %d channels, got %d" % (len(self.offsets), c))
        p = self.pad
        if p == 0:
            return x
        padded = F.pad(x, (p, p, p, p))
        pieces = []
        for (dy, dx), chans in self._groups:
            idx = torch.tensor(chans, dtype=torch.long, device=x.device)
            window = padded[:, :, p + dy:p + dy + h, p + dx:p + dx + w]
            pieces.append(window.index_select(1, idx))
        grouped = torch.cat(pieces, dim=1)
        inverse = torch.tensor(self._inverse, dtype=torch.long, device=x.device)
        return grouped.index_select(1, inverse)


# ----------------------------------------------------------------------------
# ShiftResNet (CIFAR)
# ----------------------------------------------------------------------------

class ShiftBlock(nn.Module):
    """1x1 -> BN -> ReLU -> shift -> 1x1 (strided) -> BN -> ReLU, plus shortcut.

    There is deliberately no ReLU after the residual add: this is how the trained
    ShiftResNet-20 weights in shared/data were produced.
    """

    def __init__(self, in_planes, out_planes, stride, expansion):
        super().__init__()
        mid = int(round(expansion * out_planes))
        self.conv1 = nn.Conv2d(in_planes, mid, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.shift = Shift(interleaved_offsets(mid))
        self.conv2 = nn.Conv2d(mid, out_planes, kernel_size=1, stride=stride, bias=False)
        self.bn2 = nn.BatchNorm2d(out_planes)
        if stride != 1 or in_planes != out_planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_planes),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.shift(y)
        y = F.relu(self.bn2(self.conv2(y)))
        return y + self.shortcut(x)


class ShiftResNet(nn.Module):
    """CIFAR ResNet (depth 6n+2) with every 3x3 conv replaced by 1x1-shift-1x1."""

    def __init__(self, depth, expansion=1.0, num_classes=10):
        super().__init__()
        if (depth - 2) % 6 != 0:
            raise ValueError("ShiftResNet depth must be 6n+2, got %d" % depth)
        blocks = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_planes = 16
        stages = []
        for out_planes, stride in ((16, 1), (32, 2), (64, 2)):
            layers = []
            for j in range(blocks):
                layers.append(ShiftBlock(in_planes, out_planes, stride if j == 0 else 1, expansion))
                in_planes = out_planes
            stages.append(nn.Sequential(*layers))
        self.layer1, self.layer2, self.layer3 = stages
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.linear(x)


def shiftresnet20(expansion=1.0, num_classes=10):
    return ShiftResNet(20, expansion, num_classes)


def shiftresnet56(expansion=1.0, num_classes=10):
    return ShiftResNet(56, expansion, num_classes)


# ----------------------------------------------------------------------------
# ShiftNet-A (ImageNet)
# ----------------------------------------------------------------------------

class CSCBlock(nn.Module):
    """Pre-activation conv-shift-conv block of ShiftNet-A.

    out = conv2(relu(bn2(shift(conv1(relu(bn1(x)))))))
    A downsampling block (first of a stage) makes only the C_out - C_in new channels
    with a stride-2 conv2 and returns cat([avgpool3x3/2(x), out]); the others add x.
    """

    def __init__(self, in_ch, out_ch, expansion, kernel, downsample):
        super().__init__()
        self.downsample = downsample
        new_ch = out_ch - in_ch if downsample else out_ch
        mid = expansion * new_ch
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, mid, kernel_size=1, bias=False)
        self.shift = Shift(grouped_offsets(mid, kernel))
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, new_ch, kernel_size=1, stride=2 if downsample else 1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=3, stride=2, padding=1) if downsample else None

    def forward(self, x):
        y = self.conv1(F.relu(self.bn1(x)))
        y = self.conv2(F.relu(self.bn2(self.shift(y))))
        if self.downsample:
            return torch.cat([self.pool(x), y], dim=1)
        return x + y


# (output channels, blocks, shift kernel, expansion of first block, of the others)
SHIFTNET_A_STAGES = (
    (64, 5, 5, 4, 4),
    (128, 6, 5, 4, 3),
    (256, 7, 3, 3, 2),
    (512, 3, 3, 2, 1),
)


class ShiftNetA(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=7, stride=2, padding=3, bias=False)
        in_ch = 32
        stages = []
        for out_ch, blocks, kernel, first_exp, other_exp in SHIFTNET_A_STAGES:
            layers = [CSCBlock(in_ch, out_ch, first_exp, kernel, downsample=True)]
            for _ in range(blocks - 1):
                layers.append(CSCBlock(out_ch, out_ch, other_exp, kernel, downsample=False))
            stages.append(nn.Sequential(*layers))
            in_ch = out_ch
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.bn = nn.BatchNorm2d(in_ch)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.conv1(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = F.relu(self.bn(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def count_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def shiftnet_a(num_classes=1000):
    model = ShiftNetA(num_classes)
    if num_classes == 1000:
        n = count_params(model)
        assert n == SHIFTNET_A_PARAMS, "ShiftNet-A has %d params, expected %d" % (n, SHIFTNET_A_PARAMS)
    return model


# ----------------------------------------------------------------------------
# Trained ShiftResNet-20 (CSV folder, batch norm folded into biases)
# ----------------------------------------------------------------------------

def read_csv_tensor(folder, name, shape):
    """Read one single-line, comma-separated CSV tensor and reshape it."""
    with open(os.path.join(folder, name)) as f:
        values = [float(v) for v in f.read().replace("\n", ",").split(",") if v.strip()]
    t = torch.tensor(values, dtype=torch.float32)
    expected = 1
    for s in shape:
        expected *= s
    if t.numel() != expected:
        raise ValueError("%s: %d values, expected %s" % (name, t.numel(), shape))
    return t.reshape(shape)


def _bias_only_bn(bn, bias):
    """Turn a BatchNorm into (exactly) identity + bias: weight 1, mean 0 and a
    running variance of 1 - eps so that sqrt(var + eps) == 1."""
    with torch.no_grad():
        bn.weight.fill_(1.0)
        bn.bias.copy_(bias)
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)
        bn.num_batches_tracked.zero_()


def _load_1x1(conv, folder, name):
    cin, cout = conv.in_channels, conv.out_channels
    w = read_csv_tensor(folder, name, (cin, cout))  # stored [cin][cout]
    with torch.no_grad():
        conv.weight.copy_(w.t().reshape(cout, cin, 1, 1))


def load_shiftresnet20_csv(folder=DEFAULT_CSV_DIR):
    """Build ShiftResNet(20, 1.0) and fill it with the CSV weights of ``folder``."""
    model = ShiftResNet(20, 1.0, 10)
    t_k = read_csv_tensor(folder, "t_k", (3, 3, 3, 16))  # (kh, kw, cin, cout)
    with torch.no_grad():
        model.conv1.weight.copy_(t_k.permute(3, 2, 0, 1))
    _bias_only_bn(model.bn1, read_csv_tensor(folder, "bias0", (16,)))
    blocks = list(model.layer1) + list(model.layer2) + list(model.layer3)
    for i, block in enumerate(blocks):
        _load_1x1(block.conv1, folder, "p0_%d" % i)
        _bias_only_bn(block.bn1, read_csv_tensor(folder, "bias0_%d" % i, (block.conv1.out_channels,)))
        _load_1x1(block.conv2, folder, "p1_%d" % i)
        _bias_only_bn(block.bn2, read_csv_tensor(folder, "bias1_%d" % i, (block.conv2.out_channels,)))
        if isinstance(block.shortcut, nn.Sequential):
            _load_1x1(block.shortcut[0], folder, "p2_%d" % i)
            _bias_only_bn(block.shortcut[1], read_csv_tensor(folder, "bias2_%d" % i, (block.shortcut[0].out_channels,)))
    p9 = read_csv_tensor(folder, "p_9", (64, 10))
    with torch.no_grad():
        model.linear.weight.copy_(p9.t())
        model.linear.bias.copy_(read_csv_tensor(folder, "bias_9", (10,)))
    return model.eval()


def check_csv_reference(folder=DEFAULT_CSV_DIR, tol=1e-4):
    """Run the CSV model on inputs_batch_32 and compare with outputs_batch_32."""
    model = load_shiftresnet20_csv(folder)
    x = read_csv_tensor(folder, "inputs_batch_32", (32, 32, 32, 3)).permute(0, 3, 1, 2).contiguous()
    want = read_csv_tensor(folder, "outputs_batch_32", (32, 10))
    targets = read_csv_tensor(folder, "targets_batch_32", (32,)).long()
    with torch.no_grad():
        got = model(x)
    diff = (got - want).abs().max().item()
    correct = int((got.argmax(1) == targets).sum())
    print("shiftresnet20 CSV: max |logits - outputs_batch_32| = %.3g (tolerance %g); %d/32 correct"
          % (diff, tol, correct))
    assert diff <= tol, "CSV ShiftResNet-20 does not reproduce outputs_batch_32"
    return diff


def _check_shift():
    """Compare Shift against a direct per-pixel definition on a small random map."""
    torch.manual_seed(0)
    for offsets in (interleaved_offsets(20), grouped_offsets(30, 5), grouped_offsets(27, 3)):
        x = torch.randn(2, len(offsets), 6, 7)
        got = Shift(offsets)(x)
        want = torch.zeros_like(x)
        for c, (dy, dx) in enumerate(offsets):
            for y in range(x.shape[2]):
                for xx in range(x.shape[3]):
                    sy, sx = y + dy, xx + dx
                    if 0 <= sy < x.shape[2] and 0 <= sx < x.shape[3]:
                        want[:, c, y, xx] = x[:, c, sy, sx]
        assert torch.equal(got, want), "Shift disagrees with its definition"
    print("Shift op: matches the per-pixel definition")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", default=DEFAULT_CSV_DIR, help="ShiftResNet-20 CSV folder (default: %(default)s)")
    args = ap.parse_args()

    _check_shift()
    for name, model in (("shiftresnet20(1)", shiftresnet20(1.0)), ("shiftresnet20(3)", shiftresnet20(3.0)),
                        ("shiftresnet56(3)", shiftresnet56(3.0)), ("shiftnet_a", shiftnet_a())):
        print("%-17s %10d params" % (name, count_params(model)))
    print("ShiftNet-A parameter count %d == %d: OK" % (count_params(shiftnet_a()), SHIFTNET_A_PARAMS))
    check_csv_reference(args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
