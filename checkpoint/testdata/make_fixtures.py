#!/usr/bin/env python3
"""Regenerates the small .pth fixtures used by the checkpoint package tests.

Run from anywhere with a Python that has PyTorch (Debian: python3-torch):

    python3 checkpoint/testdata/make_fixtures.py

Besides the .pth files it writes expected.json, which records for every
fixture the key order and, per tensor, its shape, dtype and the float32 bit
pattern of each element in row-major order. Bit patterns (not decimal
floats) keep the comparison exact and let NaN/Inf through JSON, so the Go
tests need no Python at test time.
"""

import json
import os
import struct
from collections import OrderedDict

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, kernel_size=3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(4, 3)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def f32_bits(t):
    """Row-major float32 bit patterns of t (any dtype), as Go will see them."""
    flat = t.detach().reshape(-1).to(torch.float32).tolist()
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in flat]


def describe(sd):
    return {
        "keys": list(sd.keys()),
        "tensors": {
            k: {
                "shape": list(v.shape),
                "dtype": str(v.dtype).replace("torch.", ""),
                "bits": f32_bits(v),
            }
            for k, v in sd.items()
        },
    }


def save(name, obj, expected_sd, expected):
    torch.save(obj, os.path.join(HERE, name))
    expected[name] = describe(expected_sd)


def main():
    torch.manual_seed(0)
    net = TinyNet()
    net.train()
    # Two training-mode passes give the BatchNorm non-trivial running stats
    # and num_batches_tracked == 2.
    with torch.no_grad():
        for _ in range(2):
            net(torch.randn(2, 3, 5, 5))
    sd = net.state_dict()

    expected = {}
    save("tiny_fp32.pth", sd, sd, expected)

    half = OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
    save("tiny_fp16.pth", half, half, expected)

    save("nested_state_dict.pth", {"epoch": 7, "state_dict": sd, "best_acc": 0.5}, sd, expected)
    save("nested_model.pth", {"model": sd, "optimizer": {"lr": 0.1}}, sd, expected)

    prefixed = OrderedDict(("module." + k, v) for k, v in sd.items())
    save("module_prefix.pth", prefixed, sd, expected)

    # Views saved directly keep their storage, offset and strides, so the
    # loader must gather them in row-major order itself.
    base = torch.arange(20, dtype=torch.float32).reshape(4, 5)
    views = OrderedDict()
    views["transposed"] = base.t()                 # stride (1, 5)
    views["sliced"] = base[1:, 2:]                  # offset 7, stride (5, 1)
    views["stepped"] = base[::2, ::3]               # stride (10, 3)
    views["expanded"] = torch.tensor([1.5, -2.0, 3.25]).expand(2, 3)  # stride (0, 1)
    views["scalar"] = torch.tensor(0.125)           # 0-dim
    views["empty"] = torch.zeros(0, 3)
    save("noncontiguous.pth", views, views, expected)

    # Every storage dtype the loader converts, with the awkward fp16 values
    # (subnormals, signed zero, inf, nan, extremes) spelled out.
    inf, nan = float("inf"), float("nan")
    specials = [0.0, -0.0, 1.0, -1.5, 65504.0, -65504.0, 6.103515625e-05,
                5.960464477539063e-08, -5.960464477539063e-08, 3.0517578125e-05,
                inf, -inf, nan, 0.333251953125]
    dtypes = OrderedDict()
    dtypes["f16"] = torch.tensor(specials, dtype=torch.float16)
    dtypes["bf16"] = torch.tensor([1.0, -3.140625, 1e-39, inf, -inf, 3.3895e38], dtype=torch.bfloat16)
    dtypes["f64"] = torch.tensor([[1.0, 1e-3], [-2.5, 1e300]], dtype=torch.float64)
    dtypes["i64"] = torch.tensor([0, -1, 123456789, 2**40], dtype=torch.int64)
    dtypes["i32"] = torch.tensor([[7, -8], [9, 2**31 - 1]], dtype=torch.int32)
    dtypes["i16"] = torch.tensor([-32768, 32767], dtype=torch.int16)
    dtypes["i8"] = torch.tensor([-128, 5], dtype=torch.int8)
    dtypes["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    dtypes["bool"] = torch.tensor([True, False, True])
    dtypes["nbt"] = torch.tensor(42, dtype=torch.int64)
    save("dtypes.pth", dtypes, dtypes, expected)

    # Files Load must reject with a clear message (not listed in
    # expected.json): a non-tensor value inside the state dict, and a whole
    # pickled module instead of its state dict.
    torch.save(OrderedDict([("w", torch.ones(2)), ("step", 3)]), os.path.join(HERE, "bad_not_tensor.pth"))
    torch.save({"model": net, "epoch": 1}, os.path.join(HERE, "bad_whole_model.pth"))

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
