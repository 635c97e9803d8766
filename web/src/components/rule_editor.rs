//! The Custom editor: `require`, `deny_if` and `limits` of one tool (and the `all_tools` limits),
//! with an argument picker built from the tool's `inputSchema`.

use leptos::prelude::*;
use toolgate_engine::{Limit, Op, Rule, Window};

use crate::app::AppState;
use crate::state::args::{
    ArgField, ArgType, change_op, change_path, fields, new_condition, op_label, ops_for, parse_value_text,
    unknown_field, value_text,
};
use crate::state::builder::PolicyModel;
use crate::state::rules::{
    RuleKind, add_condition, add_rule, edit_limit, edit_rule, new_limit, remove_condition, remove_rule, rule_at,
    rule_count, unique_counter,
};

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
    let count =
        move |kind: RuleKind| state.model.with(|m| name.with_value(|n| m.rules(n).map_or(0, |r| rule_count(r, kind))));
    let add = move |kind: RuleKind| {
        let first = arg_fields.with_untracked(|f| {
            // For require, the first required argument is the likely pick; else the first one.
            let pick = match kind {
                RuleKind::Require => f.iter().find(|a| a.required).or(f.first()),
                RuleKind::DenyIf => f.first(),
            };
            pick.cloned()
        });
        let rule = Rule {
            conditions: first
                .map(|f| match kind {
                    RuleKind::Require => toolgate_engine::Condition {
                        path: f.path.clone(),
                        op: Op::Exists,
                        value: serde_json::Value::Bool(true),
                    },
                    RuleKind::DenyIf => new_condition(&f),
                })
                .into_iter()
                .collect(),
            on_deny: None,
        };
        state.edit_builder(|m| name.with_value(|n| m.edit_rules(n, |r| add_rule(r, kind, rule))));
    };
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
            <div class="rule-section">
                <div class="rule-section-head">
                    <h4>"require"</h4>
                    <span class="muted">"Every entry must hold, or the call is denied."</span>
                </div>
                <For each=move || 0..count(RuleKind::Require) key=|i| *i let:i>
                    <RuleCard tool=name kind=RuleKind::Require index=i arg_fields=arg_fields/>
                </For>
                <button class="btn btn-small" data-testid="add-require" on:click=move |_| add(RuleKind::Require)>"+ Require an argument"</button>
            </div>
            <div class="rule-section">
                <div class="rule-section-head">
                    <h4>"deny_if"</h4>
                    <span class="muted">"The call is denied when all conditions of any entry hold."</span>
                </div>
                <For each=move || 0..count(RuleKind::DenyIf) key=|i| *i let:i>
                    <RuleCard tool=name kind=RuleKind::DenyIf index=i arg_fields=arg_fields/>
                </For>
                <button class="btn btn-small" data-testid="add-deny-if" on:click=move |_| add(RuleKind::DenyIf)>"+ Add a deny rule"</button>
            </div>
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

/// One `require` or `deny_if` entry: its ANDed conditions and message.
///
/// - `tool`: the tool's name. `kind`/`index`: which entry.
/// - `arg_fields`: the tool's arguments (from its `inputSchema`).
#[component]
fn RuleCard(tool: StoredValue<String>, kind: RuleKind, index: usize, arg_fields: Memo<Vec<ArgField>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let rule =
        Memo::new(move |_| state.model.with(|m| tool.with_value(|t| m.rules(t).and_then(|r| rule_at(r, kind, index)))));
    let edit = move |f: Box<dyn FnOnce(&mut Rule)>| {
        state.edit_builder(|m| tool.with_value(|t| m.edit_rules(t, |r| edit_rule(r, kind, index, f))));
    };
    let n_conditions = move || rule.with(|r| r.as_ref().map_or(0, |r| r.conditions.len()));
    let add_cond = move |_| {
        let field = arg_fields.with_untracked(|f| f.first().cloned()).unwrap_or_else(|| unknown_field("args.name"));
        edit(Box::new(move |r| add_condition(r, new_condition(&field))));
    };
    let title = match kind {
        RuleKind::Require => format!("require #{}", index + 1),
        RuleKind::DenyIf => format!("deny_if #{}", index + 1),
    };
    let empty_note = match kind {
        RuleKind::Require => "No conditions: always holds.",
        RuleKind::DenyIf => "No conditions: denies every call.",
    };

    view! {
        <div class="rule-card" data-testid=format!("{}-rule", kind.as_str()) data-index=index>
            <div class="rule-card-head">
                <span class="rule-title">{title}</span>
                <button class="btn btn-small btn-ghost" aria-label="Remove this rule"
                    on:click=move |_| state.edit_builder(|m| tool.with_value(|t| m.edit_rules(t, |r| remove_rule(r, kind, index))))>"Remove"</button>
            </div>
            <Show when=move || n_conditions() == 0>
                <p class="muted small">{empty_note}</p>
            </Show>
            <For each=move || 0..n_conditions() key=|j| *j let:j>
                <Show when=move || j != 0><div class="and-chip" aria-hidden="true">"AND"</div></Show>
                <ConditionRow tool=tool kind=kind rule_index=index index=j arg_fields=arg_fields/>
            </For>
            <div class="rule-card-foot">
                <button class="btn btn-small" data-testid="add-condition" on:click=add_cond>"+ Condition"</button>
                <label class="field grow">
                    <span class="visually-hidden">"Message when this rule refuses a call"</span>
                    <input class="input" type="text" placeholder="Message to the agent when this refuses (on_deny, optional)"
                        data-testid="rule-message"
                        prop:value=move || rule.with(|r| r.as_ref().and_then(|r| r.on_deny.clone()).unwrap_or_default())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            edit(Box::new(move |r| r.on_deny = (!v.is_empty()).then_some(v)));
                        }/>
                </label>
            </div>
        </div>
    }
}

