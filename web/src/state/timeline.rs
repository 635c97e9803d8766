//! The dry-run timeline: calls over time bucketed into columns (one per few pixels, never one
//! element per call), coloured by outcome, with counter levels and window boundaries, so that
//! the fixed-window edge burst is visible.

use std::collections::BTreeMap;

use toolgate_engine::{Outcome, Window};

use toolgate_engine::trace::{SimDecision, format_rfc3339_ms, parse_rfc3339_ms};

/// Calls of one column, by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Column {
    /// Allowed calls.
    pub allow: u32,
    /// Denied calls.
    pub deny: u32,
    /// Calls to hidden tools.
    pub hidden: u32,
    /// Rate-limited calls.
    pub rate_limited: u32,
    /// Index (into the decisions) of the column's first call.
    pub first: Option<usize>,
}

impl Column {
    /// Calls in the column.
    pub fn total(&self) -> u32 {
        self.allow + self.deny + self.hidden + self.rate_limited
    }

    fn add(&mut self, outcome: Outcome) {
        let slot = match outcome {
            Outcome::Allow => &mut self.allow,
            Outcome::Deny => &mut self.deny,
            Outcome::Hidden => &mut self.hidden,
            Outcome::RateLimited => &mut self.rate_limited,
        };
        *slot = slot.saturating_add(1);
    }
}

/// One counter's level across the columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Counter name.
    pub counter: String,
    /// Grant.
    pub grant: String,
    /// The counter's window.
    pub window: Window,
    /// The limit's maximum (the largest seen for this counter).
    pub max: u64,
    /// Highest `used` seen in each column (`None`: no call touched the counter there).
    pub levels: Vec<Option<u64>>,
    /// Calls that touched it.
    pub samples: usize,
}

/// The chart's data for a time range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// First instant shown (Unix ms).
    pub start_ms: u64,
    /// End of the range (exclusive).
    pub end_ms: u64,
    /// Columns, left to right.
    pub columns: Vec<Column>,
    /// Counter levels, busiest first.
    pub series: Vec<Series>,
    /// Window boundaries inside the range (of the shortest window among the series).
    pub boundaries: Vec<u64>,
    /// The window the boundaries belong to.
    pub boundary_window: Option<Window>,
    /// Largest column total (at least 1).
    pub peak: u32,
}

impl Timeline {
    /// The column an instant falls in.
    pub fn column_of(&self, at_ms: u64) -> usize {
        let span = self.end_ms.saturating_sub(self.start_ms).max(1);
        let n = self.columns.len() as u64;
        usize::try_from((at_ms.saturating_sub(self.start_ms).saturating_mul(n) / span).min(n.saturating_sub(1)))
            .unwrap_or(0)
    }

    /// The next column with calls after `from` (or before it, going back), for keyboard stepping;
    /// from nowhere, the first (or last) busy column.
    pub fn next_busy(&self, from: Option<usize>, forward: bool) -> Option<usize> {
        let busy = |i: &usize| self.columns.get(*i).is_some_and(|c| c.total() > 0);
        let n = self.columns.len();
        match (from, forward) {
            (None, true) => (0..n).find(busy),
            (None, false) => (0..n).rev().find(busy),
            (Some(f), true) => (f.saturating_add(1)..n).find(busy),
            (Some(f), false) => (0..f.min(n)).rev().find(busy),
        }
    }

    /// The instant at a fractional position (0 = left edge, 1 = right edge).
    pub fn time_at(&self, fraction: f64) -> u64 {
        let span = self.end_ms.saturating_sub(self.start_ms) as f64;
        self.start_ms.saturating_add((span * fraction.clamp(0.0, 1.0)) as u64)
    }
}

/// Where the plot area is inside the chart, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotBox {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl PlotBox {
    fn column_width(&self, t: &Timeline) -> f64 {
        self.width / t.columns.len().max(1) as f64
    }
}

