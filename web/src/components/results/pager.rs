//! First / previous / next / last page of the decisions table.

use super::PAGE_SIZE;
use leptos::prelude::*;

/// Paging of the decisions table.
///
/// - `page`: the current page (0-based). `pages`: how many. `rows`: rows after filtering.
#[component]
pub(super) fn Pager(
    page: RwSignal<usize>,
    #[prop(into)] pages: Signal<usize>,
    #[prop(into)] rows: Signal<usize>,
) -> impl IntoView {
    let current = move || page.get().min(pages.get().saturating_sub(1));
    view! {
        <div class="pager" role="navigation" aria-label="Pages of decisions">
            <button class="btn btn-small" on:click=move |_| page.set(0) prop:disabled=move || current() == 0 aria-label="First page">"«"</button>
            <button class="btn btn-small" data-testid="page-prev" on:click=move |_| page.set(current().saturating_sub(1)) prop:disabled=move || current() == 0 aria-label="Previous page">"‹"</button>
            <span class="muted small" data-testid="page-info">{move || {
                let r = rows.get();
                let from = (current() * PAGE_SIZE + 1).min(r);
                let to = ((current() + 1) * PAGE_SIZE).min(r);
                format!("{from}–{to} of {r} · page {} of {}", current() + 1, pages.get())
            }}</span>
            <button class="btn btn-small" data-testid="page-next" on:click=move |_| page.set((current() + 1).min(pages.get().saturating_sub(1))) prop:disabled=move || { current() + 1 >= pages.get() } aria-label="Next page">"›"</button>
            <button class="btn btn-small" on:click=move |_| page.set(pages.get().saturating_sub(1)) prop:disabled=move || { current() + 1 >= pages.get() } aria-label="Last page">"»"</button>
        </div>
    }
}
