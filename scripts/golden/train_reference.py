#!/usr/bin/python3
"""fp32 reference for neonet train: PyTorch features and the same heads.

The features are torchvision squeezenet1_1 with the shared ImageNet weights
(shared/data/weights/squeezenet1_1_imagenet.pth), in float32: the last Fire
module's output (model.features, [512, 13, 13]) averaged over its 13x13 pixels,
for every photo of images/cifar10-dev (Resize(256) bilinear, CenterCrop(224),
ToTensor, ImageNet mean/std, as for ImageNet photos). The heads are those of
neonet train, in float64:

  softmax   multinomial logistic regression on embeddings standardized with the
            training photos' mean and (population) standard deviation, minimizing
            (1/n) sum of cross-entropies + (l2/2) |W|^2 (biases not penalized),
            full-batch L-BFGS with a strong Wolfe line search, to convergence;
  imprint   weights imprinted from the training photos (Qi et al. 2018): embeddings
            centred on the mean of the class means, each normalised, summed per
            class and normalised; the class of highest w . (x - centre) wins.

Experiments, each with its training and held-out photos taken from the sorted
files of every class folder:

  cifar10_softmax   10 classes, the first 150 photos of each train, the last 50 test
  cifar3_softmax    airplane, automobile, bird: the same split
  cifar3_imprint    airplane, automobile, bird: the first 5 photos train, the other 195 test

Writes into OUT_DIR/train/:

  squeezenet1_1_cifar10_dev.f32   the 2,000 embeddings, float32 [2000, 512], in the
                                  order of train_reference.json's "files"
  train_reference.json            per experiment: accuracy on the training and the
                                  held-out photos and every held-out photo's class

Nothing is recomputed when both files are there, written by the same SCRIPT_VERSION
from the same weights and photo list (--force recomputes). Files are written
atomically.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torchvision
from torchvision import models as tvm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as common  # noqa: E402

SCRIPT_VERSION = 1
BATCH = 50
L2 = 0.1          # neonet's DefaultL2 (train/train.go)
FEW_SHOT = ("airplane", "automobile", "bird")
EXPERIMENTS = (
    # name, classes (None: all), training photos per class (the rest of the first
    # train+test are held out), held-out photos per class
    ("cifar10_softmax", None, 150, 50, "softmax"),
    ("cifar3_softmax", FEW_SHOT, 150, 50, "softmax"),
    ("cifar3_imprint", FEW_SHOT, 5, 195, "imprint"),
)


def log(msg):
    print(msg, flush=True)


def embeddings(weights, paths, threads):
    """Pooled features.12 of squeezenet1_1 for every photo, float32 [n, 512]."""
    torch.set_num_threads(threads)
    model = tvm.squeezenet1_1(weights=None)
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()
    transform = common.build_transform(common.imagenet_preprocess(256, 224, "bilinear"))
    out = []
    for start in range(0, len(paths), BATCH):
        x = common.load_batch(paths[start:start + BATCH], transform)
        with torch.no_grad():
            out.append(model.features(x).mean(dim=(2, 3)))
        log("  %d/%d photos" % (min(start + BATCH, len(paths)), len(paths)))
    return torch.cat(out).numpy().astype(np.float32)


def fit_softmax(x, y, k, l2):
    """Weights and biases of the standardized softmax head, unstandardized."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-6] = 1
    xs = torch.from_numpy((x - mean) / std)
    yt = torch.from_numpy(y)
    w = torch.zeros((k, x.shape[1]), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=5000, history_size=10, tolerance_grad=1e-9,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(xs @ w.T + b, yt) + l2 / 2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    w = w.detach().numpy() / std
    return w, b.detach().numpy() - w @ mean


def fit_imprint(x, y, k):
    """Imprinted weights and biases (a scale does not change the ranking)."""
    centre = np.mean([x[y == c].mean(axis=0) for c in range(k)], axis=0)
    v = x - centre
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-30)
    w = np.stack([v[y == c].sum(axis=0) for c in range(k)])
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    return w, -w @ centre


