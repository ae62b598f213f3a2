#!/usr/bin/python3
"""PyTorch reference accuracy of the real weights on the shared dev images.

Writes into OUT_DIR:

  squeezenet1_1_imagenet_dev.json   torchvision squeezenet1_1 with
      shared/data/weights/squeezenet1_1_imagenet.pth on the 300 images of
      images/imagenet-dev (Resize(256) bilinear, CenterCrop(224), ToTensor,
      Normalize ImageNet mean/std); label = index of the file name's wnid in
      labels/imagenet_synsets.txt. Expected top-1: 64.3%.
  shiftresnet20_cifar10_dev.json    ShiftResNet-20 built from the CSV weights
      (shiftnets.load_shiftresnet20_csv) on the 2,000 images of images/cifar10-dev
      (32x32, ToTensor, Normalize CIFAR mean/std); label = index of the class folder
      in labels/cifar10.txt. Expected top-1: 78.55% (1571/2000, "78.6%" rounded;
      decoding the JPEGs differently, e.g. float IDCT, moves it by an image or two).

Each file holds, per image, the file name, label, top-5 class indices (best first),
the top-1 logit and softmax probability, plus the overall top-1/top-5 accuracy.
A result is recomputed only if missing, written by another SCRIPT_VERSION, or if
its weights or image list changed (or with --force). Files are written atomically.
"""

import argparse
import os
import sys
import time

import torch
import torchvision
from torchvision import models as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as common  # noqa: E402
import shiftnets  # noqa: E402

SCRIPT_VERSION = 1
BATCH = 50
EVALS = ("squeezenet1_1_imagenet_dev", "shiftresnet20_cifar10_dev")


def log(msg):
    print(msg, flush=True)


def evaluate(model, paths, labels, transform, batch=BATCH):
    """Per-image results and overall accuracy of ``model`` on ``paths``."""
    model.eval()
    results = []
    top1 = top5 = 0
    for start in range(0, len(paths), batch):
        chunk = paths[start:start + batch]
        x = common.load_batch([p for p, _ in chunk], transform)
        with torch.no_grad():
            logits = model(x)
        probs = torch.softmax(logits, dim=1)
        best = logits.topk(5, dim=1).indices
        for i, (_, name) in enumerate(chunk):
            label = labels[start + i]
            t5 = [int(v) for v in best[i]]
            top1 += int(t5[0] == label)
            top5 += int(label in t5)
            results.append({
                "file": name,
                "label": label,
                "top5": t5,
                "top1_logit": float(logits[i, t5[0]]),
                "top1_prob": float(probs[i, t5[0]]),
            })
    n = len(paths)
    return results, {"images": n, "top1_correct": top1, "top5_correct": top5,
                     "top1": top1 / n, "top5": top5 / n}


def squeezenet_job(data_dir, images_dir):
    weights = os.path.join(data_dir, "weights", "squeezenet1_1_imagenet.pth")
    wnids = common.imagenet_wnids(data_dir)
    index = {w: i for i, w in enumerate(wnids)}
    names = common.imagenet_dev_files(images_dir)
    labels = [index[n.split("_")[0]] for n in names]
    paths = [(os.path.join(images_dir, "imagenet-dev", n), n) for n in names]
    spec = common.imagenet_preprocess(256, 224, "bilinear")

    def build():
        model = tvm.squeezenet1_1(weights=None)
        model.load_state_dict(torch.load(weights, map_location="cpu"))
        return model

    return {
        "model": "torchvision.models.squeezenet1_1 + " + os.path.relpath(weights, data_dir),
        "weights": [weights], "images": "imagenet-dev", "paths": paths, "labels": labels,
        "preprocessing": spec, "build": build, "expected_top1": 0.643,
    }


