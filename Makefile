# Kling Studio: `make run` starts the app, `make test` runs every test.
# Both install what is missing first (Debian/Ubuntu; see README.md elsewhere).

.PHONY: run test deps test-deps build bundle bench fake check

run: deps
	cargo build --locked -p kling-studio
	cargo run --locked -p kling-studio

test: test-deps
	tests/scripts/run-tests.sh

# The release app and its .deb (target/release/bundle/deb/). The Tauri CLI comes
# from npm (it ships its own binary and bundles .deb offline). `npm install`, not
# `npm ci`: npm's lock file leaves out the other platforms' optional CLI binaries
# and `npm ci` then refuses it (npm/cli#4828); the version is pinned exactly.
bundle: deps
	cd src-tauri && npm install --no-audit --no-fund --loglevel=error
	cd src-tauri && npx tauri build --bundles deb

# Figures for the README: the app against its references, in one run.
bench: test-deps bundle
	cd tests/bench/hello && ../../../src-tauri/node_modules/.bin/tauri build --bundles deb
	cargo build --locked --release -p bench
	mkdir -p tests/artifacts
	tests/scripts/with-test-session.sh xvfb-run -a -s "-screen 0 1280x800x24" \
		target/release/bench all | tee tests/artifacts/bench.md

# The fake Segmind on a fixed port, to click through the app by hand:
#   make fake   then, in another terminal:
#   SEGMIND_BASE_URL=http://127.0.0.1:8787 SEGMIND_UPLOAD_URL=http://127.0.0.1:8789 make run
fake:
	cargo run --locked -p fake-segmind -- --port 8787

deps:
	tests/scripts/install-deps.sh

test-deps:
	tests/scripts/install-deps.sh --test

check:
	cargo fmt --all --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
