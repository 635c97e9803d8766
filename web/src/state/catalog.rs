//! The loaded tool list as the builder's table shows it: rows (tools from the list plus any the
//! policy names that the list lacks), search, filters and annotation badges.

use serde_json::Value;
use toolgate_engine::ToolInfo;

use crate::state::builder::{PolicyModel, ToolState};
use toolgate_engine::suggest::{ToolClass, classify};

/// Bundled real `tools/list` results: (file under `samples/`, label).
pub const SAMPLES: [(&str, &str); 5] = [
    ("github.json", "GitHub (86 tools)"),
    ("stripe.json", "Stripe (22 tools)"),
    ("filesystem.json", "Filesystem (14 tools)"),
    ("everything.live.json", "Everything, MCP reference server (13 tools)"),
    ("git.json", "Git (12 tools)"),
];

/// One row of the builder's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Tool name.
    pub name: String,
    /// Index in the tool list; `None` for a tool only the policy names.
    pub tool: Option<usize>,
}

/// The builder table's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFilter {
    /// Case-insensitive words, all of which must appear in the name, title or description.
    pub query: String,
    /// Only tools in this state.
    pub state: Option<ToolState>,
    /// Only tools of this class.
    pub class: Option<ToolClass>,
}

/// Parses a class name (`read`, `write`, `execute`, `destructive`).
pub fn parse_class(s: &str) -> Option<ToolClass> {
    ToolClass::ALL.into_iter().find(|c| c.as_str() == s)
}

/// Every row: the tool list in order, then names the policy mentions that the list lacks.
pub fn all_rows(tools: &[ToolInfo], model: &PolicyModel) -> Vec<Row> {
    let mut rows: Vec<Row> =
        tools.iter().enumerate().map(|(i, t)| Row { name: t.name.clone(), tool: Some(i) }).collect();
    let known: std::collections::HashSet<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for name in model.mentioned_tools() {
        if !known.contains(name.as_str()) {
            rows.push(Row { name, tool: None });
        }
    }
    rows
}

/// The rows passing the filter.
pub fn filter_rows(rows: &[Row], tools: &[ToolInfo], model: &PolicyModel, filter: &TableFilter) -> Vec<Row> {
    let words: Vec<String> = filter.query.split_whitespace().map(str::to_lowercase).collect();
    rows.iter()
        .filter(|r| {
            let info = r.tool.and_then(|i| tools.get(i));
            let text_ok = words.is_empty() || {
                let hay = match info {
                    Some(t) => format!(
                        "{} {} {}",
                        t.name,
                        t.title.as_deref().unwrap_or(""),
                        t.description.as_deref().unwrap_or("")
                    ),
                    None => r.name.clone(),
                }
                .to_lowercase();
                words.iter().all(|w| hay.contains(w))
            };
            let state_ok = filter.state.is_none_or(|s| model.tool_view(&r.name).state == s);
            let class_ok = filter.class.is_none_or(|c| info.is_some_and(|t| classify(t) == c));
            text_ok && state_ok && class_ok
        })
        .cloned()
        .collect()
}

/// Badges for a tool's MCP annotations (`readOnlyHint` → "read-only", …), in a fixed order.
pub fn annotation_badges(tool: &ToolInfo) -> Vec<&'static str> {
    let flag = |k: &str| tool.annotations.get(k).and_then(Value::as_bool);
    let mut out = Vec::new();
    if flag("readOnlyHint") == Some(true) {
        out.push("read-only");
    }
    if flag("destructiveHint") == Some(true) {
        out.push("destructive");
    }
    if flag("idempotentHint") == Some(true) {
        out.push("idempotent");
    }
    if flag("openWorldHint") == Some(true) {
        out.push("open-world");
    }
    out
}

/// Counts of tools per state, in [`ToolState::ALL`] order.
pub fn state_counts(rows: &[Row], model: &PolicyModel) -> [usize; 4] {
    let mut counts = [0; 4];
    for r in rows {
        let i = ToolState::ALL.iter().position(|s| *s == model.tool_view(&r.name).state).unwrap_or(0);
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use toolgate_engine::parse_tool_list;

    fn github() -> Vec<ToolInfo> {
        parse_tool_list(include_str!("../../../tests/fixtures/toollists/github.json")).unwrap()
    }

    #[test]
    fn rows_cover_the_tool_list_and_policy_only_names() {
        let tools = github();
        let mut model = PolicyModel::default();
        model.set_state("not_a_github_tool", ToolState::Allow);
        model.set_state("get_me", ToolState::Hide);
        let rows = all_rows(&tools, &model);
        assert_eq!(rows.len(), 87);
        assert_eq!(rows.last().unwrap(), &Row { name: "not_a_github_tool".into(), tool: None });
    }

    #[test]
    fn search_matches_every_word_in_name_or_description() {
        let tools = github();
        let model = PolicyModel::default();
        let rows = all_rows(&tools, &model);
        let f = TableFilter { query: "PULL request".into(), ..TableFilter::default() };
        let hits = filter_rows(&rows, &tools, &model, &f);
        assert!(hits.len() > 3 && hits.len() < rows.len());
        assert!(hits.iter().any(|r| r.name == "create_pull_request"));
        let f = TableFilter { query: "zzzz-nothing".into(), ..TableFilter::default() };
        assert!(filter_rows(&rows, &tools, &model, &f).is_empty());
    }

    #[test]
    fn state_and_class_filters_narrow_the_rows() {
        let tools = github();
        let mut model = PolicyModel::default();
        model.set_state("get_me", ToolState::Allow);
        let rows = all_rows(&tools, &model);
        let f = TableFilter { state: Some(ToolState::Allow), ..TableFilter::default() };
        assert_eq!(
            filter_rows(&rows, &tools, &model, &f),
            vec![Row { name: "get_me".into(), tool: tools.iter().position(|t| t.name == "get_me") }]
        );
        let counts = state_counts(&rows, &model);
        assert_eq!(counts, [1, 85, 0, 0]);
        let read = TableFilter { class: Some(ToolClass::Read), ..TableFilter::default() };
        let reads = filter_rows(&rows, &tools, &model, &read);
        assert!(!reads.is_empty() && reads.len() < rows.len());
    }

    #[test]
    fn annotations_become_badges() {
        let tools = github();
        let get_me = tools.iter().find(|t| t.name == "get_me").unwrap();
        assert!(annotation_badges(get_me).contains(&"read-only"));
        assert_eq!(parse_class("write"), Some(ToolClass::Write));
    }
}
