#!/usr/bin/env bash
# Set up, build, and show SCIoT on the shared models: inspect a model's
# split points, run it on real images, benchmark it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/models.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
if [ -z "$SCIOT_MODELS" ]; then
  echo "demo: set SCIOT_MODELS to a directory holding the models listed in README.md (person_detect/model.tflite, ...)" >&2
  exit 1
fi
M="$SCIOT_MODELS"
set -x
./build/sciot inspect "$M/person_detect/model.tflite"
./build/sciot run "$M/person_detect/model.tflite" "$M/person_detect/cases/tflm_person_bmp.in.bin"
./build/sciot run "$M/person_detect/model.tflite" "$M/images/tflm_no_person_96x96_gray.bmp"
./build/sciot run "$M/fomo_face/model.tflite" "$M/images/sciot_test_image_96x96.png"
./build/sciot bench "$M/person_detect/model.tflite" --runs 100
./build/sciot bench "$M/fomo_face/model.tflite" --runs 100
