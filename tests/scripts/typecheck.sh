#!/usr/bin/env bash
# The page's JavaScript checked against ui/contract.d.ts, the contract generated
# from the Rust types (src-tauri/src/contract.rs; its test fails when the file is
# stale): every module, and those marked `// @ts-check` strictly. TypeScript comes
# from npm, pinned in tests/typecheck/package-lock.json; nothing is emitted and the
# page keeps no build step.
set -euo pipefail
cd "$(dirname "$0")/../typecheck"
npm ci --no-audit --no-fund --loglevel=error
node_modules/.bin/tsc -p .                    # the modules marked @ts-check, strictly
node_modules/.bin/tsc -p tsconfig.page.json   # every module, against the contract and the DOM
