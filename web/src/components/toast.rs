//! A transient message in the corner, with Undo when the action can be undone.

use std::time::Duration;

use leptos::prelude::*;

use crate::app_state::AppState;

/// A transient message in the corner, with Undo when the action can be undone.
#[component]
pub fn Toast() -> impl IntoView {
    let state = expect_context::<AppState>();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        if state.toast.get().is_some() {
            if let Some(h) = pending.get_value() {
                h.clear();
            }
            let h = set_timeout_with_handle(move || state.toast.set(None), Duration::from_millis(6000)).ok();
            pending.set_value(h);
        }
    });
    view! {
        <div class="toast-area" role="status" aria-live="polite">
            {move || state.toast.get().map(|(msg, undo)| view! {
                <div class="toast" data-testid="toast">
                    <span>{msg}</span>
                    {undo.map(|before| view! {
                        <button class="btn btn-small" on:click=move |_| {
                            state.edit_json(before.clone());
                            state.toast.set(None);
                        }>"Undo"</button>
                    })}
                </div>
            })}
        </div>
    }
}