/// How a condition's value is entered.
#[derive(Debug, Clone, PartialEq)]
enum ValueWidget {
    /// true / false.
    Bool,
    /// One of the schema's enum values (as shown by `value_text`).
    Choice(Vec<String>),
    /// A number box.
    Number,
    /// A text box with a placeholder.
    Text(&'static str),
}

fn widget_for(op: Op, field: &ArgField) -> ValueWidget {
    match op {
        Op::Exists => ValueWidget::Bool,
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => ValueWidget::Number,
        Op::Eq | Op::Neq if field.ty == ArgType::Boolean => ValueWidget::Bool,
        Op::Eq | Op::Neq if !field.enum_values.is_empty() => {
            ValueWidget::Choice(field.enum_values.iter().map(|v| value_text(v, op, field.ty)).collect())
        }
        Op::Eq | Op::Neq if matches!(field.ty, ArgType::Number | ArgType::Integer) => ValueWidget::Number,
        Op::In | Op::NotIn => ValueWidget::Text("a, b, c  (or a JSON array)"),
        Op::Regex => ValueWidget::Text("pattern, e.g. ^prod-"),
        _ => ValueWidget::Text("value"),
    }
}

/// One condition: argument, operator, value.
#[component]
fn ConditionRow(
    tool: StoredValue<String>,
    kind: RuleKind,
    rule_index: usize,
    index: usize,
    arg_fields: Memo<Vec<ArgField>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let cond = Memo::new(move |_| {
        state.model.with(|m| {
            tool.with_value(|t| m.rules(t).and_then(|r| rule_at(r, kind, rule_index)))
                .and_then(|r| r.conditions.get(index).cloned())
        })
    });
    let field = Memo::new(move |_| {
        let path = cond.with(|c| c.as_ref().map(|c| c.path.clone())).unwrap_or_default();
        arg_fields.with(|f| f.iter().find(|a| a.path == path).cloned()).unwrap_or_else(|| unknown_field(&path))
    });
    let in_schema =
        move || arg_fields.with(|f| cond.with(|c| c.as_ref().is_some_and(|c| f.iter().any(|a| a.path == c.path))));
    let other_path = RwSignal::new(false);
    let value_error = RwSignal::new(None::<String>);
    let edit = move |f: Box<dyn FnOnce(&mut toolgate_engine::Condition)>| {
        state.edit_builder(|m| {
            tool.with_value(|t| {
                m.edit_rules(t, |r| {
                    edit_rule(r, kind, rule_index, |rule| {
                        if let Some(c) = rule.conditions.get_mut(index) {
                            f(c);
                        }
                    })
                })
            })
        });
    };
    let on_path = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        if v == "__other" {
            other_path.set(true);
            return;
        }
        other_path.set(false);
        let f = arg_fields
            .with_untracked(|fs| fs.iter().find(|a| a.path == v).cloned())
            .unwrap_or_else(|| unknown_field(&v));
        value_error.set(None);
        edit(Box::new(move |c| change_path(c, &f)));
    };
    let on_custom_path = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev).trim().to_string();
        if v.is_empty() {
            return;
        }
        let path = if v.starts_with("args.") { v } else { format!("args.{v}") };
        edit(Box::new(move |c| c.path = path));
    };
    let on_op = move |ev: leptos::ev::Event| {
        if let Some(op) = Op::parse(&event_target_value(&ev)) {
            let f = field.get_untracked();
            value_error.set(None);
            edit(Box::new(move |c| change_op(c, op, &f)));
        }
    };
    let on_value = move |text: String| {
        let Some(c) = cond.get_untracked() else { return };
        match parse_value_text(&text, c.op, field.with_untracked(|f| f.ty)) {
            Ok(v) => {
                value_error.set(None);
                edit(Box::new(move |c| c.value = v));
            }
            Err(e) => value_error.set(Some(format!("expected {e}"))),
        }
    };
    let op = Memo::new(move |_| cond.with(|c| c.as_ref().map_or(Op::Eq, |c| c.op)));
    let widget = Memo::new(move |_| field.with(|f| widget_for(op.get(), f)));
    let shown_value =
        move || cond.with(|c| c.as_ref().map(|c| value_text(&c.value, c.op, field.with(|f| f.ty)))).unwrap_or_default();
    let label_id = format!("cond-{}-{rule_index}-{index}", kind.as_str());

    view! {
        <div class="condition" data-testid="condition">
            <label class="visually-hidden" for=format!("{label_id}-path")>"Argument"</label>
            <select id=format!("{label_id}-path") class="select mono" data-testid="condition-path" on:change=on_path
                prop:value=move || if other_path.get() || !in_schema() { "__other".to_string() } else { cond.with(|c| c.as_ref().map(|c| c.path.clone()).unwrap_or_default()) }>
                {move || arg_fields.get().into_iter().map(|f| {
                    let label = format!("{}  ({}{})", f.path, f.ty.label(), if f.required { ", required" } else { "" });
                    view! { <option value=f.path.clone()>{label}</option> }
                }).collect_view()}
                <option value="__other">{move || if in_schema() { "Other path…".to_string() } else { format!("{} (not in schema)", cond.with(|c| c.as_ref().map(|c| c.path.clone()).unwrap_or_default())) }}</option>
            </select>
            <Show when=move || other_path.get() || !in_schema()>
                <input class="input mono path-input" type="text" aria-label="Argument path" placeholder="args.some.path"
                    prop:value=move || cond.with(|c| c.as_ref().map(|c| c.path.clone()).unwrap_or_default())
                    on:change=on_custom_path/>
            </Show>
            <label class="visually-hidden" for=format!("{label_id}-op")>"Operator"</label>
            <select id=format!("{label_id}-op") class="select" data-testid="condition-op" on:change=on_op prop:value=move || op.get().as_str().to_string()>
                {move || {
                    let ty = field.with(|f| f.ty);
                    let mut ops: Vec<Op> = ops_for(ty).to_vec();
                    if !ops.contains(&op.get()) {
                        ops.push(op.get());
                    }
                    ops.into_iter().map(|o| view! { <option value=o.as_str()>{format!("{}  ({})", op_label(o), o.as_str())}</option> }).collect_view()
                }}
            </select>
            {move || {
                let aria = "Value";
                match widget.get() {
                    ValueWidget::Bool => view! {
                        <select class="select" aria-label=aria data-testid="condition-value" prop:value=shown_value on:change=move |ev| on_value(event_target_value(&ev))>
                            <option value="true">"true"</option>
                            <option value="false">"false"</option>
                        </select>
                    }.into_any(),
                    ValueWidget::Choice(choices) => view! {
                        <select class="select" aria-label=aria data-testid="condition-value" prop:value=shown_value on:change=move |ev| on_value(event_target_value(&ev))>
                            {choices.into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                        </select>
                    }.into_any(),
                    ValueWidget::Number => view! {
                        <input class="input num" type="number" step="any" aria-label=aria data-testid="condition-value"
                            prop:value=shown_value on:change=move |ev| on_value(event_target_value(&ev))
                            aria-invalid=move || value_error.get().is_some().to_string()/>
                    }.into_any(),
                    ValueWidget::Text(placeholder) => view! {
                        <input class="input grow" type="text" aria-label=aria data-testid="condition-value" placeholder=placeholder
                            prop:value=shown_value on:change=move |ev| on_value(event_target_value(&ev))
                            aria-invalid=move || value_error.get().is_some().to_string()/>
                    }.into_any(),
                }
            }}
            <button class="btn btn-small btn-ghost" aria-label="Remove this condition" data-testid="remove-condition"
                on:click=move |_| state.edit_builder(|m| tool.with_value(|t| m.edit_rules(t, |r| edit_rule(r, kind, rule_index, |rule| remove_condition(rule, index)))))>"✕"</button>
            {move || value_error.get().map(|e| view! { <div class="inline-error small" role="alert">{e}</div> })}
            {move || field.with(|f| f.description.clone()).map(|d| view! { <div class="hint">{d}</div> })}
        </div>
    }
}

