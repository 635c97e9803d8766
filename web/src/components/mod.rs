//! The view, one component per file: components read and write [`crate::app_state::AppState`];
//! all logic is in [`crate::state`].

pub mod builder;
pub mod compare_panel;
pub mod header;
pub mod kept_aside;
pub mod link_choice;
pub mod policy_editor;
pub mod results;
pub mod rule_editor;
pub mod rule_hits;
pub mod timeline_chart;
pub mod toast;
pub mod tool_source;
pub mod trace_panel;

pub use builder::Builder;
pub use header::Header;
pub use kept_aside::KeptAside;
pub use link_choice::LinkChoice;
pub use policy_editor::PolicyEditor;
pub use results::Results;
pub use toast::Toast;
pub use tool_source::ToolSource;
pub use trace_panel::TracePanel;
