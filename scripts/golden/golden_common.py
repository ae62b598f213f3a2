"""Helpers shared by make_golden.py and reference_eval.py.

Atomic file writes, image/label listing for the shared data folder, and the
torchvision preprocessing pipelines (described by plain dicts so that they can be
written into manifests as they are).
"""

import hashlib
import json
import os
import tempfile

import torch
from PIL import Image
from torchvision import transforms

# The shared data folder: $NEONET_DATA, else ../shared/data beside the repository.
DEFAULT_DATA_DIR = os.environ.get("NEONET_DATA") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data"))

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
CIFAR_MEAN = [0.4914, 0.4822, 0.4465]
CIFAR_STD = [0.2023, 0.1994, 0.2010]


# ----------------------------------------------------------------------------
# Atomic writes: write a temp file in the target folder, fsync, then rename.
# ----------------------------------------------------------------------------

def atomic_write_bytes(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path, obj):
    atomic_write_bytes(path, (json.dumps(obj, indent=1) + "\n").encode("utf-8"))


def atomic_torch_save(path, obj):
    """torch.save(obj, path), atomically.

    The file is saved under its final base name inside a temporary folder next to
    the target and then renamed, so that the zip records get the same prefix
    ("<stem>/data.pkl") as a direct torch.save to ``path`` would give them.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp_dir = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    tmp = os.path.join(tmp_dir, os.path.basename(path))
    try:
        torch.save(obj, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        os.rmdir(tmp_dir)


def tensor_f32_bytes(t):
    """Raw little-endian float32 bytes of a tensor, in its current (contiguous) order."""
    return t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(weight_paths, image_names):
    """sha256 over the weight files' contents and the ordered image list."""
    h = hashlib.sha256()
    for p in weight_paths:
        h.update(os.path.basename(p).encode() + b"\0" + sha256_file(p).encode() + b"\n")
    for name in image_names:
        h.update(name.encode() + b"\n")
    return h.hexdigest()


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ----------------------------------------------------------------------------
# Data sets in the shared data folder
# ----------------------------------------------------------------------------

def imagenet_dev_files(images_dir):
    """Sorted file names of images/imagenet-dev."""
    folder = os.path.join(images_dir, "imagenet-dev")
    return sorted(f for f in os.listdir(folder) if not f.startswith("."))


def imagenet_wnids(data_dir):
    with open(os.path.join(data_dir, "labels", "imagenet_synsets.txt")) as f:
        return [line.split()[0] for line in f if line.strip()]


def cifar10_classes(data_dir):
    with open(os.path.join(data_dir, "labels", "cifar10.txt")) as f:
        return [line.strip() for line in f if line.strip()]


def cifar10_dev_files(images_dir, classes):
    """{class name: sorted file names} for images/cifar10-dev."""
    out = {}
    for name in classes:
        folder = os.path.join(images_dir, "cifar10-dev", name)
        out[name] = sorted(f for f in os.listdir(folder) if not f.startswith("."))
    return out


def load_rgb(path):
    with Image.open(path) as im:
        return im.convert("RGB")


# ----------------------------------------------------------------------------
# Preprocessing, described by a dict:
#   {"resize": int or None, "crop": int or None, "interpolation": "bilinear"|"bicubic"|...,
#    "mean": [3 floats], "std": [3 floats]}
# resize = shorter side, as torchvision's Resize(int) does; crop = center crop.
# ----------------------------------------------------------------------------

def imagenet_preprocess(resize=256, crop=224, interpolation="bilinear"):
    return {"resize": resize, "crop": crop, "interpolation": interpolation,
            "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD),
            "to_tensor": "x/255 (torchvision ToTensor)", "image_mode": "RGB"}


def cifar_preprocess():
    return {"resize": None, "crop": None, "interpolation": None,
            "mean": list(CIFAR_MEAN), "std": list(CIFAR_STD),
            "to_tensor": "x/255 (torchvision ToTensor)", "image_mode": "RGB"}


def preprocess_from_weights(weights):
    """Preprocessing dict taken from a torchvision weights enum's transforms()."""
    t = weights.transforms()
    spec = {
        "resize": int(t.resize_size[0]),
        "crop": int(t.crop_size[0]),
        "interpolation": t.interpolation.value,
        "mean": [float(v) for v in t.mean],
        "std": [float(v) for v in t.std],
        "to_tensor": "x/255 (torchvision ToTensor)",
        "image_mode": "RGB",
        "source": "torchvision.models.%s.transforms()" % weights,
    }
    if getattr(t, "antialias", None) is not None:
        spec["antialias"] = t.antialias
    return spec


def build_transform(spec):
    steps = []
    if spec.get("resize"):
        mode = transforms.InterpolationMode(spec["interpolation"])
        steps.append(transforms.Resize(spec["resize"], interpolation=mode))
    if spec.get("crop"):
        steps.append(transforms.CenterCrop(spec["crop"]))
    steps.append(transforms.ToTensor())
    steps.append(transforms.Normalize(spec["mean"], spec["std"]))
    return transforms.Compose(steps)


def load_batch(paths, transform):
    return torch.stack([transform(load_rgb(p)) for p in paths])
