#!/usr/bin/env bash
# Installs the Debian packages VGG Lab's tests and fast backends need:
# Chromium (UI tests), Xvfb (a virtual display for the Electron window test), Mesa's Vulkan from bookworm-backports (webgpu backend on a
# software adapter; bookworm's own Mesa is too old for Dawn), and OpenBLAS and oneDNN (native backend: oneDNN's
# convolutions and GEMMs, OpenBLAS where oneDNN is missing), Redis with openssl (the cluster tests start their own Redis servers, some with TLS),
# PyTorch (python3-torch: the torch backend on the CPU, and the bench's PyTorch reference), and Fashion-MNIST
# (dataset-fashion-mnist: a real benchmark, offered by name as `fashion-mnist`).
# The backports mirror is derived from the machine's own apt sources, never hard-coded.
set -euo pipefail
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian system; install Chromium, Vulkan drivers and OpenBLAS yourself" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
  mirror=$(grep -rhoE '^(URIs:|deb)[[:space:]]+[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  if [ -n "$mirror" ]; then
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
      | $SUDO tee /etc/apt/sources.list.d/vgglab-backports.sources >/dev/null
  else
    echo "install-system-deps: no Debian mirror found in apt sources; skipping backports" >&2
  fi
fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  chromium fonts-dejavu-core xvfb xauth libopenblas-dev libopenblas0-openmp libdnnl-dev redis-server openssl python3-torch dataset-fashion-mnist >/dev/null
if grep -rqs "bookworm-backports" /etc/apt/sources.list.d/; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null || echo "install-system-deps: Mesa Vulkan from backports unavailable; webgpu backend will be missing" >&2
fi
echo "install-system-deps: done"