def shiftresnet_job(data_dir, images_dir):
    folder = os.path.join(data_dir, "weights", "shiftresnet20_cifar10")
    classes = common.cifar10_classes(data_dir)
    per_class = common.cifar10_dev_files(images_dir, classes)
    paths, labels = [], []
    for label, cls in enumerate(classes):
        for f in per_class[cls]:
            paths.append((os.path.join(images_dir, "cifar10-dev", cls, f), "%s/%s" % (cls, f)))
            labels.append(label)
    return {
        "model": "shiftnets.load_shiftresnet20_csv(%s)" % os.path.relpath(folder, data_dir),
        "weights": [os.path.join(folder, f) for f in sorted(os.listdir(folder))],
        "images": "cifar10-dev", "paths": paths, "labels": labels,
        "preprocessing": common.cifar_preprocess(), "build": lambda: shiftnets.load_shiftresnet20_csv(folder),
        "expected_top1": 0.786,
    }


def run(name, job, out_dir, force):
    out_path = os.path.join(out_dir, name + ".json")
    fp = common.fingerprint(job["weights"], [n for _, n in job["paths"]])
    old = common.read_json(out_path)
    if not force and old and old.get("script_version") == SCRIPT_VERSION and old.get("fingerprint") == fp:
        s = old["summary"]
        log("[%s] up to date, skipped: top-1 %.2f%%, top-5 %.2f%% on %d images"
            % (name, 100 * s["top1"], 100 * s["top5"], s["images"]))
        return old
    log("[%s] evaluating %d images ..." % (name, len(job["paths"])))
    t0 = time.time()
    model = job["build"]()
    t_build = time.time() - t0
    results, summary = evaluate(model, job["paths"], job["labels"], common.build_transform(job["preprocessing"]))
    elapsed = time.time() - t0
    doc = {
        "script_version": SCRIPT_VERSION,
        "generator": "scripts/golden/reference_eval.py",
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "model": job["model"],
        "images_root": "shared/data/images/" + job["images"],
        "preprocessing": job["preprocessing"],
        "fingerprint": fp,
        "summary": summary,
        "expected_top1": job["expected_top1"],
        "timings_s": {"build": round(t_build, 3), "total": round(elapsed, 3)},
        "results": results,
    }
    common.atomic_write_json(out_path, doc)
    log("[%s] top-1 %.2f%% (%d/%d), top-5 %.2f%% (%d/%d), expected top-1 ~%.1f%%; %.1f s"
        % (name, 100 * summary["top1"], summary["top1_correct"], summary["images"],
           100 * summary["top5"], summary["top5_correct"], summary["images"],
           100 * job["expected_top1"], elapsed))
    if abs(summary["top1"] - job["expected_top1"]) > 0.0015:
        log("[%s] WARNING: top-1 differs from the expected %.1f%%" % (name, 100 * job["expected_top1"]))
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", metavar="OUT_DIR", help="output folder (created if missing)")
    ap.add_argument("--only", default=",".join(EVALS), help="comma-separated subset of: %s" % ", ".join(EVALS))
    ap.add_argument("--data-dir", default=common.DEFAULT_DATA_DIR, help="shared data folder (default: %(default)s)")
    ap.add_argument("--images", default=None, help="images folder (default: DATA_DIR/images)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: %(default)s)")
    ap.add_argument("--force", action="store_true", help="recompute even if up to date")
    args = ap.parse_args()

    selected = [e.strip() for e in args.only.split(",") if e.strip()]
    unknown = [e for e in selected if e not in EVALS]
    if unknown:
        ap.error("unknown evaluation(s): %s" % ", ".join(unknown))
    images_dir = args.images or os.path.join(args.data_dir, "images")
    torch.set_num_threads(max(1, args.threads))
    os.makedirs(args.out_dir, exist_ok=True)

    jobs = {"squeezenet1_1_imagenet_dev": squeezenet_job, "shiftresnet20_cifar10_dev": shiftresnet_job}
    t0 = time.time()
    for name in selected:
        run(name, jobs[name](args.data_dir, images_dir), args.out_dir, args.force)
    log("all done in %.1f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
