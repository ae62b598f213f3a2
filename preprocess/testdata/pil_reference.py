#!/usr/bin/python3
"""Regenerate the PIL/torchvision reference outputs the preprocess tests read.

Run from anywhere with Debian 12's python3-pil (libjpeg62-turbo), python3-numpy
and python3-torchvision; cjpeg (libjpeg-turbo-progs) adds the 4:4:0 and 4:1:1
JPEGs, which PIL cannot write:

    /usr/bin/python3 preprocess/testdata/pil_reference.py [SAMPLES_DIR]

It (re)writes, in this directory:
  - small test images cut from the shared sample photos (JPEG in several
    subsamplings, grayscale, CMYK and progressive JPEG, PNG, BMP) and
    synthetic "blocky" JPEGs whose 8x8 blocks are flat, so every IDCT decodes
    them exactly and only chroma upsampling and colour conversion remain;
  - *.rgb: PIL's decoded pixels, img.convert("RGB").tobytes();
  - resize_*.rgb: PIL Image.resize outputs of photo.png;
  - tensor_*.f32: torchvision transforms outputs, float32 HWC little-endian;
  - reference.json: the manifest tying them together.
The Go tests only read these files; they never run Python.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/images"
FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "nearest": Image.NEAREST}


def out(name):
    return os.path.join(HERE, name)


def sample(rel):
    return Image.open(os.path.join(SAMPLES, rel)).convert("RGB")


def cut(img, scale_w, box):
    """Downscale img to width scale_w, then crop box: small but detailed."""
    w, h = img.size
    small = img.resize((scale_w, round(h * scale_w / w)), Image.LANCZOS)
    return small.crop(box)


def make_inputs():
    """Write the test images; return [(file, exact)] for the decode tests."""
    squirrel = cut(sample("samples/squirrel_cls.jpg"), 267, (60, 50, 60 + 131, 50 + 97))
    hotdog = cut(sample("samples/hot_dog.jpg"), 220, (30, 20, 30 + 160, 20 + 120))
    owl = cut(sample("samples/owl.jpg"), 200, (40, 30, 40 + 117, 30 + 83))
    gray = Image.open(os.path.join(SAMPLES, "imagenet-dev/n03764736_milk_can.JPEG"))
    gray = cut(gray.convert("L"), 180, (10, 10, 10 + 101, 10 + 77))

    squirrel.save(out("photo_420.jpg"), quality=85, subsampling=2)
    squirrel.save(out("photo_422.jpg"), quality=85, subsampling=1)
    owl.save(out("photo_444.jpg"), quality=90, subsampling=0)
    owl.save(out("progressive.jpg"), quality=80, subsampling=2, progressive=True)
    gray.save(out("gray.jpg"), quality=90)
    squirrel.convert("CMYK").save(out("cmyk.jpg"), quality=90)
    hotdog.save(out("photo.png"))
    owl.save(out("photo.bmp"))
    owl.quantize(64).save(out("palette.bmp"))
    rgba = hotdog.resize((53, 41)).convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((53, 41)))
    rgba.save(out("rgba.png"))
    files = [("photo_420.jpg", False), ("photo_422.jpg", False), ("photo_444.jpg", False),
             ("progressive.jpg", False), ("gray.jpg", False), ("cmyk.jpg", False),
             ("photo.png", True), ("photo.bmp", True), ("palette.bmp", True), ("rgba.png", True)]

    # Blocky images: flat tiles the size of one MCU, odd image sizes.
    rng = random.Random(1)
    for name, (hs, vs) in {"420": (2, 2), "422": (2, 1), "444": (1, 1), "440": (1, 2), "411": (4, 1)}.items():
        tw, th = 8 * hs, 8 * vs
        img = Image.new("RGB", (75, 53))
        for y in range(0, 53, th):
            for x in range(0, 75, tw):
                img.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + tw, y + th))
        fn = "blocky_%s.jpg" % name
        if name in ("420", "422", "444"):
            img.save(out(fn), quality=100, subsampling={"444": 0, "422": 1, "420": 2}[name])
        elif not cjpeg(img, "%dx%d" % (hs, vs), out(fn)):
            continue
        files.append((fn, True))

    # Real-photo 4:4:0 and 4:1:1, also through cjpeg.
    for name, samp in (("440", "1x2"), ("411", "4x1")):
        if cjpeg(squirrel, samp, out("photo_%s.jpg" % name), quality=85):
            files.append(("photo_%s.jpg" % name, False))
    return files


def cjpeg(img, sampling, path, quality=100):
    exe = shutil.which("cjpeg")
    if exe is None:
        print("cjpeg not found; keeping any existing", path, file=sys.stderr)
        return os.path.exists(path)
    with tempfile.NamedTemporaryFile(suffix=".ppm") as tmp:
        img.save(tmp.name)
        with open(path, "wb") as f:
            subprocess.run([exe, "-quality", str(quality), "-sample", sampling, tmp.name], stdout=f, check=True)
    return True


def rgb_of(path):
    return Image.open(out(path)).convert("RGB")


def write(name, data):
    with open(out(name), "wb") as f:
        f.write(data)


RESIZES = [
    (57, 43, ("bilinear", "bicubic", "nearest")),   # shrink, non-integer factor
    (80, 60, ("bilinear", "bicubic")),              # shrink by exactly 2
    (203, 157, ("bilinear", "bicubic", "nearest")), # enlarge, odd sizes
    (160, 77, ("bilinear", "bicubic")),             # vertical pass only
    (111, 120, ("bilinear", "bicubic")),            # horizontal pass only
    (13, 250, ("bilinear", "bicubic", "nearest")),  # shrink one axis, enlarge the other
    (7, 5, ("bilinear", "bicubic")),                # large shrink factor
    (1, 1, ("bilinear", "bicubic")),
]

# torchvision pipelines on photo.png (160x120) and a 32x32 image.
TENSORS = [
    dict(src="photo.png", resize=64, crop_h=56, crop_w=56, filter="bilinear", kind="imagenet"),
    dict(src="photo.png", resize=64, crop_h=48, crop_w=61, filter="bicubic", kind="imagenet"),
    dict(src="photo.png", resize=50, crop_h=45, crop_w=90, filter="bilinear", kind="imagenet"),  # pads width
    dict(src="photo.png", resize=40, crop_h=64, crop_w=64, filter="bicubic", kind="imagenet"),   # pads both
    dict(src="cifar.png", resize=0, crop_h=32, crop_w=32, filter="bilinear", kind="cifar10"),
    dict(src="photo.png", resize=0, crop_h=32, crop_w=32, filter="bilinear", kind="cifar10"),    # stretched
]
NORM = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
}


def tensor_ref(t):
    import torchvision.transforms as T
    from torchvision.transforms import InterpolationMode

    interp = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC}[t["filter"]]
    mean, std = NORM[t["kind"]]
    if t["resize"]:
        steps = [T.Resize(t["resize"], interpolation=interp), T.CenterCrop((t["crop_h"], t["crop_w"]))]
    else:
        steps = [T.Resize((t["crop_h"], t["crop_w"]), interpolation=interp)]
    pipe = T.Compose(steps + [T.ToTensor(), T.Normalize(mean, std)])
    x = pipe(rgb_of(t["src"]))  # CHW
    return x.permute(1, 2, 0).contiguous().numpy().astype("<f4")


def main():
    manifest = {"pil": Image.__version__, "decode": [], "resize": [], "tensor": []}
    for fn, exact in make_inputs():
        img = rgb_of(fn)
        write(fn + ".rgb", img.tobytes())
        manifest["decode"].append(dict(file=fn, ref=fn + ".rgb", w=img.size[0], h=img.size[1], exact=exact))

    src = rgb_of("photo.png")
    for w, h, filters in RESIZES:
        for f in filters:
            ref = "resize_%dx%d_%s.rgb" % (w, h, f)
            write(ref, src.resize((w, h), FILTERS[f]).tobytes())
            manifest["resize"].append(dict(src="photo.png", w=w, h=h, filter=f, ref=ref))

    src.resize((32, 32), Image.BICUBIC).save(out("cifar.png"))
    for i, t in enumerate(TENSORS):
        ref = "tensor_%d.f32" % i
        write(ref, tensor_ref(t).tobytes())
        mean, std = NORM[t["kind"]]
        manifest["tensor"].append(dict(t, ref=ref, mean=mean, std=std))

    with open(out("reference.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
