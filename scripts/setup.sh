#!/usr/bin/env bash
# Shared set-up for the demo and the tests: checks the Rust toolchain and, where possible,
# installs a TrueType font for plot text (Debian/Ubuntu, as root).
set -euo pipefail
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust from https://rustup.rs" >&2; exit 2; }
if ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 && [ -z "${EBDM_FONT:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q fonts-dejavu-core >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q fonts-dejavu-core >/dev/null 2>&1; }) \
      || echo "warning: could not install fonts-dejavu-core; plots will be skipped" >&2
  else
    echo "warning: no DejaVu font found; install one or set EBDM_FONT=/path/to/font.ttf for plot text" >&2
  fi
fi