def experiment(name, classes, n_train, n_test, method, feats, files, all_classes):
    """Fit the head on the training photos; accuracy and held-out predictions."""
    classes = list(classes or all_classes)
    tr_x, tr_y, te_x, te_y, te_files = [], [], [], [], []
    for label, cls in enumerate(classes):
        rows = [i for i, f in enumerate(files) if f.split("/")[0] == cls]
        for i in rows[:n_train]:
            tr_x.append(feats[i])
            tr_y.append(label)
        for i in rows[n_train:n_train + n_test]:
            te_x.append(feats[i])
            te_y.append(label)
            te_files.append(files[i])
    tr_x, te_x = np.array(tr_x, dtype=np.float64), np.array(te_x, dtype=np.float64)
    tr_y, te_y = np.array(tr_y), np.array(te_y)
    if method == "softmax":
        w, b = fit_softmax(tr_x, tr_y, len(classes), L2)
    else:
        w, b = fit_imprint(tr_x, tr_y, len(classes))
    tr_pred = (tr_x @ w.T + b).argmax(axis=1)
    te_pred = (te_x @ w.T + b).argmax(axis=1)
    result = {
        "classes": classes, "method": method, "l2": L2 if method == "softmax" else None,
        "train_photos_per_class": n_train, "test_photos_per_class": n_test,
        "train_acc": float((tr_pred == tr_y).mean()), "test_acc": float((te_pred == te_y).mean()),
        "test": [{"file": f, "label": int(t), "pred": int(p)} for f, t, p in zip(te_files, te_y, te_pred)],
    }
    log("[%s] %s on %d photos: training %.2f%%, held out %.2f%% (%d photos)"
        % (name, method, len(tr_y), 100 * result["train_acc"], 100 * result["test_acc"], len(te_y)))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", metavar="OUT_DIR", help="output folder (created if missing)")
    ap.add_argument("--data-dir", default=common.DEFAULT_DATA_DIR, help="shared data folder (default: %(default)s)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: %(default)s)")
    ap.add_argument("--force", action="store_true", help="recompute the features even if up to date")
    args = ap.parse_args()

    t0 = time.time()
    out_dir = os.path.join(args.out_dir, "train")
    weights = os.path.join(args.data_dir, "weights", "squeezenet1_1_imagenet.pth")
    images = os.path.join(args.data_dir, "images")
    classes = common.cifar10_classes(args.data_dir)
    per_class = common.cifar10_dev_files(images, classes)
    files = ["%s/%s" % (c, f) for c in classes for f in per_class[c]]
    fp = common.fingerprint([weights], files)

    json_path = os.path.join(out_dir, "train_reference.json")
    feats_path = os.path.join(out_dir, "squeezenet1_1_cifar10_dev.f32")
    old = common.read_json(json_path)
    feats = None
    if (not args.force and old and old.get("script_version") == SCRIPT_VERSION and old.get("fingerprint") == fp
            and os.path.exists(feats_path) and os.path.getsize(feats_path) == len(files) * 512 * 4):
        if set(old.get("experiments", {})) == {e[0] for e in EXPERIMENTS}:
            for name, e in old["experiments"].items():
                log("[%s] up to date, skipped: held out %.2f%%" % (name, 100 * e["test_acc"]))
            return 0
        feats = np.fromfile(feats_path, dtype="<f4").reshape(len(files), 512)
        log("[train] features up to date (%d photos)" % len(files))
    feature_seconds = 0.0
    if feats is None:
        log("[train] squeezenet1_1 features of %d photos of cifar10-dev ..." % len(files))
        t = time.time()
        feats = embeddings(weights, [os.path.join(images, "cifar10-dev", f) for f in files], max(1, args.threads))
        feature_seconds = time.time() - t
        common.atomic_write_bytes(feats_path, feats.astype("<f4").tobytes())

    doc = {
        "script_version": SCRIPT_VERSION,
        "generator": "scripts/golden/train_reference.py",
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "model": "torchvision.models.squeezenet1_1 + weights/squeezenet1_1_imagenet.pth, "
                 "features.12 averaged over 13x13",
        "preprocessing": common.imagenet_preprocess(256, 224, "bilinear"),
        "images_root": "shared/data/images/cifar10-dev",
        "fingerprint": fp,
        "files": files,
        "experiments": {},
    }
    for name, cls, n_train, n_test, method in EXPERIMENTS:
        doc["experiments"][name] = experiment(name, cls, n_train, n_test, method, feats, files, classes)
    doc["timings_s"] = {"features": round(feature_seconds, 1), "total": round(time.time() - t0, 1)}
    common.atomic_write_json(json_path, doc)
    log("[train] done in %.1f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
