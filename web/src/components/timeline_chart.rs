//! The timeline: calls over time, bucketed per column and coloured by outcome, with counter
//! levels (relative to their max) and window boundaries — the fixed-window edge burst shows as
//! two full columns of green on either side of a boundary line.

use std::sync::Arc;

use leptos::prelude::*;

use crate::state::sim::SimResult;
use crate::state::timeline::{
    Column, PlotBox, Timeline, bar_paths, build, format_clock, format_duration, format_utc, full_range, level_path,
    ticks,
};

/// Width used before the chart's box is measured.
const DEFAULT_W: f64 = 960.0;
const H: f64 = 250.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 52.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 30.0;
/// Pixels per column (the chart never draws one element per call).
const COLUMN_PX: f64 = 2.0;
/// Minimum pixels between two labelled window boundaries.
const LABEL_GAP: f64 = 72.0;
const SERIES_COLOURS: [&str; 4] = ["#4f46e5", "#0891b2", "#c026d3", "#0f766e"];

fn plot_w(w: f64) -> f64 {
    (w - LEFT - RIGHT).max(40.0)
}

fn columns_for(w: f64) -> usize {
    (plot_w(w) / COLUMN_PX).floor().max(10.0) as usize
}

fn plot_h() -> f64 {
    H - TOP - BOTTOM
}

fn x_of(t: &Timeline, ms: u64, w: f64) -> f64 {
    let span = t.end_ms.saturating_sub(t.start_ms).max(1) as f64;
    LEFT + plot_w(w) * (ms.saturating_sub(t.start_ms) as f64 / span).min(1.0)
}

fn column_tooltip(t: &Timeline, i: usize, c: &Column) -> String {
    let span = t.end_ms.saturating_sub(t.start_ms);
    let n = t.columns.len().max(1) as u64;
    let from = t.start_ms + span * i as u64 / n;
    let to = t.start_ms + span * (i as u64 + 1) / n;
    let mut parts = Vec::new();
    for (count, label) in
        [(c.allow, "allowed"), (c.deny, "denied"), (c.hidden, "hidden"), (c.rate_limited, "rate limited")]
    {
        if count > 0 {
            parts.push(format!("{count} {label}"));
        }
    }
    format!(
        "{} – {}: {} calls ({}). Click to show them in the table.",
        format_clock(from, false),
        format_clock(to, false),
        c.total(),
        parts.join(", ")
    )
}