/// SVG path data of the stacked bars, one path per outcome (allow, deny, hidden, rate limited,
/// stacked bottom-up in that order): four elements whatever the number of calls or columns.
pub fn bar_paths(t: &Timeline, plot: PlotBox) -> [String; 4] {
    let mut paths: [String; 4] = Default::default();
    let col_w = plot.column_width(t);
    let bar_w = (col_w - 0.3).max(0.6);
    let peak = f64::from(t.peak.max(1));
    for (i, c) in t.columns.iter().enumerate() {
        let x = plot.left + col_w * i as f64;
        let mut y = plot.top + plot.height;
        for (path, count) in paths.iter_mut().zip([c.allow, c.deny, c.hidden, c.rate_limited]) {
            if count > 0 {
                let h = (plot.height * f64::from(count) / peak).max(1.0);
                y -= h;
                if !path.is_empty() {
                    path.push(' ');
                }
                path.push_str(&format!("M{x:.1} {y:.1}h{bar_w:.1}v{h:.1}h-{bar_w:.1}z"));
            }
        }
    }
    paths
}

/// SVG path data of a counter's level as a step line, relative to its max (top of the plot = max).
pub fn level_path(t: &Timeline, s: &Series, plot: PlotBox) -> String {
    let col_w = plot.column_width(t);
    let max = s.max.max(1) as f64;
    let mut d = String::new();
    for (i, level) in s.levels.iter().enumerate() {
        let Some(l) = level else { continue };
        let x0 = plot.left + col_w * i as f64;
        let y = plot.top + plot.height * (1.0 - (*l as f64 / max).min(1.0));
        if d.is_empty() {
            d.push_str(&format!("M{x0:.1} {y:.1}"));
        } else {
            d.push_str(&format!("H{x0:.1}V{y:.1}"));
        }
        d.push_str(&format!("H{:.1}", x0 + col_w));
    }
    d
}

/// The full time range of a run: first call to just after the last; a run shorter than a second
/// (a burst) is centred in a one-second range.
pub fn full_range(decisions: &[SimDecision]) -> (u64, u64) {
    let (Some(first), Some(last)) = (decisions.first(), decisions.last()) else { return (0, 1000) };
    let (start, end) = (first.at_ms, last.at_ms.saturating_add(1));
    let span = end - start;
    if span >= 1000 {
        return (start, end);
    }
    let pad = (1000 - span) / 2;
    let start = start.saturating_sub(pad);
    (start, start + 1000)
}

/// Builds the chart for `range` (`[start, end)`) with `columns` columns and at most `max_series`
/// counter lines. Decisions must be in time order (traces never go backwards).
pub fn build(decisions: &[SimDecision], range: (u64, u64), columns: usize, max_series: usize) -> Timeline {
    let (start_ms, end_ms) = (range.0, range.1.max(range.0.saturating_add(1)));
    let columns = columns.max(1);
    let lo = decisions.partition_point(|d| d.at_ms < start_ms);
    let hi = decisions.partition_point(|d| d.at_ms < end_ms);
    let mut t = Timeline {
        start_ms,
        end_ms,
        columns: vec![Column::default(); columns],
        series: Vec::new(),
        boundaries: Vec::new(),
        boundary_window: None,
        peak: 1,
    };
    let mut series: BTreeMap<(&str, &str), Series> = BTreeMap::new();
    for (i, d) in decisions.iter().enumerate().take(hi).skip(lo) {
        let c = t.column_of(d.at_ms);
        if let Some(col) = t.columns.get_mut(c) {
            col.add(d.decision.outcome);
            col.first.get_or_insert(i);
        }
        for s in &d.decision.counters {
            let entry = series.entry((&*s.counter, &*s.grant)).or_insert_with(|| Series {
                counter: s.counter.to_string(),
                grant: s.grant.to_string(),
                window: s.window,
                max: s.max,
                levels: vec![None; columns],
                samples: 0,
            });
            entry.max = entry.max.max(s.max);
            entry.samples += 1;
            if let Some(level) = entry.levels.get_mut(c) {
                *level = Some(level.map_or(s.used, |l| l.max(s.used)));
            }
        }
    }
    t.peak = t.columns.iter().map(Column::total).max().unwrap_or(0).max(1);
    let mut series: Vec<Series> = series.into_values().collect();
    series.sort_by(|a, b| b.samples.cmp(&a.samples).then_with(|| a.counter.cmp(&b.counter)));
    series.truncate(max_series);
    t.boundary_window = series.iter().map(|s| s.window).min();
    if let Some(w) = t.boundary_window {
        let step = w.millis();
        let mut b = start_ms.div_ceil(step).saturating_mul(step);
        // Too many lines say nothing: show them only while they are at least 4 columns apart.
        let limit = columns / 4;
        while b < end_ms && t.boundaries.len() <= limit {
            if b > start_ms {
                t.boundaries.push(b);
            }
            b = b.saturating_add(step);
        }
        if t.boundaries.len() > limit {
            t.boundaries.clear();
        }
    }
    t.series = series;
    t
}

