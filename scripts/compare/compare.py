#!/usr/bin/python3
"""Time the same models in PyTorch, ONNX Runtime and neonet on this machine.

One run of this script measures, for each model (torchvision's SqueezeNet 1.1
and EfficientNet-B0 at 224x224 by default) and each thread count:

  PyTorch fp32   torchvision model in eager mode, torch.set_num_threads(N)
  PyTorch int8   FX graph mode post-training quantization on the 'onednn'
                 engine (else 'x86', 'fbgemm', 'qnnpack': the one used is
                 printed), calibrated on a few random inputs
  ORT fp32       torch.onnx.export of the same model, run by onnxruntime-node
                 (CPU execution provider, intraOpNumThreads = N), through
                 ort_bench.js
  neonet fp32    neonet bench --json (the fp32 engine is single-threaded)
  neonet int8    neonet bench --json, on the kernel path dispatch selects

All models have random weights (latency does not depend on their values),
every input is seeded noise, and every runtime does the same warm-up and the
same number of timed runs, each timed on its own: the table shows medians in
milliseconds and each one's ratio to neonet int8 (above 1: neonet int8 is
faster). The machine (CPU, cores, kernel, load average, versions) is printed
with it. Progress goes to stderr, the Markdown table to stdout; --json also
saves every measurement.

Usage (make compare does this after installing what it needs):
  /usr/bin/python3 scripts/compare/compare.py --neonet bin/neonet \
      --ort-modules build/compare/ort/node_modules --work build/compare
"""

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))

# neonet's model names are torchvision's.
DEFAULT_MODELS = "squeezenet1_1,efficientnet_b0"
CALIBRATION_INPUTS = 4
SEED = 7


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def summarize(ms):
    return {"min_ms": min(ms), "median_ms": statistics.median(ms), "max_ms": max(ms), "runs": len(ms)}


def time_torch(torch, fn, x, warmup, runs):
    with torch.inference_mode():
        for _ in range(warmup):
            fn(x)
        ms = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn(x)
            ms.append((time.perf_counter() - t0) * 1e3)
    return summarize(ms)


def quant_engine(torch):
    """The quantized engine to use: onednn first, as asked for comparison."""
    supported = torch.backends.quantized.supported_engines
    for engine in ("onednn", "x86", "fbgemm", "qnnpack"):
        if engine in supported:
            return engine
    raise SystemExit(f"PyTorch has no quantized engine (supported: {supported})")


def quantize_fx(torch, model, engine, example):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.backends.quantized.engine = engine
    prepared = prepare_fx(copy.deepcopy(model), get_default_qconfig_mapping(engine), (example,))
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.inference_mode():
        for _ in range(CALIBRATION_INPUTS):
            prepared(torch.randn(example.shape, generator=gen))
    return convert_fx(prepared)


