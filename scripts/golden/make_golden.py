#!/usr/bin/python3
"""Write PyTorch golden files for neonet's model tests.

For every selected model this script builds the PyTorch model with seeded random
weights (default init, plus randomised BatchNorm affine terms), re-estimates the
BatchNorm running statistics on a batch of real images so that activations have
realistic ranges, and then writes into OUT_DIR:

  <model>.pth          torch.save(model.state_dict())
  <model>.input.f32    2 preprocessed real images, float32 little-endian, NHWC [2, H, W, 3]
  <model>.logits.f32   PyTorch's eval-mode logits for them, float32 [2, num_classes]
  manifest.json        one entry per model: files, shapes, parameter count, images,
                       preprocessing, named_parameters() with shapes, state_dict keys

and, for squeezenet1_1 only, <model>.fp16.pth (model.half().state_dict()) and
<model>.fp16.logits.f32 (the fp16-rounded weights run in fp32 on the same input).

Runs are incremental: a model whose files all exist and whose manifest entry was
written by the same SCRIPT_VERSION is skipped (use --force to redo it). Every file
is written atomically (temp file + rename).

Models: squeezenet1_0, squeezenet1_1, efficientnet_b0..b3 (torchvision, weights=None),
shiftresnet20 (expansion 1), shiftresnet56 (expansion 3), shiftnet_a (see shiftnets.py),
tf_efficientnet_b0..b3 (torchvision's efficientnet_b0..b3 with TensorFlow's SAME padding:
a forward pre-hook on every Conv2d pads its input as TensorFlow does, see
golden_common.use_same_padding; evaluated at the training resolution after resizing to
32 pixels more, bicubic, as TensorFlow's EfficientNet evaluation does).
"""

import argparse
import copy
import os
import sys
import time

import torch
import torch.nn as nn
import torchvision
from torchvision import models as tvm
from torchvision.models.efficientnet import MBConv

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as common  # noqa: E402
import shiftnets  # noqa: E402

# Bump whenever the generated files would change (models, seeds, images, preprocessing, layout).
SCRIPT_VERSION = 2

N_GOLDEN = 2
BN_STRIDE_IMAGENET = 5       # imagenet-dev: every 5th (sorted) image, 60 in all, estimates BN statistics ...
GOLDEN_IMAGENET = (16, 17)   # ... and these two (sorted indices) are the golden inputs.
BN_PER_CLASS_CIFAR = 2       # cifar10-dev: the first 2 of every class (20 images) estimate BN ...
GOLDEN_CIFAR = (("cat", 2), ("ship", 2))  # ... golden: (class, sorted index), not used for BN.


def torchvision_model(name, weights, same_padding=False):
    """A MODELS row of torchvision ImageNet model name, built without weights;
    with same_padding, TensorFlow's SAME padding, as row tf_ + name."""
    desc = "torchvision.models.%s(weights=None)" % name
    if same_padding:
        return ("tf_" + name, "golden_common.use_same_padding(%s)" % desc,
                lambda: common.use_same_padding(getattr(tvm, name)(weights=None)), weights, "imagenet")
    return (name, desc, lambda: getattr(tvm, name)(weights=None), weights, "imagenet")


# name -> (constructor description, factory, torchvision weights enum or None, data set)
MODELS = [
    torchvision_model("squeezenet1_0", tvm.SqueezeNet1_0_Weights.IMAGENET1K_V1),
    torchvision_model("squeezenet1_1", tvm.SqueezeNet1_1_Weights.IMAGENET1K_V1),
    torchvision_model("efficientnet_b0", tvm.EfficientNet_B0_Weights.IMAGENET1K_V1),
    torchvision_model("efficientnet_b1", tvm.EfficientNet_B1_Weights.IMAGENET1K_V1),
    torchvision_model("efficientnet_b2", tvm.EfficientNet_B2_Weights.IMAGENET1K_V1),
    torchvision_model("efficientnet_b3", tvm.EfficientNet_B3_Weights.IMAGENET1K_V1),
    ("shiftresnet20", "shiftnets.shiftresnet20(expansion=1.0)",
     lambda: shiftnets.shiftresnet20(1.0), None, "cifar10"),
    ("shiftresnet56", "shiftnets.shiftresnet56(expansion=3.0)",
     lambda: shiftnets.shiftresnet56(3.0), None, "cifar10"),
    ("shiftnet_a", "shiftnets.shiftnet_a()",
     lambda: shiftnets.shiftnet_a(), None, "imagenet"),
    # New models go last: a model's seed is 1234 + its index.
] + [torchvision_model("efficientnet_b%d" % i, None, same_padding=True) for i in range(4)]
# TensorFlow's EfficientNet evaluation: resize to the training resolution + 32, centre crop it, bicubic.
TF_RESOLUTION = {"tf_efficientnet_b0": 224, "tf_efficientnet_b1": 240, "tf_efficientnet_b2": 260,
                 "tf_efficientnet_b3": 300}
