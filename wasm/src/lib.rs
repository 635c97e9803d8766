//! # toolgate-wasm
//!
//! The JavaScript facade of the npm package `toolgate`: conversion and delegation only — every
//! decision, message and counter comes from [`toolgate_engine`]. The package's JS layer
//! (`npm/api.mjs`) checks JS types and turns [`EngineError`]s into typed errors.
//!
//! The crate is built as **two wasm modules**, so a gateway loads only what it uses:
//!
//! | feature | module | exports |
//! |---|---|---|
//! | `gateway` | `toolgate_bg.wasm`, loaded with the package | [`PolicyEngine`] (evaluate, check, plan/finish, release, filterTools, export/import state), `refusedArguments`, `maxArgumentBytes`, `version` |
//! | `tools` | `toolgate_tools_bg.wasm`, loaded on first use | `validate` (with lint), `simulate`, `simulateTuples`, `diffPolicies`, `runTests` |
//!
//! Everything crosses the boundary as JSON text (the JS layer calls `JSON.stringify` on the way in
//! and `JSON.parse` on the way out; see `pkg/README.md` for the measurements against
//! `serde-wasm-bindgen`). The wire shapes are the engine's `Serialize` types ([`wire`] writes the
//! hot ones directly, and tests pin every writer to `serde_json`'s output).

#[cfg(feature = "gateway")]
mod gateway;
#[cfg(feature = "tools")]
mod tools;

#[cfg(feature = "bench-serde-wasm-bindgen")]
mod bench_swb;
mod error;
#[cfg(feature = "gateway")]
pub mod read;
pub mod wire;

pub use error::EngineError;
#[cfg(feature = "gateway")]
pub use gateway::{PolicyEngine, max_argument_bytes, refused_arguments, version};
#[cfg(feature = "tools")]
pub use tools::{diff_policies, run_tests, simulate, simulate_tuples, validate};

#[cfg(test)]
mod tests;
