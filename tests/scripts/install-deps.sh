#!/usr/bin/env bash
# Installs what building, running and testing Kling Studio need on Debian/Ubuntu,
# and only what is missing: system packages with apt-get (sudo when not root),
# Rust tools with `cargo install --locked`. Elsewhere it says what to install.
set -euo pipefail

BUILD_PACKAGES=(libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev
  librsvg2-dev libayatana-appindicator3-dev libssl-dev libxdo-dev libdbus-1-dev pkg-config
  build-essential file)
# Video playback in WebKitGTK needs gstreamer1.0-libav (H.264/AAC): without it every
# <video> fails silently. --no-install-recommends drops it, so it is named here.
# ca-certificates: the system's trust store, which the app checks Segmind's
# certificate against (on a bare Debian, and with --no-install-recommends, it can be missing).
RUN_PACKAGES=(gstreamer1.0-libav gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gnome-keyring ca-certificates)
# fonts-noto-cjk: the Chinese screens are drawn (and screenshotted) with real glyphs.
# python3-xlib: tests/scripts/app-window.py closes the app's window as a window
# manager does and presses keys as a person does (WebDriver can do neither).
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver dbus-x11 libsecret-tools ffmpeg imagemagick curl desktop-file-utils
  fonts-noto-cjk python3 python3-xlib)

want=("${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST_PACKAGES[@]}")

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: not a Debian/Ubuntu system; see README.md for what to install on yours." >&2
  exit 0
fi

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The Tauri CLI that bundles the .deb comes from npm (make bundle).
if ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: npm is missing; installing nodejs and npm"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends nodejs npm
fi

# make test lints with rustfmt and clippy; a minimal rustup profile lacks them.
if [ "${1:-}" = "--test" ] && command -v rustup >/dev/null 2>&1; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi

if [ "${1:-}" = "--test" ] && ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "install-deps: installing tauri-driver"
  cargo install tauri-driver --locked
fi
