#!/usr/bin/env bash
# The GPU work of lossyscale in one go (docs/gpu.md): the full Fashion-MNIST grid with the
# small CNN and with ResNet-18 (175 grid jobs each, then the storage strategies), and the
# full-scale Figure-6 Monte Carlo (500 repetitions; and n up to 1e6), each as
# plan -> run-bundle on the GPU -> ingest, with wall times and the device recorded.
#
# Needs: Node >= 20 with this checkout (npm ci; Fashion-MNIST: bash scripts/setup.sh), and a
# Python 3 with torch (CUDA build) and numpy: PYTHON=/path/to/python3 if not python3.
#   bash sims/gpu/run-gpu.sh                 # everything
#   bash sims/gpu/run-gpu.sh cnn fig6        # a subset: cnn, resnet18, fig6, fig6-n1e6
# Environment: GROUP (models trained together per stacked network, default 35 = one
# fraction's 7 distances x 5 seeds), DEVICE (default cuda), OUT (bundles, default
# runs/gpu-bundles, git-ignored), CONFIGS (default sims/gpu), RESULTS (default results),
# SIM_RESULTS (default sims/results), ALLOW_CPU=1 (smoke test without a GPU).
# Every step is resumable: run the same command again after an interruption.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
GROUP=${GROUP:-35}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-runs/gpu-bundles}
CONFIGS=${CONFIGS:-sims/gpu}
RESULTS=${RESULTS:-results}
SIM_RESULTS=${SIM_RESULTS:-sims/results}
TIMINGS=$RESULTS/gpu-timings.jsonl
mkdir -p "$OUT" "$RESULTS"
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(cnn resnet18 fig6 fig6-n1e6)

"$PY" -c 'import os, torch, numpy; assert torch.cuda.is_available() or os.environ.get("ALLOW_CPU") == "1", "torch sees no CUDA device"' || {
  echo "run-gpu: $PY needs torch with CUDA and numpy (set PYTHON=...)" >&2; exit 2; }
device_name=$(PYTHONPATH=worker "$PY" -m lossyscale_worker hello --device "$DEVICE" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const h=JSON.parse(s);console.log(`${h.deviceName} (torch ${h.torch}, CUDA ${h.cuda})`)})')
echo "run-gpu: device $device_name"
if [ "${ALLOW_CPU:-0}" != 1 ]; then
  # The CUDA-only code paths (fp16 loss scaling, bf16, cuDNN, channels-last, CUDA generators)
  # are skipped by CI; check them here before spending GPU time.
  (cd worker && "$PY" -m unittest tests.test_cuda -v) || { echo "run-gpu: CUDA self-test failed" >&2; exit 1; }
fi

timed() { # timed NAME COMMAND...: run, append {step, seconds, device} to $TIMINGS
  local name=$1; shift
  local t0; t0=$(date +%s.%N)
  "$@"
  local t1; t1=$(date +%s.%N)
  node -e "console.log(JSON.stringify({step: process.argv[1], seconds: +(process.argv[3]-process.argv[2]).toFixed(1), device: process.argv[4], time: new Date().toISOString()}))" "$name" "$t0" "$t1" "$device_name" | tee -a "$TIMINGS"
}

run_bundle() { # run_bundle DIR [extra args]
  local dir=$1; shift
  (cd "$dir" && "$PY" -m lossyscale_worker run-bundle . --device "$DEVICE" "$@") 2>&1 | tee -a "$dir/run-bundle.log"
}

plan_once() { # plan_once BUNDLE ARGS...: plan unless the bundle exists (resume)
  local dir=$1; shift
  [ -f "$dir/manifest.json" ] || node bin/lossyscale.js sweep plan --out "$dir" "$@"
}

sweep() { # sweep MODEL
  local model=$1
  local cfg=$CONFIGS/fashion-mnist-$model.json run=$RESULTS/fashion-mnist-gpu-$model
  timed "$model plan grid" plan_once "$OUT/$model-grid" --config "$cfg"
  timed "$model train grid" run_bundle "$OUT/$model-grid" --group "$GROUP"
  timed "$model ingest grid" node bin/lossyscale.js sweep ingest "$OUT/$model-grid/results.jsonl" --run "$run"
  # The strategies need the fitted law: planned from the run directory that now holds it.
  timed "$model plan strategies" plan_once "$OUT/$model-strategies" --config "$cfg" --run "$run"
  timed "$model train strategies" run_bundle "$OUT/$model-strategies" --group 1
  timed "$model ingest strategies" node bin/lossyscale.js sweep ingest "$OUT/$model-strategies/results.jsonl" --run "$run"
}

mc() { # mc NAME CONFIG RUN
  timed "$1 plan" plan_once "$OUT/$1" --config "$2" --reps-per-job 10
  timed "$1 simulate" run_bundle "$OUT/$1"
  timed "$1 ingest" node bin/lossyscale.js sweep ingest "$OUT/$1/results.jsonl" --run "$3"
}

for s in "${steps[@]}"; do
  case "$s" in
    cnn|resnet18) sweep "$s" ;;
    fig6) mc fig6 "$CONFIGS/fig6-gpu.json" "$SIM_RESULTS/fig6-gpu" ;;
    fig6-n1e6) mc fig6-n1e6 "$CONFIGS/fig6-gpu-n1e6.json" "$SIM_RESULTS/fig6-gpu-n1e6" ;;
    *) echo "run-gpu: unknown step $s (valid: cnn, resnet18, fig6, fig6-n1e6)" >&2; exit 2 ;;
  esac
done
echo "run-gpu: done; timings in $TIMINGS. Commit $RESULTS/fashion-mnist-gpu-*/, $SIM_RESULTS/fig6-gpu*/ and $TIMINGS (not $OUT)."
