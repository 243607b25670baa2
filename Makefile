# Kling Studio: `make run` starts the app, `make test` runs every test.
# Both install what is missing first (Debian/Ubuntu; see README.md elsewhere).

.PHONY: run test deps test-deps build fake check

run: deps
	cargo build --locked -p kling-studio
	cargo run --locked -p kling-studio

test: test-deps
	tests/scripts/run-tests.sh

# The fake Segmind on a fixed port, to click through the app by hand:
#   make fake   then, in another terminal:   SEGMIND_BASE_URL=http://127.0.0.1:8787 make run
fake:
	cargo run --locked -p fake-segmind -- --port 8787

deps:
	tests/scripts/install-deps.sh

test-deps:
	tests/scripts/install-deps.sh --test

check:
	cargo fmt --all --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