/// A list of limits (a tool's or `all_tools`').
///
/// - `target`: which list.
#[component]
pub fn LimitsEditor(target: LimitTarget) -> impl IntoView {
    let state = expect_context::<AppState>();
    let target = StoredValue::new(target);
    let count = move || state.model.with(|m| target.with_value(|t| read_limits(m, t).len()));
    let add = move |_| {
        let taken = state.model.with_untracked(|m| m.counters().into_keys().collect::<Vec<_>>());
        let (base, max) = target.with_value(|t| match t {
            LimitTarget::AllTools => ("calls_per_minute".to_string(), 120),
            LimitTarget::Tool(n) => (toolgate_engine::suggest::counter_name(n), 30),
        });
        let counter = unique_counter(&base, taken.iter().map(String::as_str));
        target.with_value(|t| write_limits(&state, t, |v| v.push(new_limit(counter, max))));
    };
    let add_label = target.with_value(|t| match t {
        LimitTarget::AllTools => "+ Add a limit for all tools",
        LimitTarget::Tool(_) => "+ Add a limit",
    });
    view! {
        <div class="limits">
            <For each=move || 0..count() key=|i| *i let:i>
                <LimitRow target=target index=i/>
            </For>
            <button class="btn btn-small" data-testid="add-limit" on:click=add>{add_label}</button>
        </div>
    }
}