/// Axis ticks: a round step giving at most `max_ticks` ticks in the range.
pub fn ticks(start_ms: u64, end_ms: u64, max_ticks: usize) -> Vec<u64> {
    const STEPS: [u64; 22] = [
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 300_000, 600_000,
        1_800_000, 3_600_000, 21_600_000, 86_400_000,
    ];
    let span = end_ms.saturating_sub(start_ms).max(1);
    let max_ticks = max_ticks.max(1) as u64;
    let step =
        STEPS.into_iter().find(|s| span / s <= max_ticks).unwrap_or(86_400_000 * (span / 86_400_000 / max_ticks + 1));
    let mut out = Vec::new();
    let mut t = start_ms.div_ceil(step).saturating_mul(step);
    while t < end_ms {
        out.push(t);
        t = t.saturating_add(step);
    }
    out
}

/// `YYYY-MM-DD hh:mm:ss.mmm` (UTC).
pub fn format_utc(ms: u64) -> String {
    let s = format_rfc3339_ms(ms).replacen('T', " ", 1);
    s.strip_suffix('Z').map_or(s.clone(), str::to_string)
}

/// `hh:mm:ss.mmm` (UTC), or `hh:mm:ss` when the milliseconds are zero and `trim` is set.
pub fn format_clock(ms: u64, trim: bool) -> String {
    let s = format_time_of_day(ms);
    if trim && ms.is_multiple_of(1000) { s.get(..8).unwrap_or(&s).to_string() } else { s }
}

fn format_time_of_day(ms: u64) -> String {
    let in_day = ms % 86_400_000;
    let (h, m, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60, in_day % 1000);
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

/// A duration for people: `850 ms`, `12.5 s`, `3 min 20 s`, `2 h 5 min`.
pub fn format_duration(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..60_000 => {
            let tenths = ms / 100;
            if tenths.is_multiple_of(10) {
                format!("{} s", tenths / 10)
            } else {
                format!("{}.{} s", tenths / 10, tenths % 10)
            }
        }
        60_000..3_600_000 => {
            let s = ms / 1000 % 60;
            if s == 0 { format!("{} min", ms / 60_000) } else { format!("{} min {s} s", ms / 60_000) }
        }
        _ => {
            let m = ms / 60_000 % 60;
            if m == 0 { format!("{} h", ms / 3_600_000) } else { format!("{} h {m} min", ms / 3_600_000) }
        }
    }
}

/// Parses an instant for the generator's start box: Unix milliseconds, or RFC 3339 (UTC when
/// the zone is left out).
pub fn parse_utc(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Ok(ms) = t.parse::<u64>() {
        return Some(ms);
    }
    parse_rfc3339_ms(t).or_else(|_| parse_rfc3339_ms(&format!("{t}Z"))).ok()
}

