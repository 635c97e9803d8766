//! One condition: argument, operator, value.

use crate::app_state::AppState;
use crate::state::args::{
    ArgField, ArgType, change_op, change_path, op_label, ops_for, parse_value_text, unknown_field, value_text,
};
use crate::state::rules::{RuleKind, edit_rule, remove_condition, rule_at};
use leptos::prelude::*;
use toolgate_engine::Op;

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
pub(super) fn ConditionRow(
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
