//! # toolgate-web
//!
//! The browser app: build a `policy.json` visually from a pasted `tools/list` result and dry-run
//! agent traces against it. Everything runs in the page (no server, no account); the engine is
//! linked in as a Rust crate, so a dry run decides exactly as enforcement does.
//!
//! [`state`] is plain Rust (tested natively); the view lives in [`app`] and [`components`].

pub mod app;
pub mod browser;
pub mod components;
pub mod state;