#[component]
fn LimitRow(target: StoredValue<LimitTarget>, index: usize) -> impl IntoView {
    let state = expect_context::<AppState>();
    let limit = Memo::new(move |_| state.model.with(|m| target.with_value(|t| read_limits(m, t).get(index).cloned())));
    let edit = move |f: Box<dyn FnOnce(&mut Limit)>| {
        target.with_value(|t| write_limits(&state, t, |v| edit_limit(v, index, f)))
    };
    let max_error = RwSignal::new(false);
    let get = move |f: fn(&Limit) -> String| limit.with(|l| l.as_ref().map(f).unwrap_or_default());
    view! {
        <div class="limit-row" data-testid="limit-row">
            <label class="field">
                <span>"counter"</span>
                <input class="input mono" type="text" data-testid="limit-counter" prop:value=move || get(|l| l.counter.clone())
                    on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |l| l.counter = v)); }/>
            </label>
            <label class="field narrow">
                <span>"max"</span>
                <input class="input num" type="number" min="1" step="1" data-testid="limit-max" prop:value=move || get(|l| l.max.to_string())
                    aria-invalid=move || max_error.get().to_string()
                    on:change=move |ev| {
                        match event_target_value(&ev).trim().parse::<u64>() {
                            Ok(n) if n >= 1 => { max_error.set(false); edit(Box::new(move |l| l.max = n)); }
                            _ => max_error.set(true),
                        }
                    }/>
            </label>
            <label class="field narrow">
                <span>"per"</span>
                <select class="select" data-testid="limit-window" prop:value=move || get(|l| l.window.as_str().to_string())
                    on:change=move |ev| { if let Some(w) = Window::parse(&event_target_value(&ev)) { edit(Box::new(move |l| l.window = w)); } }>
                    {Window::ALL.into_iter().map(|w| view! { <option value=w.as_str()>{w.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field grow">
                <span>"message (on_deny, optional)"</span>
                <input class="input" type="text" data-testid="limit-message" prop:value=move || get(|l| l.on_deny.clone().unwrap_or_default())
                    on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |l| l.on_deny = (!v.is_empty()).then_some(v))); }/>
            </label>
            <button class="btn btn-small btn-ghost" aria-label="Remove this limit" data-testid="remove-limit"
                on:click=move |_| target.with_value(|t| write_limits(&state, t, |v| { if index < v.len() { v.remove(index); } }))>"✕"</button>
            <Show when=move || max_error.get()><div class="inline-error small" role="alert">"max must be a whole number ≥ 1"</div></Show>
        </div>
    }
}
