#!/usr/bin/python3
"""PyTorch's own post-training int8 quantization of a torchvision model, as a
peer for neonet's figures.

The same weights, the same calibration photos and the same held-out photos as
neonet's accuracy test: the images of --data sorted by name, every third one
(100 of imagenet-dev's 300, ptq.CalibrationImages' choice) calibrates, the
other 200 are held out. The model is quantized with FX graph mode (prepare_fx
with the backend's default qconfig mapping: per-tensor affine activations with
histogram observers, per-channel symmetric weights; the 'onednn' engine, else
'x86', 'fbgemm' or 'qnnpack', whichever this PyTorch has), and compared with
its own fp32 on the held-out photos: top-1 of each, top-1 agreement and the
SQNR of the logits (10 log10 of sum fp32^2 over sum (int8 - fp32)^2).

PyTorch's fp32 is slow on a small machine, so fp32 logits and the
preprocessed images are cached in --work (keyed by model, weights and file
names); a second run only calibrates and evaluates int8.

Usage:
  /usr/bin/python3 scripts/quant/fx_ptq.py --weights ../shared/data/weights/efficientnet_b0_tfhub.pth \
      --data ../shared/data/images/imagenet-dev --work build/fx_ptq
"""

import argparse
import copy
import hashlib
import json
import math
import os
import sys
import time
import warnings

LABELS = "labels/imagenet_synsets.txt"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="efficientnet_b0", help="torchvision model name")
    ap.add_argument("--weights", required=True, help="state_dict .pth")
    ap.add_argument("--data", required=True, help="ImageNet-style folder (file names start with the wnid)")
    ap.add_argument("--labels", default=None, help="synset list (default: ../labels/imagenet_synsets.txt beside --data)")
    ap.add_argument("--calib-images", type=int, default=100)
    ap.add_argument("--resize", type=int, default=256)
    ap.add_argument("--crop", type=int, default=224)
    ap.add_argument("--interpolation", default="bicubic", help="as neonet's zoo entry: bicubic for EfficientNet")
    ap.add_argument("--work", default="build/fx_ptq", help="cache folder")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args()

    warnings.filterwarnings("ignore")
    import numpy as np
    import torch
    import torchvision
    from PIL import Image
    from torchvision import transforms

    torch.set_num_threads(args.threads)
    labels_path = args.labels or os.path.join(os.path.dirname(os.path.abspath(args.data)), "..", LABELS)
    wnids = [line.split()[0] for line in open(labels_path)]
    index = {w: i for i, w in enumerate(wnids)}
    exts = (".jpg", ".jpeg", ".png", ".bmp")
    files = sorted(f for f in os.listdir(args.data) if f.lower().endswith(exts))
    n = len(files)
    k = min(args.calib_images, n)
    calib = {files[i * n // k] for i in range(k)}
    held = [f for f in files if f not in calib]
    calib = sorted(calib)

    interp = {"bilinear": transforms.InterpolationMode.BILINEAR, "bicubic": transforms.InterpolationMode.BICUBIC}[args.interpolation]
    tf = transforms.Compose([transforms.Resize(args.resize, interpolation=interp), transforms.CenterCrop(args.crop),
                             transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    os.makedirs(args.work, exist_ok=True)
    key = hashlib.sha256(json.dumps([args.model, os.path.abspath(args.weights), os.path.getsize(args.weights), files,
                                     args.resize, args.crop, args.interpolation]).encode()).hexdigest()[:16]
    cache = os.path.join(args.work, "%s-%s.npz" % (args.model, key))
    model = getattr(torchvision.models, args.model)()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    if os.path.exists(cache):
        z = np.load(cache)
        images, fp32 = z["images"], z["fp32"]
        log("cached inputs and fp32 logits: %s" % cache)
    else:
        images = np.stack([tf(Image.open(os.path.join(args.data, f)).convert("RGB")).numpy() for f in files])
        fp32 = np.zeros((n, 1000), np.float32)
        t0 = time.time()
        with torch.inference_mode():
            for i in range(0, n, 10):
                fp32[i:i + 10] = model(torch.from_numpy(images[i:i + 10])).numpy()
                log("fp32 %d/%d  %.0fs" % (min(i + 10, n), n, time.time() - t0))
        np.savez(cache, images=images, fp32=fp32)
    pos = {f: i for i, f in enumerate(files)}

    engine = next(e for e in ("onednn", "x86", "fbgemm", "qnnpack") if e in torch.backends.quantized.supported_engines)
    torch.backends.quantized.engine = engine
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    t0 = time.time()
    example = torch.from_numpy(images[:1])
    prepared = prepare_fx(copy.deepcopy(model), get_default_qconfig_mapping(engine), (example,))
    with torch.inference_mode():
        for f in calib:
            prepared(torch.from_numpy(images[pos[f]:pos[f] + 1]))
    qmodel = convert_fx(prepared)
    log("calibrated on %d images in %.0fs (engine %s)" % (len(calib), time.time() - t0, engine))

    rows = [pos[f] for f in held]
    truth = np.array([index[f.split("_")[0]] for f in held])
    q = np.zeros((len(rows), 1000), np.float32)
    with torch.inference_mode():
        for j in range(0, len(rows), 10):
            q[j:j + 10] = qmodel(torch.from_numpy(images[rows[j:j + 10]])).numpy()
    f = fp32[rows]
    top_f, top_q = f.argmax(1), q.argmax(1)
    res = {
        "model": args.model, "engine": engine, "torch": torch.__version__, "calibration_images": len(calib),
        "held_out_images": len(rows),
        "fp32_top1": float((top_f == truth).mean()), "int8_top1": float((top_q == truth).mean()),
        "top1_agreement": float((top_f == top_q).mean()),
        "logits_sqnr_db": float(10 * math.log10((f.astype(np.float64) ** 2).sum() / ((f - q).astype(np.float64) ** 2).sum())),
    }
    if args.json:
        print(json.dumps(res))
    else:
        print("PyTorch %s FX post-training quantization (%s), %s, calibrated on %d photos, %d held out:" % (
            res["torch"], engine, args.model, len(calib), len(rows)))
        print("  fp32 top-1 %.2f%%  int8 top-1 %.2f%%  (%+.2f points)  top-1 agreement %.2f%%  logits SQNR %.1f dB" % (
            100 * res["fp32_top1"], 100 * res["int8_top1"], 100 * (res["int8_top1"] - res["fp32_top1"]),
            100 * res["top1_agreement"], res["logits_sqnr_db"]))


if __name__ == "__main__":
    main()
