//! The view: components read and write [`crate::app::AppState`]; all logic is in [`crate::state`].

pub mod builder;
pub mod compare_panel;
pub mod policy_editor;
pub mod results;
pub mod rule_editor;
pub mod rule_hits;
pub mod timeline_chart;
pub mod tool_source;
pub mod trace_panel;