MODEL_NAMES = [m[0] for m in MODELS]
FP16_MODELS = ("squeezenet1_1",)


def log(msg):
    print(msg, flush=True)


def preprocessing_for(name, weights, dataset):
    if weights is not None:
        return common.preprocess_from_weights(weights)
    if name in TF_RESOLUTION:
        return common.imagenet_preprocess(TF_RESOLUTION[name] + 32, TF_RESOLUTION[name], "bicubic")
    if dataset == "cifar10":
        return common.cifar_preprocess()
    return common.imagenet_preprocess(256, 224, "bilinear")  # shiftnet_a: same as squeezenet


def image_lists(dataset, images_dir, data_dir):
    """(BN-estimation image paths, golden image paths), relative to images_dir."""
    if dataset == "imagenet":
        files = ["imagenet-dev/" + f for f in common.imagenet_dev_files(images_dir)]
        bn = files[::BN_STRIDE_IMAGENET]
        golden = [files[i] for i in GOLDEN_IMAGENET]
    else:
        classes = common.cifar10_classes(data_dir)
        per_class = common.cifar10_dev_files(images_dir, classes)
        bn = ["cifar10-dev/%s/%s" % (c, f) for c in classes for f in per_class[c][:BN_PER_CLASS_CIFAR]]
        golden = ["cifar10-dev/%s/%s" % (c, per_class[c][i]) for c, i in GOLDEN_CIFAR]
    assert not set(bn) & set(golden), "golden images overlap the BN-estimation images"
    return bn, golden


def batchnorms(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


# Seeded networks should behave like trained ones, whose activations keep a
# similar scale from one photo to the next; a plain random network does not
# (a few photos drive EfficientNet's logits 300x higher than others), which no
# per-tensor int8 range can serve. Two habits of trained networks fix that:
RESIDUAL_GAMMA = (0.1, 0.3)  # the last BN of a residual branch starts small ("zero-init residual")
VAR_FLOOR = 0.3              # no channel's running variance below 0.3 x its layer's median


def randomise_batchnorm(model):
    with torch.no_grad():
        for bn in batchnorms(model):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.1)
        for block in model.modules():
            if isinstance(block, MBConv) and block.use_res_connect:
                block.block[-1][1].weight.uniform_(*RESIDUAL_GAMMA)


def estimate_batchnorm(model, batch):
    """Replace running statistics by those of ``batch`` (cumulative average, one pass).

    Only the BatchNorm layers are put in training mode: dropout and EfficientNet's
    stochastic depth stay in eval mode so that the statistics are those of the
    network as it runs at inference time.
    """
    model.eval()
    bns = batchnorms(model)
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
        bn.train()
    with torch.no_grad():
        model(batch)
        # A channel nearly constant over the estimation photos would be
        # divided by a near-zero variance and explode on other photos.
        for bn in bns:
            bn.running_var.clamp_(min=VAR_FLOOR * float(bn.running_var.median()))
    model.eval()
    return len(bns)


def manifest_entry_ok(entry, out_dir):
    if not entry or entry.get("script_version") != SCRIPT_VERSION:
        return False
    for fname, size in entry.get("file_bytes", {}).items():
        path = os.path.join(out_dir, fname)
        if not os.path.isfile(path) or os.path.getsize(path) != size:
            return False
    return bool(entry.get("file_bytes"))


