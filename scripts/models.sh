# Sourced by the scripts: find the shared model directory.
# SCIOT_MODELS wins; otherwise ../shared/models next to the checkout.
if [ -z "${SCIOT_MODELS:-}" ]; then
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -f "$here/../shared/models/index.json" ]; then
    SCIOT_MODELS="$(cd "$here/../shared/models" && pwd)"
  fi
fi
export SCIOT_MODELS="${SCIOT_MODELS:-}"