/// The chart for a run, with zoom and pan; `on_pick` receives the decision index of a clicked
/// column's first call.
#[component]
pub fn TimelineChart(result: Arc<SimResult>, on_pick: Callback<usize>) -> impl IntoView {
    let decisions = result;
    let full = full_range(&decisions.simulation.decisions);
    let range = RwSignal::new(full);
    // The chart is drawn at its real pixel width (measured, and again on resize) so text stays crisp.
    let width = RwSignal::new(DEFAULT_W);
    let wrap = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = wrap.get() {
            width.set(f64::from(el.client_width()).max(320.0));
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| {
        if let Some(el) = wrap.get_untracked() {
            width.set(f64::from(el.client_width()).max(320.0));
        }
    });
    on_cleanup(move || resize.remove());
    let data = {
        let decisions = decisions.clone();
        Memo::new(move |_| {
            build(&decisions.simulation.decisions, range.get(), columns_for(width.get()), SERIES_COLOURS.len())
        })
    };
    let zoom = move |factor: f64| {
        range.update(|r| {
            let (a, b) = *r;
            let full_span = full.1.saturating_sub(full.0).max(1);
            let span = (((b - a) as f64 * factor).round().max(10.0) as u64).min(full_span);
            let centre = a + (b - a) / 2;
            let mut start = centre.saturating_sub(span / 2).max(full.0);
            if start + span > full.1 {
                start = full.1 - span;
            }
            *r = (start, start + span);
        })
    };
    let pan = move |dir: i64| {
        range.update(|(a, b)| {
            let span = *b - *a;
            let shift = span / 2;
            if dir < 0 {
                let s = a.saturating_sub(shift).max(full.0);
                *b = s + span;
                *a = s;
            } else {
                let e = (*b + shift).min(full.1);
                *a = e - span;
                *b = e;
            }
        })
    };
    let edge_zoom = {
        let decisions = decisions.clone();
        move |_| {
            // Zoom onto the busiest window boundary: the fixed-window edge burst.
            let t = build(&decisions.simulation.decisions, full, columns_for(width.get_untracked()), 4);
            let Some(w) = t.boundary_window else { return };
            let step = w.millis();
            let best =
                t.boundaries.iter().copied().chain(std::iter::once(full.0.div_ceil(step) * step)).max_by_key(|b| {
                    decisions
                        .simulation
                        .decisions
                        .iter()
                        .filter(|d| d.at_ms + step / 20 >= *b && d.at_ms < b + step / 20)
                        .count()
                });
            if let Some(b) = best {
                let half = (step / 10).max(500);
                range.set((b.saturating_sub(half).max(full.0), (b + half).min(full.1)));
            }
        }
    };
    // The column under the pointer: one listener for the whole chart, not one per column.
    let hover = RwSignal::new(None::<usize>);
    let column_at = move |ev: &leptos::ev::MouseEvent| -> Option<usize> {
        let el = wrap.get_untracked()?;
        let x = f64::from(ev.client_x()) - el.get_bounding_client_rect().left() - LEFT;
        let n = data.with_untracked(|d| d.columns.len());
        let col = (x / (plot_w(width.get_untracked()) / n.max(1) as f64)).floor();
        (col >= 0.0 && (col as usize) < n).then_some(col as usize)
    };
    let readout = move || {
        data.with(|t| match hover.get().and_then(|i| t.columns.get(i).map(|c| (i, c))) {
            Some((i, c)) => column_tooltip(t, i, c),
            None => "Point at the chart for the calls of a column; click to list them in the table.".to_string(),
        })
    };
    let has_counters = move || data.with(|d| !d.series.is_empty());
    let zoomed = move || range.get() != full;

    view! {
        <div class="chart-head">
            <h3>"Timeline"</h3>
            <div class="legend" aria-hidden="true">
                <span class="lg lg-allow">"allowed"</span>
                <span class="lg lg-deny">"denied"</span>
                <span class="lg lg-hidden">"hidden"</span>
                <span class="lg lg-rate">"rate limited"</span>
                {move || data.with(|d| d.series.iter().enumerate().map(|(i, s)| view! {
                    <span class="lg lg-line" style=("--c", SERIES_COLOURS.get(i).copied().unwrap_or("#333"))>
                        {format!("{} ({}) used/max", s.counter, s.grant)}
                    </span>
                }).collect_view())}
            </div>
            <div class="zoom" role="group" aria-label="Zoom the timeline">
                <button class="btn btn-small" on:click=move |_| pan(-1) prop:disabled=move || { range.get().0 <= full.0 } aria-label="Pan left">"◀"</button>
                <button class="btn btn-small" on:click=move |_| zoom(0.25) data-testid="zoom-in" aria-label="Zoom in">"+"</button>
                <button class="btn btn-small" on:click=move |_| zoom(4.0) prop:disabled=move || !zoomed() aria-label="Zoom out">"−"</button>
                <button class="btn btn-small" on:click=move |_| pan(1) prop:disabled=move || { range.get().1 >= full.1 } aria-label="Pan right">"▶"</button>
                <button class="btn btn-small" on:click=move |_| range.set(full) prop:disabled=move || !zoomed()>"All"</button>
                <Show when=has_counters>
                    <button class="btn btn-small" on:click=edge_zoom.clone() data-testid="zoom-edge" title="Zoom onto the busiest window boundary">"Window edge"</button>
                </Show>
            </div>
        </div>
        <p class="muted small chart-range">{move || {
            let (a, b) = range.get();
            let cols = columns_for(width.get()) as u64;
            format!("{} → {} UTC · {} per column", format_utc(a), format_clock(b, false), format_duration(((b - a) / cols.max(1)).max(1)))
        }}</p>
        <p class="chart-readout small" data-testid="timeline-readout" aria-live="polite">{readout}</p>
        <div class="chart-box" node_ref=wrap tabindex="0" role="group"
            aria-label="Timeline columns: arrow keys move, Enter lists the calls of the column"
            on:keydown=move |ev| {
                let current = hover.get_untracked();
                let next = match ev.key().as_str() {
                    "ArrowRight" => data.with_untracked(|d| d.next_busy(current, true)),
                    "ArrowLeft" => data.with_untracked(|d| d.next_busy(current, false)),
                    "Home" => data.with_untracked(|d| d.next_busy(None, true)),
                    "End" => data.with_untracked(|d| d.next_busy(None, false)),
                    "Enter" | " " => {
                        let first = current.and_then(|i| data.with_untracked(|d| d.columns.get(i).and_then(|c| c.first)));
                        if let Some(f) = first {
                            on_pick.run(f);
                        }
                        None
                    }
                    _ => return,
                };
                ev.prevent_default();
                if next.is_some() {
                    hover.set(next);
                }
            }
            on:blur=move |_| hover.set(None)
            on:mousemove=move |ev| hover.set(column_at(&ev))
            on:mouseleave=move |_| hover.set(None)
            on:click=move |ev| {
                let first = column_at(&ev).and_then(|i| data.with_untracked(|d| d.columns.get(i).and_then(|c| c.first)));
                if let Some(f) = first {
                    on_pick.run(f);
                }
            }>
        <svg class="timeline" data-testid="timeline" viewBox=move || format!("0 0 {} {H}", width.get()) role="img"
            aria-label=move || data.with(|d| format!("Calls over time: {} columns, peak {} calls per column", d.columns.len(), d.peak))>
            {move || data.with(|t| {
                let w = width.get();
                let ph = plot_h();
                let pw = plot_w(w);
                let grid = [0.5f64, 1.0].map(|f| view! {
                    <line class="grid" x1=LEFT x2=LEFT + pw y1=TOP + ph * (1.0 - f) y2=TOP + ph * (1.0 - f)/>
                });
                let y_labels = view! {
                    <text class="axis" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{t.peak.to_string()}</text>
                    <text class="axis" x=LEFT - 6.0 y=TOP + ph text-anchor="end">"0"</text>
                    <text class="axis" x=8.0 y=TOP + ph / 2.0 transform=format!("rotate(-90 8 {})", TOP + ph / 2.0) text-anchor="middle">"calls"</text>
                };
                // Label every k-th boundary so labels never overlap.
                let gap = match t.boundaries.as_slice() {
                    [a, b, ..] => x_of(t, *b, w) - x_of(t, *a, w),
                    _ => f64::MAX,
                };
                let every = (LABEL_GAP / gap.max(1.0)).ceil().max(1.0) as usize;
                let boundaries = t.boundaries.iter().enumerate().map(|(i, b)| {
                    let x = x_of(t, *b, w);
                    let label = (i % every == 0).then(|| view! {
                        <text class="boundary-label" x=x + 3.0 y=TOP - 6.0>{format_clock(*b, true)}</text>
                    });
                    view! {
                        <line class="boundary" x1=x x2=x y1=TOP - 4.0 y2=TOP + ph/>
                        {label}
                    }
                }).collect_view();
                // Four paths (one per outcome) and one per counter, whatever the number of calls.
                let plot = PlotBox { left: LEFT, top: TOP, width: pw, height: ph };
                let bars = bar_paths(t, plot)
                    .into_iter()
                    .zip(["bar-allow", "bar-deny", "bar-hidden", "bar-rate"])
                    .map(|(d, class)| view! { <path class=class d=d/> })
                    .collect_view();
                let lines = t.series.iter().enumerate().map(|(si, s)| {
                    let colour = SERIES_COLOURS.get(si).copied().unwrap_or("#333");
                    view! {
                        <path class="level" d=level_path(t, s, plot) stroke=colour>
                            <title>{format!("counter {} of grant {}: used per {} window, relative to max {}", s.counter, s.grant, s.window.as_str(), s.max)}</title>
                        </path>
                    }
                }).collect_view();
                let max_line = (!t.series.is_empty()).then(|| view! {
                    <line class="max-line" x1=LEFT x2=LEFT + pw y1=TOP y2=TOP/>
                    <text class="axis" x=LEFT + pw + 4.0 y=TOP + 4.0>"max"</text>
                    <text class="axis" x=LEFT + pw + 4.0 y=TOP + ph>"0"</text>
                });
                let max_ticks = ((pw / 110.0) as usize).clamp(2, 10);
                let x_ticks = ticks(t.start_ms, t.end_ms, max_ticks).into_iter().map(|tk| {
                    let x = x_of(t, tk, w);
                    view! {
                        <line class="tick" x1=x x2=x y1=TOP + ph y2=TOP + ph + 4.0/>
                        <text class="axis" x=x y=H - 10.0 text-anchor="middle">{format_clock(tk, true)}</text>
                    }
                }).collect_view();
                view! {
                    {grid}
                    {y_labels}
                    <line class="axis-line" x1=LEFT x2=LEFT + pw y1=TOP + ph y2=TOP + ph/>
                    {bars}
                    {boundaries}
                    {max_line}
                    {lines}
                    {x_ticks}
                }
            })}
            {move || hover.get().map(|i| {
                let col_w = plot_w(width.get()) / data.with(|d| d.columns.len().max(1)) as f64;
                view! { <rect class="cursor" x=LEFT + col_w * i as f64 y=TOP width=col_w.max(1.0) height=plot_h()/> }
            })}
        </svg>
        </div>
        <Show when=has_counters>
            <p class="muted small">"Dashed lines: window boundaries. A fixed window lets up to twice its max through around an edge: max just before it and max again just after. Coloured lines: each counter's use in its window, relative to its max."</p>
        </Show>
    }
}