def run_json_lines(cmd):
    log("  $", " ".join(cmd))
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return out


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neonet", required=True, help="the neonet binary")
    ap.add_argument("--ort-modules", required=True, help="node_modules folder holding onnxruntime-node")
    ap.add_argument("--work", required=True, help="folder for the exported ONNX models and results")
    ap.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated torchvision/neonet model names")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3,
                    help="measure everything this many times, interleaved; the table shows the median of the medians")
    ap.add_argument("--json", help="also write every measurement to this file")
    args = ap.parse_args()
    names = [m for m in args.models.split(",") if m]
    threads = [int(t) for t in args.threads.split(",") if t]
    os.makedirs(args.work, exist_ok=True)

    warnings.filterwarnings("ignore")
    import torch
    import torchvision

    engine = quant_engine(torch)
    torch.set_num_interop_threads(1)
    with open(os.path.join(args.ort_modules, "onnxruntime-node", "package.json")) as f:
        ort_version = json.load(f)["version"]
    go_version = subprocess.run(["go", "version"], stdout=subprocess.PIPE, text=True).stdout.strip() if shutil.which("go") else ""
    blas = next((p.split("=", 1)[1] for p in torch.__config__.show().replace(",", " ").split() if p.startswith("BLAS_INFO=")), "?")
    machine = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "torch_blas": blas,
        "torch_quantized_engine": engine,
        "onnxruntime_node": ort_version,
        "node": subprocess.run(["node", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip(),
        "go": go_version,
        "load_average_start": load_average(),
    }
    log(f"machine: {machine}")

    results = []  # dicts: model, runtime, threads, threads_used, median_ms, ...

    repeat = [0]  # the repeat being measured, for the JSON rows

    def add(model, runtime, t, stats, **extra):
        row = {"model": model, "runtime": runtime, "threads": t, "repeat": repeat[0], **stats, **extra}
        results.append(row)
        log(f"  {model} {runtime} {t} thread(s): median {stats['median_ms']:.2f} ms")

    gen = torch.Generator().manual_seed(SEED)
    prepared = {}  # model name -> (float model, int8 model, input, ONNX file)
    for name in names:
        model = getattr(torchvision.models, name)().eval()
        x = torch.randn(1, 3, 224, 224, generator=gen)
        log(f"{name}: FX post-training quantization ({engine} engine, {CALIBRATION_INPUTS} random inputs)")
        qmodel = quantize_fx(torch, model, engine, x)
        onnx_path = os.path.join(args.work, f"{name}.onnx")
        if not os.path.exists(onnx_path):
            log(f"{name}: exporting {onnx_path}")
            with torch.inference_mode():
                torch.onnx.export(model, x, onnx_path + ".tmp", opset_version=13,
                                  input_names=["input"], output_names=["logits"])
            os.replace(onnx_path + ".tmp", onnx_path)
        prepared[name] = (model, qmodel, x, onnx_path)

    # Every repeat measures every runtime once, so all of them see the
    # machine's load over the same stretch of time.
    for rep in range(args.repeat):
        repeat[0] = rep + 1
        for name in names:
            log(f"{name}, repeat {rep + 1} of {args.repeat}:")
            # neonet: one process for both precisions and all thread counts.
            out = run_json_lines([args.neonet, "bench", "--model", name, "--precision", "fp32,int8",
                                  "--threads", ",".join(map(str, threads)), "--warmup", str(args.warmup),
                                  "--runs", str(args.runs), "--json"])
            nb = json.loads(out)
            machine["neonet_go"] = nb["machine"]["go"]
            machine["neonet_int8_kernels"] = nb["machine"]["int8_kernels"]
            for r in nb["results"]:
                stats = {k: r[k] for k in ("min_ms", "median_ms", "max_ms", "runs")}
                if r["precision"] == "fp32":
                    for t in threads:  # single-threaded: the one measurement serves every row
                        add(name, "neonet fp32", t, stats, threads_used=r["threads_used"], note=r.get("note", ""))
                else:
                    add(name, "neonet int8", r["threads"], stats, threads_used=r["threads_used"],
                        kernels=r["kernels"], note=r.get("note", ""))

            model, qmodel, x, onnx_path = prepared[name]
            for t in threads:
                torch.set_num_threads(t)
                add(name, "PyTorch fp32", t, time_torch(torch, model, x, args.warmup, args.runs),
                    threads_used=torch.get_num_threads())
                add(name, "PyTorch int8", t, time_torch(torch, qmodel, x, args.warmup, args.runs),
                    threads_used=torch.get_num_threads(), engine=engine)
            out = run_json_lines(["node", os.path.join(HERE, "ort_bench.js"), onnx_path, "--modules", args.ort_modules,
                                  "--threads", ",".join(map(str, threads)), "--warmup", str(args.warmup),
                                  "--runs", str(args.runs)])
            for line in out.splitlines():
                r = json.loads(line)
                add(name, "ORT fp32", r["threads"], {k: r[k] for k in ("min_ms", "median_ms", "max_ms", "runs")},
                    threads_used=r["threads"])
    machine["load_average_end"] = load_average()

    print_report(machine, results, names, threads, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "results": results}, f, indent=2)
        sys.stdout.flush()
        log(f"measurements written to {args.json}")


RUNTIMES = ["PyTorch fp32", "PyTorch int8", "ORT fp32", "neonet fp32", "neonet int8"]


