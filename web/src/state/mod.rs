//! The app's state and logic as plain Rust: no DOM, unit-tested natively
//! (`cargo test -p toolgate-web`). The view code in `components/` only reads and writes these.

pub mod args;
pub mod builder;
pub mod catalog;
pub mod export;
pub mod locate;
pub mod opening;
pub mod rules;
pub mod share;
pub mod sim;
pub mod timeline;
pub mod tracegen;
pub mod versions;
