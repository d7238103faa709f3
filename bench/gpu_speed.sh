#!/usr/bin/env bash
# Diffusion speed on one CUDA GPU in one call: LTX-Video (final 2B, draft 13B distilled) and
# Wan 2.1 1.3B (final, draft with a rank-32 LoRA) at full size with random weights, per preset
# and size, then LTX-Video final at 720p with the step cache and regional compile
# (bench/gpu_speed.py --full-size-random; nothing is downloaded there).
#
# The device machine has torch and the GPU but no network and few packages, so the rest
# travels as Python wheels in bench/wheels (see ../shared/gpu/README.md; keep them under the
# 64 MiB carry limit), made here once:
#   pip download --only-binary=:all: --no-deps --python-version 3.12 \
#     --platform manylinux_2_28_x86_64 -d bench/wheels diffusers peft pydantic pydantic-core \
#     annotated-types typing-inspection ruamel.yaml platformdirs av imageio-ffmpeg
#   pip wheel --no-deps -w bench/wheels .
# and run there with carry ["bench/wheels"] and timeout_s 600:  bash bench/gpu_speed.sh
# Writes $OUT/ltx.json, $OUT/wan.json, $OUT/switches.json (rows as they come) and
# $OUT/speed.log.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-/tmp/speed-out}
PY=${SPEED_PYTHON:-python3}
SITE=${SPEED_SITE:-/tmp/site}
WHEELS=${SPEED_WHEELS:-$HERE/wheels}
DEADLINE=${SPEED_DEADLINE:-500}  # no measurement starts later than this (seconds)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

run() {  # run NAME ARGS...: one bench/generate.py --gpu call within what is left of DEADLINE
  local name=$1 left=$((DEADLINE - SECONDS))
  shift
  if ((left < 30)); then echo "== $name: skipped, past the deadline"; return; fi
  echo "== $name ($left s left)"
  timeout -s INT -k 10 $((left + 60)) "$PY" "$HERE/generate.py" --gpu --full-size-random \
    --seconds 5 --deadline "$left" --json "$OUT/$name.json" "$@"
  echo "== $name: exit $?"
}

main() {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  "$PY" -m pip install -q --no-index --no-deps --no-cache-dir --target "$SITE" \
    "$WHEELS"/*.whl || return 3
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
  run ltx --backends ltx-video --heights 480 720
  run wan --backends wan --heights 480
  run switches --backends ltx-video --presets final --heights 720 --cache first-block --compile
}

main 2>&1 | tee "$OUT/speed.log"
exit "${PIPESTATUS[0]}"
