// ort_bench.js times an ONNX model in ONNX Runtime (the onnxruntime-node
// package, its CPU execution provider) and prints one JSON object per
// thread count on stdout:
//
//   node ort_bench.js MODEL.onnx --threads 1,2 --warmup N --runs N
//
// Each thread count gets its own session with intraOpNumThreads set and
// one inter-op thread (sequential execution). Inputs are seeded
// pseudo-random values; every run is timed on its own and the min, median
// and max are reported in milliseconds.
'use strict';

const path = require('node:path');

function parseArgs(argv) {
  const opt = { model: '', threads: [1], warmup: 3, runs: 20, modules: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--threads') opt.threads = next().split(',').map(Number);
    else if (a === '--warmup') opt.warmup = Number(next());
    else if (a === '--runs') opt.runs = Number(next());
    else if (a === '--modules') opt.modules = next();
    else if (a.startsWith('--')) throw new Error(`unknown flag ${a}`);
    else opt.model = a;
  }
  if (!opt.model) throw new Error('usage: node ort_bench.js MODEL.onnx [--threads 1,2] [--warmup N] [--runs N] [--modules DIR]');
  if (opt.threads.some((t) => !(t >= 1)) || !(opt.runs >= 1) || !(opt.warmup >= 0)) throw new Error('bad --threads, --runs or --warmup');
  return opt;
}

// A small deterministic generator (xorshift32), so runs are repeatable.
function fill(data, seed) {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    data[i] = (s / 4294967296) * 4 - 2;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const ort = require(opt.modules ? path.join(path.resolve(opt.modules), 'onnxruntime-node') : 'onnxruntime-node');
  const version = require(opt.modules ? path.join(path.resolve(opt.modules), 'onnxruntime-node', 'package.json') : 'onnxruntime-node/package.json').version;
  for (const threads of opt.threads) {
    const session = await ort.InferenceSession.create(opt.model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const name = session.inputNames[0];
    const meta = session.inputMetadata && session.inputMetadata[0];
    const dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, 3, 224, 224];
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    fill(data, 7);
    const feeds = { [name]: new ort.Tensor('float32', data, dims) };
    for (let i = 0; i < opt.warmup; i++) await session.run(feeds);
    const ms = [];
    for (let i = 0; i < opt.runs; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    process.stdout.write(JSON.stringify({
      runtime: 'onnxruntime-node', version, model: path.basename(opt.model), threads,
      warmup: opt.warmup, runs: opt.runs, min_ms: Math.min(...ms), median_ms: median(ms), max_ms: Math.max(...ms),
    }) + '\n');
    if (session.release) await session.release();
  }
}

main().catch((e) => {
  process.stderr.write(`ort_bench: ${e.message}\n`);
  process.exit(1);
});
