#!/usr/bin/env bash
# Installs what Lerar needs on Debian/Ubuntu: the C libraries, and with --test also what the tests use
# (headless Chromium for the HTML checks; astropy and xisf from PyPI for the interop checks), with --demo
# headless Chromium (the report's screenshot), and with --siril
# what `make bench-siril` needs (Siril, GNU time, bc).
# Installs only what is missing; as root or through sudo, otherwise prints the command.
set -euo pipefail

APT_PACKAGES=(libcfitsio-dev libzstd-dev liblz4-dev zlib1g-dev libraw-dev libfftw3-dev libtiff-dev pkg-config)
PY_PACKAGES=(numpy astropy xisf tifffile)

if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--demo" ]; then
    APT_PACKAGES+=(chromium)
fi
if [ "${1:-}" = "--bench" ]; then
    APT_PACKAGES+=(time bc)
fi
if [ "${1:-}" = "--siril" ]; then
    APT_PACKAGES+=(siril time bc)
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo"
    else
        echo "Lerar needs these system packages: ${missing[*]}" >&2
        echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
    if ! python3 -c "import numpy, astropy, xisf, tifffile" >/dev/null 2>&1; then
        echo "installing Python packages ${PY_PACKAGES[*]} (for the interop tests)"
        python3 -m pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}" ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${PY_PACKAGES[@]}" || {
            echo "Install them with:  python3 -m pip install ${PY_PACKAGES[*]}" >&2
            exit 1
        }
    fi
fi
