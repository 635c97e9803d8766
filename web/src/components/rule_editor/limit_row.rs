//! One limit: counter, max, window, scope.

use super::{LimitTarget, read_limits, write_limits};
use crate::app_state::AppState;
use crate::state::rules::edit_limit;
use leptos::prelude::*;
use toolgate_engine::{Limit, Window};

/// One entry of a limits list.
///
/// - `target`: which list. `index`: which entry.
#[component]
pub(super) fn LimitRow(target: StoredValue<LimitTarget>, index: usize) -> impl IntoView {
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
