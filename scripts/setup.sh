#!/usr/bin/env bash
# Sets up lossyscale on a fresh Debian/Ubuntu machine: Node packages, and the Debian
# packages the project reads or drives. Idempotent: a second run only checks.
#   scripts/setup.sh          what the main job needs (Node deps, Fashion-MNIST)
#   scripts/setup.sh --test   also what the test suite needs (Chromium, PyTorch for the worker,
#                             Slurm and munge for the single-node cluster of test/slurm.test.ts,
#                             clang and lld to check the committed WebAssembly kernel of risk --grid)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Node packages: npm ci only when package-lock.json changed since the last install here.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.lossyscale-lock-sha256 2>/dev/null)" != "$lock_hash" ]; then
  echo "setup: installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lossyscale-lock-sha256
fi

# The compiled library and CLI (dist/): incremental, about a second when nothing changed.
# (npm ci already built it through `prepare`; this keeps dist/ current after source edits.)
echo "setup: building dist/ (npm run build)"
npm run --silent build

debs=(dataset-fashion-mnist libjxl0.7 libopenblas0)
if [ "$want_test" = 1 ]; then
  debs+=(chromium python3-torch python3-numpy slurmctld slurmd slurm-client munge clang lld)
fi
missing=()
for d in "${debs[@]}"; do
  dpkg -s "$d" >/dev/null 2>&1 || missing+=("$d")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: ready"