def describe_preprocessing(name, spec):
    if spec.get("resize"):
        return ("%s: resize shorter side to %d (%s), center crop %d, mean %s, std %s%s"
                % (name, spec["resize"], spec["interpolation"], spec["crop"], spec["mean"], spec["std"],
                   "  [from %s]" % spec["source"] if "source" in spec else ""))
    return "%s: no resize (32x32), mean %s, std %s" % (name, spec["mean"], spec["std"])


def make_model(index, out_dir, images_dir, data_dir, bn_batch_limit, fp64_check=False):
    name, ctor, factory, weights, dataset = MODELS[index]
    t_start = time.time()
    timings = {}

    spec = preprocessing_for(name, weights, dataset)
    log("  preprocessing " + describe_preprocessing(name, spec))
    transform = common.build_transform(spec)
    bn_files, golden_files = image_lists(dataset, images_dir, data_dir)
    if bn_batch_limit:
        bn_files = bn_files[:bn_batch_limit]

    # Model with seeded weights.
    seed = 1234 + index
    torch.manual_seed(seed)
    t = time.time()
    model = factory()
    randomise_batchnorm(model)
    timings["build"] = time.time() - t

    # BatchNorm statistics from real images.
    t = time.time()
    n_bn = len(batchnorms(model))
    if n_bn:
        bn_batch = common.load_batch([os.path.join(images_dir, f) for f in bn_files], transform)
        estimate_batchnorm(model, bn_batch)
        log("  %d BatchNorm layers re-estimated on %d images %s in %.1f s"
            % (n_bn, len(bn_files), tuple(bn_batch.shape), time.time() - t))
    else:
        bn_files = []
        log("  no BatchNorm layers: nothing to re-estimate")
    model.eval()
    timings["bn_estimate"] = time.time() - t

    # Golden inputs and logits.
    t = time.time()
    x = common.load_batch([os.path.join(images_dir, f) for f in golden_files], transform)
    if weights is not None:
        # Our Compose must be exactly what torchvision's own preset does on PIL images.
        ref = torch.stack([weights.transforms()(common.load_rgb(os.path.join(images_dir, f))) for f in golden_files])
        assert torch.equal(ref, x), "%s: preprocessing differs from %s.transforms()" % (name, weights)
    with torch.no_grad():
        logits = model(x)
        fp64_err = None
        if fp64_check:
            # How far fp32 is from fp64 here: a floor for the tolerance of an exact-reproduction test.
            fp64_err = (copy.deepcopy(model).double()(x.double()) - logits.double()).abs().amax(1)
    timings["golden_forward"] = time.time() - t
    num_classes = logits.shape[1]
    _, _, h, w = x.shape

    # Write the files.
    t = time.time()
    files = {
        "state_dict": name + ".pth",
        "input": name + ".input.f32",
        "logits": name + ".logits.f32",
    }
    common.atomic_torch_save(os.path.join(out_dir, files["state_dict"]), model.state_dict())
    common.atomic_write_bytes(os.path.join(out_dir, files["input"]), common.tensor_f32_bytes(x.permute(0, 2, 3, 1)))
    common.atomic_write_bytes(os.path.join(out_dir, files["logits"]), common.tensor_f32_bytes(logits))

    extra = {}
    if name in FP16_MODELS:
        files["fp16_state_dict"] = name + ".fp16.pth"
        files["fp16_logits"] = name + ".fp16.logits.f32"
        common.atomic_torch_save(os.path.join(out_dir, files["fp16_state_dict"]), copy.deepcopy(model).half().state_dict())
        rounded = copy.deepcopy(model).half().float().eval()
        with torch.no_grad():
            logits16 = rounded(x)
        common.atomic_write_bytes(os.path.join(out_dir, files["fp16_logits"]), common.tensor_f32_bytes(logits16))
        extra["fp16_max_abs_logit_change"] = float((logits16 - logits).abs().max())
        log("  fp16-rounded weights: max |logit change| = %.3g" % extra["fp16_max_abs_logit_change"])
    timings["save"] = time.time() - t
    timings["total"] = time.time() - t_start

    sd = model.state_dict()
    entry = {
        "script_version": SCRIPT_VERSION,
        "constructor": ctor,
        "seed": seed,
        "files": files,
        "file_bytes": {f: os.path.getsize(os.path.join(out_dir, f)) for f in files.values()},
        "file_sha256": {f: common.sha256_file(os.path.join(out_dir, f)) for f in files.values()},
        "input_shape": [N_GOLDEN, h, w, 3],
        "input_layout": "NHWC, float32 little-endian, preprocessed (normalised)",
        "logits_shape": [N_GOLDEN, num_classes],
        "num_classes": num_classes,
        "param_count": sum(p.numel() for _, p in model.named_parameters()),
        "images_root": "shared/data/images",
        "images": golden_files,
        "bn_estimation_images": bn_files,
        "bn_estimation": ("BN weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), last BN of residual MBConv branches "
                          "~ U(0.1, 0.3); running stats = one cumulative pass (momentum=None) over "
                          "bn_estimation_images with only BN layers in train mode, running_var floored at "
                          "0.3 x the layer's median")
                         if n_bn else "model has no BatchNorm",
        "preprocessing": spec,
        "logits_top1": [int(i) for i in logits.argmax(1)],
        "logits_range": [float(logits.min()), float(logits.max())],
        "logits_max_abs_per_image": [float(v) for v in logits.abs().amax(1)],
        "named_parameters": [[n, list(p.shape)] for n, p in model.named_parameters()],
        "state_dict": [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in sd.items()],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
    if fp64_err is not None:
        entry["fp32_vs_fp64_max_abs_err_per_image"] = [float(v) for v in fp64_err]
    entry.update(extra)
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", metavar="OUT_DIR", help="output folder (created if missing)")
    ap.add_argument("--models", default=",".join(MODEL_NAMES),
                    help="comma-separated subset of: %s (default: all)" % ", ".join(MODEL_NAMES))
    ap.add_argument("--data-dir", default=common.DEFAULT_DATA_DIR, help="shared data folder (default: %(default)s)")
    ap.add_argument("--images", default=None,
                    help="images folder holding imagenet-dev/ and cifar10-dev/ (default: DATA_DIR/images)")
    ap.add_argument("--bn-batch", type=int, default=0,
                    help="use at most this many images for BN estimation (default: all, 60 ImageNet / 20 CIFAR)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: %(default)s)")
    ap.add_argument("--fp64-check", action="store_true",
                    help="also run the model in float64 and record the fp32-vs-fp64 logit error per image "
                         "(a floor for test tolerances; slow for EfficientNet)")
    ap.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = ap.parse_args()

    images_dir = args.images or os.path.join(args.data_dir, "images")
    selected = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in selected if m not in MODEL_NAMES]
    if unknown:
        ap.error("unknown model(s): %s" % ", ".join(unknown))
    torch.set_num_threads(max(1, args.threads))
    os.makedirs(args.out_dir, exist_ok=True)

    manifest_path = os.path.join(args.out_dir, "manifest.json")
    manifest = common.read_json(manifest_path) or {}
    entries = manifest.get("models", {}) if isinstance(manifest.get("models"), dict) else {}

    log("make_golden v%d: torch %s, torchvision %s, %d threads, out %s"
        % (SCRIPT_VERSION, torch.__version__, torchvision.__version__, torch.get_num_threads(), args.out_dir))
    t0 = time.time()
    for name in selected:
        index = MODEL_NAMES.index(name)
        if not args.force and manifest_entry_ok(entries.get(name), args.out_dir):
            log("[%s] up to date, skipped" % name)
            continue
        log("[%s] generating ..." % name)
        entry = make_model(index, args.out_dir, images_dir, args.data_dir, args.bn_batch, args.fp64_check)
        entries[name] = entry
        manifest = {
            "script_version": SCRIPT_VERSION,
            "generator": "scripts/golden/make_golden.py",
            "torch_version": torch.__version__,
            "torchvision_version": torchvision.__version__,
            "models": {k: entries[k] for k in MODEL_NAMES if k in entries},
        }
        common.atomic_write_json(manifest_path, manifest)
        tm = entry["timings_s"]
        log("[%s] done: %d params, input %s, logits %s, top-1 %s; build %.1f s, BN %.1f s, forward %.1f s, "
            "save %.1f s, total %.1f s"
            % (name, entry["param_count"], entry["input_shape"], entry["logits_shape"], entry["logits_top1"],
               tm["build"], tm["bn_estimate"], tm["golden_forward"], tm["save"], tm["total"]))
    log("all done in %.1f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
