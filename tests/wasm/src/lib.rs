//! wasm-bindgen tests of the npm package's facade (the `toolgate-wasm` crate, `wasm/`); the tests are in `tests/`:
//! `node.rs` runs under Node, `browser.rs` in headless Chromium (see `scripts/test-pkg.sh`).
