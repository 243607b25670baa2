#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a real, unlocked Secret
# Service (gnome-keyring, its files in a temporary folder), then stops both.
#   tests/scripts/with-test-session.sh cargo test -p e2e
set -uo pipefail

if [ -z "${KLING_TEST_BUS:-}" ]; then
  export KLING_TEST_BUS=1
  exec dbus-run-session -- "$0" "$@"
fi

scratch=$(mktemp -d)
keyring_pid=""
cleanup() {
  if [ -n "$keyring_pid" ]; then kill "$keyring_pid" 2>/dev/null; wait "$keyring_pid" 2>/dev/null; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

secrets_ready() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q true
}

# --foreground keeps the daemon our child, so it is stopped by its own PID.
HOME="$scratch" XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache" \
  gnome-keyring-daemon --foreground --unlock --components=secrets < <(printf 'test-keyring-password') \
  > "$scratch/keyring.log" 2>&1 &
keyring_pid=$!
for _ in $(seq 100); do secrets_ready && break; sleep 0.1; done
if ! secrets_ready; then
  echo "with-test-session: the Secret Service (gnome-keyring) did not start:" >&2
  cat "$scratch/keyring.log" >&2
  exit 1
fi

export KLING_TEST_SESSION=1
"$@"
