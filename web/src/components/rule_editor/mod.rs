//! The Custom editor: `require`, `deny_if` and `limits` of one tool (and the `all_tools` limits),
//! with an argument picker built from the tool's `inputSchema`.

use leptos::prelude::*;
use toolgate_engine::Limit;

use crate::app_state::AppState;
use crate::state::args::fields;
use crate::state::builder::PolicyModel;
use crate::state::rules::RuleKind;

mod condition_row;
mod limit_row;
mod limits_editor;
mod rule_card;
mod rule_section;

pub use limits_editor::LimitsEditor;
use rule_section::RuleSection;

/// Where a limits list lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitTarget {
    /// `all_tools.limits`.
    AllTools,
    /// `tools[name].limits`.
    Tool(String),
}

fn read_limits(m: &PolicyModel, target: &LimitTarget) -> Vec<Limit> {
    match target {
        LimitTarget::AllTools => m.all_tools_limits().to_vec(),
        LimitTarget::Tool(t) => m.rules(t).and_then(|r| r.limits.clone()).unwrap_or_default(),
    }
}

fn write_limits(state: &AppState, target: &LimitTarget, edit: impl FnOnce(&mut Vec<Limit>)) {
    match target {
        LimitTarget::AllTools => state.edit_builder(|m| {
            let mut v = m.all_tools_limits().to_vec();
            edit(&mut v);
            m.set_all_tools_limits(v);
        }),
        LimitTarget::Tool(t) => state.edit_builder(|m| {
            m.edit_rules(t, |r| {
                let mut v = r.limits.take().unwrap_or_default();
                edit(&mut v);
                r.limits = (!v.is_empty()).then_some(v);
            });
        }),
    }
}

/// The editor for one tool's rules.
///
/// - `tool`: the tool's name.
#[component]
pub fn RuleEditor(tool: String) -> impl IntoView {
    let state = expect_context::<AppState>();
    let name = StoredValue::new(tool.clone());
    let arg_fields = Memo::new(move |_| {
        name.with_value(|n| state.tools.with(|t| t.iter().find(|i| &i.name == n).map(|i| fields(&i.input_schema))))
            .unwrap_or_default()
    });
    let deny_message = move || state.model.with(|m| name.with_value(|n| m.deny_message(n).map(str::to_string)));
    let is_deny_shape = move || {
        state.model.with(|m| {
            name.with_value(|n| m.rules(n).is_some_and(crate::state::builder::is_deny_shape))
                && name.with_value(|n| m.tool_view(n).state == crate::state::builder::ToolState::Deny)
        })
    };
    let field_count = move || arg_fields.with(Vec::len);

    view! {
        <div class="rule-editor" data-testid="rule-editor" data-tool=tool.clone()>
            <div class="rule-editor-head">
                <h3>"Rules for "<code>{tool.clone()}</code></h3>
                <span class="muted">{move || match field_count() {
                    0 => "This tool's schema lists no arguments; you can still type a path.".to_string(),
                    1 => "1 argument from the tool's inputSchema".to_string(),
                    n => format!("{n} arguments from the tool's inputSchema"),
                }}</span>
                <button class="btn btn-small btn-ghost" on:click=move |_| state.editing.set(None) aria-label="Close the rule editor">"Done"</button>
            </div>
            <Show when=is_deny_shape>
                <label class="field">
                    <span>"Message when denied"</span>
                    <input class="input" type="text" data-testid="deny-message"
                        prop:value=move || deny_message().unwrap_or_default()
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            state.edit_builder(|m| name.with_value(|n| m.set_deny_message(n, (!v.is_empty()).then_some(v))));
                        }/>
                </label>
            </Show>
            <RuleSection tool=name kind=RuleKind::Require arg_fields=arg_fields/>
            <RuleSection tool=name kind=RuleKind::DenyIf arg_fields=arg_fields/>
            <div class="rule-section">
                <div class="rule-section-head">
                    <h4>"limits"</h4>
                    <span class="muted">"Fixed windows aligned to UTC; a counter name shared with other tools is one bucket."</span>
                </div>
                <LimitsEditor target=LimitTarget::Tool(tool.clone())/>
            </div>
        </div>
    }
}
