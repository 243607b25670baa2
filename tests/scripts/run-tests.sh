#!/usr/bin/env bash
# Runs every test suite of Kling Studio and prints what ran. A suite that fails,
# or that runs no test at all, fails the whole run: a missing prerequisite is a
# failure, never a skip.
#
# On Linux all suites run inside with-test-session.sh: a private D-Bus with a real
# Secret Service, so the keychain is real in tests and the user's own is never
# touched. On macOS and Windows (Git Bash) the same script runs lint, unit and
# integration tests, with the system's own keychain (the Keychain, the Credential
# Manager); the installer check and the end-to-end suite are Linux's: they drive
# the .deb and WebKitWebDriver, and tauri-driver has no WebDriver for WKWebView.
# .github/workflows/ci.yml runs this script on all three systems.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
linux=0
[ "$(uname -s)" = Linux ] && linux=1

if [ "$linux" = 1 ] && [ -z "${KLING_TEST_SESSION:-}" ]; then
  exec "$root/tests/scripts/with-test-session.sh" "$root/tests/scripts/run-tests.sh" "$@"
fi

mkdir -p tests/artifacts
summary=()
failed=0

# run_suite NAME COMMAND...: runs one suite, counts its passed tests.
run_suite() {
  local name=$1; shift
  local log="tests/artifacts/$name.log"
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local passed
  passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
  local failed_tests
  failed_tests=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
  if [ "$status" -ne 0 ]; then
    summary+=("FAIL  $name: exit $status, $passed passed, $failed_tests failed")
    failed=1
  elif [ "$passed" -eq 0 ]; then
    summary+=("FAIL  $name: no test ran")
    failed=1
  else
    summary+=("ok    $name: $passed passed")
  fi
}

# Style and lints first: formatting drift, a clippy warning or a page module that
# does not type-check against the contract generated from Rust fails the run.
echo "=== lint: cargo fmt --check, cargo clippy -D warnings, tsc against ui/contract.d.ts"
if cargo fmt --all --check && cargo clippy --locked --workspace --all-targets -- -D warnings \
  && tests/scripts/typecheck.sh; then
  summary+=("ok    lint: cargo fmt, clippy and tsc clean")
else
  summary+=("FAIL  lint: cargo fmt --check, clippy or tsc found problems")
  failed=1
fi

run_suite unit cargo test --locked -p kling-studio -p fake-segmind
run_suite integration cargo test --locked -p integration-tests

# The installer: the release build bundled as .deb, then checked as a user gets it.
package_suite() {
  echo "=== bundle the release app: make bundle"
  if make --no-print-directory bundle; then
    run_suite package tests/scripts/check-deb.sh
  else
    summary+=("FAIL  package: make bundle failed")
    failed=1
  fi
}

# The end-to-end suite drives the real debug app (with the UI embedded) in a real
# X server through tauri-driver and WebKitWebDriver.
e2e_suite() {
  echo "=== build the app: cargo build -p kling-studio"
  if cargo build --locked -p kling-studio; then
    run_suite e2e xvfb-run -a -s "-screen 0 1280x800x24" cargo test --locked -p e2e -- --test-threads=1
  else
    summary+=("FAIL  e2e: the app did not build")
    failed=1
  fi
}

if [ "$linux" = 1 ]; then
  package_suite
  e2e_suite
else
  summary+=("--    package and e2e: Linux's (the .deb, and WebKitWebDriver)")
fi

echo
echo "=== Test summary"
printf '%s\n' "${summary[@]}"
echo "Artifacts (logs, screenshots): $root/tests/artifacts"
exit $failed
