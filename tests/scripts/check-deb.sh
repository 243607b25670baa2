#!/usr/bin/env bash
# Checks the built .deb as a user's machine would receive it: unpacked into a
# scratch root, it has the binary, a desktop entry with a category, icons, and
# declares every runtime dependency (video codecs and a Secret Service included).
# Prints one "ok"/"FAIL" line per check and a libtest-style result line.
set -uo pipefail
cd "$(dirname "$0")/../.."

deb=$(ls -t target/release/bundle/deb/Kling\ Studio_*.deb 2>/dev/null | head -n 1)
passed=0; failed=0
check() { # check NAME COMMAND...
  if "${@:2}" >/dev/null 2>&1; then echo "ok    $1"; passed=$((passed + 1)); else echo "FAIL  $1"; failed=$((failed + 1)); fi
}

if [ -z "$deb" ]; then
  echo "FAIL  no .deb in target/release/bundle/deb (make bundle builds it)"
  echo "test result: FAILED. 0 passed; 1 failed"
  exit 1
fi
echo "checking $deb ($(du -h "$deb" | cut -f1))"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"

check "the package is named kling-studio" test "$(dpkg-deb -f "$deb" Package)" = "kling-studio"
check "the binary is installed and executable" test -x "$root/usr/bin/kling-studio"
desktop=$(ls "$root"/usr/share/applications/*.desktop 2>/dev/null | head -n 1)
check "a desktop entry is installed" test -n "$desktop"
check "the desktop entry runs the binary" grep -q '^Exec=kling-studio' "$desktop"
check "the desktop entry has a category" grep -Eq '^Categories=.*(Video|AudioVideo)' "$desktop"
check "the desktop entry names its icon" grep -q '^Icon=kling-studio' "$desktop"
for size in 32x32 128x128 256x256@2; do
  check "a $size icon is installed" test -s "$root/usr/share/icons/hicolor/$size/apps/kling-studio.png"
done
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 gstreamer1.0-libav gstreamer1.0-plugins-good gnome-keyring ca-certificates; do
  check "it depends on $dep" grep -q "$dep" <<<"$depends"
done
if command -v desktop-file-validate >/dev/null 2>&1; then
  check "the desktop entry is valid" desktop-file-validate "$desktop"
fi
size=$(stat -c %s "$deb")
check "the .deb is at most 10 MiB" test "$size" -le $((10 * 1024 * 1024))

if [ "$failed" -eq 0 ]; then
  echo "test result: ok. $passed passed; 0 failed"
else
  echo "test result: FAILED. $passed passed; $failed failed"
  exit 1
fi