/// RFC 3339 form of an instant, for the generator's start box (milliseconds only when needed).
pub fn to_rfc3339(ms: u64) -> String {
    let s = format_rfc3339_ms(ms);
    s.strip_suffix(".000Z").map_or(s.clone(), |p| format!("{p}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::sim::SimRun;
    use crate::state::tracegen::{DEFAULT_START_MS, GeneratorSpec, Pattern, generate};
    use std::sync::Arc;

    fn run(policy: &str, spec: GeneratorSpec) -> Vec<SimDecision> {
        let policy = toolgate_engine::parse_policy(policy).unwrap();
        let mut r = SimRun::new(policy, Arc::new(generate(&spec).unwrap()));
        r.step(usize::MAX);
        r.finish().simulation.decisions
    }

    const LIMITED: &str = r#"{"version": "1", "default": "deny",
        "tools": {"t": {"limits": [{"counter": "t_per_minute", "window": "minute", "max": 5}]}}}"#;

    #[test]
    fn an_edge_burst_shows_twice_max_allowed_around_the_boundary() {
        let spec = GeneratorSpec {
            pattern: Pattern::EdgeBurst,
            tools: vec!["t".into()],
            count: 20,
            every_ms: 50,
            ..GeneratorSpec::default()
        };
        let d = run(LIMITED, spec);
        let boundary = DEFAULT_START_MS;
        let tl = build(&d, (boundary - 60_000, boundary + 60_000), 240, 4);
        assert_eq!(tl.boundaries, vec![boundary]);
        assert_eq!(tl.boundary_window, Some(Window::Minute));
        let allowed: u32 = tl.columns.iter().map(|c| c.allow).sum();
        let limited: u32 = tl.columns.iter().map(|c| c.rate_limited).sum();
        assert_eq!((allowed, limited), (10, 10), "max 5 before the edge and 5 after it");
        let s = &tl.series[0];
        assert_eq!((s.counter.as_str(), s.max), ("t_per_minute", 5));
        assert_eq!(s.levels.iter().flatten().max(), Some(&5));
        let before = tl.column_of(boundary - 1);
        let after = tl.column_of(boundary);
        assert!(before < after);
    }

    #[test]
    fn columns_count_every_call_once() {
        let spec = GeneratorSpec {
            pattern: Pattern::Steady,
            tools: vec!["t".into()],
            count: 100_000,
            every_ms: 10,
            ..GeneratorSpec::default()
        };
        let d = run(LIMITED, spec);
        let tl = build(&d, full_range(&d), 600, 4);
        assert_eq!(tl.columns.iter().map(|c| c.total() as usize).sum::<usize>(), 100_000);
        assert_eq!(tl.columns.len(), 600);
        assert!(tl.peak >= 100_000 / 600);
        assert_eq!(tl.columns[0].first, Some(0));
        // 1000 s = 16.7 minutes: 16 boundaries fit easily in 600 columns.
        assert_eq!(tl.boundaries.len(), 16);
    }

    #[test]
    fn keyboard_steps_go_from_busy_column_to_busy_column() {
        let spec = GeneratorSpec { pattern: Pattern::Steady, tools: vec!["t".into()], count: 3, every_ms: 1000, ..GeneratorSpec::default() };
        let d = run(LIMITED, spec);
        let tl = build(&d, (DEFAULT_START_MS, DEFAULT_START_MS + 3000), 30, 4);
        assert_eq!(tl.next_busy(None, true), Some(0));
        assert_eq!(tl.next_busy(Some(0), true), Some(10));
        assert_eq!(tl.next_busy(Some(10), true), Some(20));
        assert_eq!(tl.next_busy(Some(20), true), None);
        assert_eq!(tl.next_busy(None, false), Some(20));
        assert_eq!(tl.next_busy(Some(10), false), Some(0));
        assert_eq!(tl.next_busy(Some(0), false), None);
    }

    #[test]
    fn a_zoomed_range_counts_only_its_calls() {
        let spec = GeneratorSpec {
            pattern: Pattern::Steady,
            tools: vec!["t".into()],
            count: 100,
            every_ms: 1000,
            ..GeneratorSpec::default()
        };
        let d = run(LIMITED, spec);
        let tl = build(&d, (DEFAULT_START_MS + 10_000, DEFAULT_START_MS + 20_000), 100, 4);
        assert_eq!(tl.columns.iter().map(|c| c.total()).sum::<u32>(), 10);
        assert_eq!(tl.columns.iter().find_map(|c| c.first), Some(10));
    }

    #[test]
    fn a_burst_is_centred_in_a_one_second_range() {
        let spec =
            GeneratorSpec { pattern: Pattern::Burst, tools: vec!["t".into()], count: 10, ..GeneratorSpec::default() };
        let d = run(LIMITED, spec);
        assert_eq!(full_range(&d), (DEFAULT_START_MS - 499, DEFAULT_START_MS + 501));
        let tl = build(&d, full_range(&d), 100, 4);
        assert_eq!(tl.columns[49].total(), 10);
    }

    #[test]
    fn bars_are_one_path_per_outcome_with_a_box_per_busy_column() {
        let spec = GeneratorSpec {
            pattern: Pattern::Steady,
            tools: vec!["t".into(), "u".into()],
            count: 600,
            every_ms: 100,
            ..GeneratorSpec::default()
        };
        let d = run(LIMITED, spec);
        let tl = build(&d, full_range(&d), 300, 4);
        let plot = PlotBox { left: 40.0, top: 10.0, width: 600.0, height: 200.0 };
        let [allow, deny, hidden, rate] = bar_paths(&tl, plot);
        let boxes = |p: &str| p.matches('M').count();
        assert_eq!(boxes(&allow), tl.columns.iter().filter(|c| c.allow > 0).count());
        assert_eq!(boxes(&deny), tl.columns.iter().filter(|c| c.deny > 0).count());
        assert_eq!(boxes(&hidden), 0);
        assert_eq!(boxes(&rate), tl.columns.iter().filter(|c| c.rate_limited > 0).count());
        assert!(allow.starts_with("M40.0 "), "{}", &allow[..20]);
        let level = level_path(&tl, &tl.series[0], plot);
        assert!(level.starts_with("M40.0 "));
        assert_eq!(level.matches('V').count() + 1, tl.series[0].levels.iter().flatten().count());
    }

    #[test]
    fn empty_runs_build_an_empty_chart() {
        let tl = build(&[], full_range(&[]), 10, 4);
        assert_eq!(tl.columns.iter().map(|c| c.total()).sum::<u32>(), 0);
        assert!(tl.series.is_empty() && tl.boundaries.is_empty());
    }

    #[test]
    fn ticks_use_round_steps() {
        assert_eq!(ticks(0, 60_000, 8), vec![0, 10_000, 20_000, 30_000, 40_000, 50_000]);
        assert_eq!(
            ticks(DEFAULT_START_MS + 1, DEFAULT_START_MS + 1000, 4),
            [200, 400, 600, 800].map(|o| DEFAULT_START_MS + o)
        );
        assert!(ticks(0, 10 * 86_400_000, 8).len() <= 8);
    }

    #[test]
    fn instants_format_and_parse_as_utc() {
        assert_eq!(format_utc(DEFAULT_START_MS), "2026-01-01 00:00:00.000");
        assert_eq!(format_utc(951_782_400_000 + 3_723_004), "2000-02-29 01:02:03.004");
        assert_eq!(format_clock(DEFAULT_START_MS + 30_000, true), "00:00:30");
        assert_eq!(format_clock(DEFAULT_START_MS + 30_250, true), "00:00:30.250");
        assert_eq!(to_rfc3339(DEFAULT_START_MS), "2026-01-01T00:00:00Z");
        assert_eq!(parse_utc("2026-01-01T00:00:00Z"), Some(DEFAULT_START_MS));
        assert_eq!(parse_utc("2000-02-29T01:02:03.004Z"), Some(951_782_400_000 + 3_723_004));
        assert_eq!(parse_utc("2026-01-01 00:01:00"), Some(DEFAULT_START_MS + 60_000));
        assert_eq!(parse_utc("1767225600000"), Some(DEFAULT_START_MS));
        assert_eq!(parse_utc("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_utc("yesterday"), None);
        for ms in [0, DEFAULT_START_MS, DEFAULT_START_MS + 86_399_999, 4_102_444_800_000] {
            assert_eq!(parse_utc(&to_rfc3339(ms)), Some(ms));
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(850), "850 ms");
        assert_eq!(format_duration(12_500), "12.5 s");
        assert_eq!(format_duration(30_000), "30 s");
        assert_eq!(format_duration(200_000), "3 min 20 s");
        assert_eq!(format_duration(7_500_000), "2 h 5 min");
    }
}
