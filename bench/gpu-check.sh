#!/usr/bin/env bash
# GPU check of the training engines, in under 5 minutes on a machine with an NVIDIA GPU: images/s of ResNet-20 and
# DenseNet-40 for the PyTorch engine on CUDA (against a plain PyTorch loop on CUDA), and for the TensorFlow.js
# engine on WebGPU and WebGL in headless Chromium given the real adapter. Without a GPU (or without CUDA in
# PyTorch, or without Chromium) each part says so in one line and is skipped; the script still exits 0.
#
#   bash bench/gpu-check.sh            PYTHON=/path/to/python3 CHROMIUM=/usr/bin/chromium BATCH=128
set -u
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-/usr/bin/python3}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
BATCH="${BATCH:-128}"
LIMIT_TORCH="${LIMIT_TORCH:-150}"
LIMIT_BROWSER="${LIMIT_BROWSER:-110}"
# Flags that give headless Chromium the machine's GPU instead of SwiftShader: Vulkan through ANGLE for WebGL, and
# WebGPU enabled on Linux where Chromium still keeps it behind a flag.
CHROMIUM_FLAGS="--enable-unsafe-webgpu --use-angle=vulkan --enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan --ignore-gpu-blocklist --enable-gpu-rasterization"

echo "== SkipNet GPU check ($(date -u +%FT%TZ))"
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "no NVIDIA GPU here (nvidia-smi not found): GPU checks skipped"
  exit 0
fi
if ! gpu="$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1)"; then
  echo "nvidia-smi failed ($gpu): GPU checks skipped"
  exit 0
fi
echo "GPU: $gpu"

if ! node scripts/build.mjs --bench >/dev/null 2>&1; then
  echo "the benchmarks do not build (node scripts/build.mjs --bench failed): GPU checks skipped"
  exit 0
fi

echo "== PyTorch engine on CUDA (batch $BATCH; limit ${LIMIT_TORCH}s)"
cuda="$("$PYTHON" -c 'import torch; print(torch.__version__, torch.cuda.is_available())' 2>&1 | tail -1)"
case "$cuda" in
  *True)
    BENCH_DEVICE=cuda BENCH_BROWSER=0 BENCH_PYTHON="$PYTHON" BENCH_MODELS=resnet20,densenet40 BENCH_BATCHES="$BATCH" BENCH_ROUNDS=2 BENCH_STEPS=10 BENCH_WARMUP=5 \
      timeout "$LIMIT_TORCH" node out/bench/trainEngines.bench.js || echo "PyTorch on CUDA: did not finish (exit $?)"
    ;;
  *) echo "PyTorch at $PYTHON cannot use CUDA ($cuda): skipped" ;;
esac

echo "== TensorFlow.js on WebGPU and WebGL in headless Chromium (batch $BATCH; limit ${LIMIT_BROWSER}s)"
if [ ! -x "$CHROMIUM" ]; then
  echo "no Chromium at $CHROMIUM: skipped"
else
  BENCH_TORCH=0 BENCH_BROWSER_BACKENDS=webgpu,webgl BENCH_CHROMIUM_FLAGS="$CHROMIUM_FLAGS" BENCH_PYTHON="$PYTHON" \
    BENCH_MODELS=resnet20,densenet40 BENCH_BATCHES="$BATCH" BENCH_ROUNDS=1 BENCH_STEPS=5 BENCH_WARMUP=1 BENCH_BROWSER_STEPS=5 \
    timeout "$LIMIT_BROWSER" node out/bench/trainEngines.bench.js || echo "Chromium on the GPU: did not finish (exit $?)"
fi
echo "== done"
