#!/usr/bin/python3
"""Writes ops_golden.json: PyTorch's outputs for single operations on small
random tensors, the reference the pure-Go kernels are tested against.

Every tensor is stored flat in NHWC order (weights in PyTorch's OIHW order),
so the Go test reads them without reshaping. Regenerate with
    /usr/bin/python3 kernels/testdata/make_ops_golden.py kernels/testdata/ops_golden.json
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(7)


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous().flatten().tolist()


def shape(t):
    n, c, h, w = t.shape
    return [n, h, w, c]


cases = []


def conv(n, cin, h, w, cout, k, stride, pad, dil, groups, bias=True):
    x = torch.randn(n, cin, h, w)
    wt = torch.randn(cout, cin // groups, k, k)
    b = torch.randn(cout) if bias else None
    y = F.conv2d(x, wt, b, stride, pad, dil, groups)
    cases.append(dict(op="conv2d", kernel=k, stride=stride, pad=pad, dilation=dil, groups=groups,
                      in_shape=shape(x), out_shape=shape(y), input=nhwc(x),
                      weight=wt.flatten().tolist(), bias=b.tolist() if bias else None, output=nhwc(y)))


def pool(kind, n, c, h, w, k, stride, pad, ceil, count_include_pad=True):
    x = torch.randn(n, c, h, w)
    if kind == "maxpool":
        y = F.max_pool2d(x, k, stride, pad, ceil_mode=ceil)
    else:
        y = F.avg_pool2d(x, k, stride, pad, ceil_mode=ceil, count_include_pad=count_include_pad)
    cases.append(dict(op=kind, kernel=k, stride=stride, pad=pad, ceil_mode=ceil,
                      count_include_pad=count_include_pad, in_shape=shape(x), out_shape=shape(y),
                      input=nhwc(x), output=nhwc(y)))


conv(1, 3, 9, 11, 5, 3, 2, 1, 1, 1)          # strided stem-like
conv(2, 4, 7, 7, 6, 1, 1, 0, 1, 1)           # 1x1, batch of two
conv(1, 6, 8, 9, 6, 3, 1, 1, 1, 6)           # depthwise 3x3
conv(1, 8, 10, 10, 8, 5, 2, 2, 1, 8)         # depthwise 5x5 stride 2
conv(1, 6, 9, 9, 4, 3, 1, 2, 2, 2)           # grouped and dilated
conv(1, 4, 6, 6, 12, 3, 1, 1, 1, 4)          # depthwise with multiplier 3
conv(1, 3, 12, 12, 4, 7, 2, 3, 1, 1, False)  # 7x7 without bias
pool("maxpool", 1, 3, 13, 13, 3, 2, 0, True)   # SqueezeNet's ceil_mode pooling
pool("maxpool", 1, 3, 14, 14, 3, 2, 0, True)
pool("maxpool", 1, 2, 8, 9, 3, 2, 1, False)
pool("avgpool", 1, 3, 9, 9, 3, 2, 1, False, True)    # ShiftNet-A's shortcut pool
pool("avgpool", 1, 3, 9, 9, 3, 2, 1, False, False)
pool("avgpool", 1, 2, 10, 10, 3, 2, 1, True, True)
pool("avgpool", 1, 2, 10, 10, 3, 2, 1, True, False)

x = torch.randn(2, 5, 3, 4)
cases.append(dict(op="flatten", in_shape=shape(x), out_shape=[2, 1, 1, 60], input=nhwc(x),
                  output=torch.flatten(x, 1).flatten().tolist()))
x = torch.randn(1, 4, 5, 6)
y = F.adaptive_avg_pool2d(x, 1)
cases.append(dict(op="globalavgpool", in_shape=shape(x), out_shape=shape(y), input=nhwc(x), output=nhwc(y)))
x = torch.randn(1, 1, 1, 7) * 3
for act, fn in [("relu", F.relu), ("relu6", F.relu6), ("silu", F.silu), ("sigmoid", torch.sigmoid)]:
    v = torch.linspace(-9, 9, 37).reshape(1, 37, 1, 1)
    cases.append(dict(op=act, in_shape=shape(v), out_shape=shape(v), input=nhwc(v), output=nhwc(fn(v))))
v = torch.randn(3, 10) * 4
cases.append(dict(op="softmax", in_shape=[3, 1, 1, 10], out_shape=[3, 1, 1, 10],
                  input=v.flatten().tolist(), output=F.softmax(v, 1).flatten().tolist()))
x, w, b = torch.randn(2, 9), torch.randn(4, 9), torch.randn(4)
cases.append(dict(op="linear", in_shape=[2, 1, 1, 9], out_shape=[2, 1, 1, 4], input=x.flatten().tolist(),
                  weight=w.flatten().tolist(), bias=b.tolist(), output=F.linear(x, w, b).flatten().tolist()))

with open(sys.argv[1], "w") as f:
    json.dump(dict(torch=torch.__version__, cases=cases), f)
print(f"{len(cases)} cases written to {sys.argv[1]}")
