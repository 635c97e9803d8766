//! # toolgate-web
//!
//! The browser app: build a `policy.json` visually from a pasted `tools/list` result and dry-run
//! agent traces against it. Everything runs in the page (no server, no account); the engine is
//! linked in as a Rust crate, so a dry run decides exactly as enforcement does.
//!
//! [`state`] is plain Rust (tested natively); the shared signals in [`app_state`], saving and share links in
//! [`persist`]; the view in [`app`] (layout) and [`components`] (one component per file).

pub mod app;
pub mod app_state;
pub mod browser;
pub mod components;
pub mod persist;
pub mod state;