def print_report(machine, results, names, threads, args):
    def find(model, runtime, t):
        """The repeats of one measurement merged: the median of their medians."""
        rs = [r for r in results if r["model"] == model and r["runtime"] == runtime and r["threads"] == t]
        if not rs:
            return None
        merged = dict(rs[0])
        merged["median_ms"] = statistics.median(r["median_ms"] for r in rs)
        merged["min_ms"] = min(r["min_ms"] for r in rs)
        merged["max_ms"] = max(r["max_ms"] for r in rs)
        merged["medians"] = [r["median_ms"] for r in rs]
        return merged

    m = machine
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['kernel']}; load average {m['load_average_start']:.2f} "
          f"at the start, {m['load_average_end']:.2f} at the end.")
    print(f"Versions: PyTorch {m['torch']} (Debian python3-torch, BLAS {m['torch_blas']}), torchvision {m['torchvision']}, "
          f"onnxruntime-node {m['onnxruntime_node']} (node {m['node']}), neonet built with {m.get('neonet_go', m['go'])}.")
    print(f"PyTorch int8: FX post-training quantization, '{m['torch_quantized_engine']}' engine. "
          f"neonet int8 kernel path: {m.get('neonet_int8_kernels', '?')}.")
    print(f"Random weights, 1x3x224x224 seeded input; {args.warmup} warm-up and {args.runs} timed runs each, "
          f"everything repeated {args.repeat} times, interleaved. Median over the repeats of each one's median "
          "latency in ms; in brackets its ratio to neonet int8 at the same threads (above 1: neonet int8 is faster).")
    print()
    print("| model | threads | " + " | ".join(RUNTIMES) + " |")
    print("|---|---:|" + "---:|" * len(RUNTIMES))
    for name in names:
        for t in threads:
            base = find(name, "neonet int8", t)
            cells = []
            for rt in RUNTIMES:
                r = find(name, rt, t)
                if r is None:
                    cells.append("-")
                    continue
                cell = f"{r['median_ms']:.1f}"
                if base and rt != "neonet int8":
                    cell += f" ({r['median_ms'] / base['median_ms']:.2f}x)"
                if r.get("threads_used", t) != t:
                    cell += f" [{r['threads_used']} thr]"
                cells.append(cell)
            print(f"| {name} | {t} | " + " | ".join(cells) + " |")
    if args.repeat > 1:
        print(f"\nSpread: the lowest and highest of the {args.repeat} repeats' medians (ms).\n")
        print("| model | threads | " + " | ".join(RUNTIMES) + " |")
        print("|---|---:|" + "---:|" * len(RUNTIMES))
        for name in names:
            for t in threads:
                cells = []
                for rt in RUNTIMES:
                    r = find(name, rt, t)
                    cells.append(f"{min(r['medians']):.1f}-{max(r['medians']):.1f}" if r else "-")
                print(f"| {name} | {t} | " + " | ".join(cells) + " |")
    notes = sorted({f"{r['runtime']}: {r['note']}" for r in results if r.get("note")})
    for n in notes:
        print(f"\n- {n}", end="")
    if notes:
        print()

    print("\nGoals:")
    for name in names:
        for t in threads:
            q = find(name, "neonet int8", t)
            for rt in ("PyTorch int8", "ORT fp32"):
                r = find(name, rt, t)
                if q and r:
                    ratio = r["median_ms"] / q["median_ms"]
                    print(f"- {name}, {t} thread(s): neonet int8 faster than {rt}: "
                          f"{verdict(ratio > 1, ratio)} ({ratio:.2f}x)")
    if 1 in threads and 2 in threads:
        one, two = find("squeezenet1_1", "neonet int8", 1), find("squeezenet1_1", "neonet int8", 2)
        if one and two:
            speedup = one["median_ms"] / two["median_ms"]
            why = ""
            if two.get("threads_used", 2) != 2:
                why = f"; the {two.get('kernels', '?')} kernel path ran on {two['threads_used']} thread"
            print(f"- squeezenet1_1 int8, 2 threads >= 1.7x faster than 1: "
                  f"{'met' if speedup >= 1.7 else 'NOT met'} ({speedup:.2f}x{why})")


def verdict(met, ratio):
    """met or NOT met, flagged when the ratio is within the noise of a loaded machine."""
    word = "met" if met else "NOT met"
    if 0.9 < ratio < 1.1:
        word += ", but within 10%: not conclusive"
    return word


if __name__ == "__main__":
    main()
