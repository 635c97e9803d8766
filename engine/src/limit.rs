//! Fixed UTC windows, counters and their snapshot (`policy-format.md` §5).
//!
//! A counter is identified by `(grant, counter name)` and holds the count of the newest window it
//! was charged in. The window maths is one pure function, [`check`].

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::policy::Window;

/// The start of the fixed window containing `at_ms`: `at_ms − (at_ms mod W)`.
pub fn window_start(window: Window, at_ms: u64) -> u64 {
    at_ms - at_ms % window.millis()
}

/// One counter's state: the newest window it was charged in and the calls charged there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The window length the slot was charged under.
    pub window: Window,
    /// Start of that window (Unix ms).
    pub window_start: u64,
    /// Calls charged in it.
    pub used: u64,
}

/// The answer of [`check`] for one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowCheck {
    /// One more call fits: `used` is the count *before* charging.
    Fits {
        /// Start of the window the call is counted in.
        window_start: u64,
        /// Calls already charged in that window.
        used: u64,
    },
    /// The window is full.
    Full {
        /// Start of the full window.
        window_start: u64,
        /// Calls charged in it (≥ max).
        used: u64,
        /// Milliseconds until that window ends.
        retry_after_ms: u64,
    },
}

/// Decides whether one more call at `at_ms` fits under `max` per `window`, given the counter's slot.
///
/// Worked examples with `window = minute`, `max = 2`, times as seconds past 2026-01-01T00:00Z:
/// - no slot, call at 00:58 → fits, window 00:00, used 0;
/// - slot {00:00, used 2}, call at 00:59.999 → full, retry after 1 ms;
/// - slot {00:00, used 2}, call at 01:00.000 → fits, window 01:00, used 0 (a counter reads 0
///   once its window has passed — so up to 2 × max calls pass across a window edge);
/// - slot {01:00, used 1}, call at 00:30 (time went backwards) → counted in the newer window
///   01:00, used 1: a counter never re-opens a window it has moved past, so no window ever
///   admits more than `max` calls;
/// - a slot charged under another window length (the policy changed) reads as empty.
pub fn check(slot: Option<Slot>, window: Window, max: u64, at_ms: u64) -> WindowCheck {
    let ws_now = window_start(window, at_ms);
    let (ws, used) = match slot {
        Some(s) if s.window == window && s.window_start >= ws_now => (s.window_start, s.used),
        _ => (ws_now, 0),
    };
    if used.saturating_add(1) > max {
        let end = ws.saturating_add(window.millis());
        WindowCheck::Full { window_start: ws, used, retry_after_ms: end.saturating_sub(at_ms) }
    } else {
        WindowCheck::Fits { window_start: ws, used }
    }
}

/// The counters of one engine: `(grant, counter)` → newest slot.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    by_grant: HashMap<Arc<str>, HashMap<Arc<str>, Slot>>,
}

impl Counters {
    /// The slot of `(grant, counter)`, if ever charged.
    pub fn get(&self, grant: &str, counter: &str) -> Option<Slot> {
        self.by_grant.get(grant)?.get(counter).copied()
    }

    /// The interned grant name, if this grant has counters (avoids an allocation per decision).
    pub fn grant_key(&self, grant: &str) -> Option<Arc<str>> {
        self.by_grant.get_key_value(grant).map(|(k, _)| Arc::clone(k))
    }

    /// Charges one call to `(grant, counter)` in the window starting at `window_start`.
    /// Returns the count after charging.
    pub fn charge(&mut self, grant: &Arc<str>, counter: &Arc<str>, window: Window, window_start: u64) -> u64 {
        let slots = match self.by_grant.get_mut(&**grant) {
            Some(s) => s,
            None => self.by_grant.entry(Arc::clone(grant)).or_default(),
        };
        let slot = match slots.get_mut(&**counter) {
            Some(s) => s,
            None => slots.entry(Arc::clone(counter)).or_insert(Slot { window, window_start, used: 0 }),
        };
        if slot.window != window || slot.window_start < window_start {
            *slot = Slot { window, window_start, used: 0 };
        }
        slot.used = slot.used.saturating_add(1);
        slot.used
    }

    /// Gives one call back to `(grant, counter)` if the counter is still in the window the call was
    /// charged in (a rollback never touches a later window). Floored at 0. Returns whether a
    /// charge was released.
    pub fn release(&mut self, grant: &str, counter: &str, window_start: u64) -> bool {
        match self.by_grant.get_mut(grant).and_then(|s| s.get_mut(counter)) {
            Some(slot) if slot.window_start == window_start && slot.used > 0 => {
                slot.used -= 1;
                true
            }
            _ => false,
        }
    }

    /// Forgets every counter.
    pub fn clear(&mut self) {
        self.by_grant.clear();
    }

    /// A snapshot in deterministic order (grant, then counter); empty slots are left out.
    pub fn snapshot(&self) -> CounterSnapshot {
        let mut counters: Vec<CounterEntry> = self
            .by_grant
            .iter()
            .flat_map(|(grant, slots)| {
                slots.iter().filter(|(_, s)| s.used > 0).map(move |(counter, s)| CounterEntry {
                    grant: grant.to_string(),
                    counter: counter.to_string(),
                    window: s.window,
                    window_start_ms: s.window_start,
                    used: s.used,
                })
            })
            .collect();
        counters.sort_by(|a, b| (&a.grant, &a.counter).cmp(&(&b.grant, &b.counter)));
        CounterSnapshot { version: 1, counters }
    }

    /// Replaces every counter with the snapshot's. Fails (changing nothing) on an entry whose
    /// window start is not aligned to its window, or on a duplicate `(grant, counter)`.
    pub fn restore(&mut self, snapshot: &CounterSnapshot) -> Result<(), String> {
        let mut by_grant: HashMap<Arc<str>, HashMap<Arc<str>, Slot>> = HashMap::new();
        for (i, e) in snapshot.counters.iter().enumerate() {
            if e.window_start_ms % e.window.millis() != 0 {
                return Err(format!(
                    "/counters/{i}/window_start_ms: {} is not the start of a {} window",
                    e.window_start_ms,
                    e.window.as_str()
                ));
            }
            let slots = by_grant.entry(Arc::from(e.grant.as_str())).or_default();
            let slot = Slot { window: e.window, window_start: e.window_start_ms, used: e.used };
            if slots.insert(Arc::from(e.counter.as_str()), slot).is_some() {
                return Err(format!("/counters/{i}: duplicate counter `{}` for grant `{}`", e.counter, e.grant));
            }
        }
        self.by_grant = by_grant;
        Ok(())
    }
}

/// Serialisable counter state, e.g. to persist across restarts or share between hosts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CounterSnapshot {
    /// Snapshot format version (1).
    #[serde(default = "one")]
    pub version: u32,
    /// One entry per `(grant, counter)`, sorted.
    pub counters: Vec<CounterEntry>,
}

fn one() -> u32 {
    1
}

/// One counter in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterEntry {
    /// Caller identity.
    pub grant: String,
    /// Counter name.
    pub counter: String,
    /// The counter's window.
    pub window: Window,
    /// Start of the window the count belongs to.
    pub window_start_ms: u64,
    /// Calls charged in that window.
    pub used: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    #[test]
    fn windows_align_to_utc() {
        assert_eq!(window_start(Window::Minute, T0 + 59_999), T0);
        assert_eq!(window_start(Window::Minute, T0 + 60_000), T0 + 60_000);
        assert_eq!(window_start(Window::Hour, T0 + 3_599_999), T0);
        assert_eq!(window_start(Window::Day, T0 + 86_399_999), T0);
        assert_eq!(window_start(Window::Day, 0), 0);
    }

    #[test]
    fn window_resets_at_the_top_of_the_minute() {
        let full = Some(Slot { window: Window::Minute, window_start: T0, used: 2 });
        assert_eq!(
            check(full, Window::Minute, 2, T0 + 59_999),
            WindowCheck::Full { window_start: T0, used: 2, retry_after_ms: 1 }
        );
        assert_eq!(
            check(full, Window::Minute, 2, T0 + 60_000),
            WindowCheck::Fits { window_start: T0 + 60_000, used: 0 }
        );
    }

    #[test]
    fn time_going_backwards_counts_in_the_newer_window() {
        let slot = Some(Slot { window: Window::Minute, window_start: T0 + 60_000, used: 1 });
        assert_eq!(
            check(slot, Window::Minute, 1, T0 + 30_000),
            WindowCheck::Full { window_start: T0 + 60_000, used: 1, retry_after_ms: 90_000 }
        );
    }

    #[test]
    fn release_only_touches_the_charged_window() {
        let mut c = Counters::default();
        let (g, k): (Arc<str>, Arc<str>) = (Arc::from("g"), Arc::from("k"));
        assert_eq!(c.charge(&g, &k, Window::Minute, T0), 1);
        assert_eq!(c.charge(&g, &k, Window::Minute, T0 + 60_000), 1);
        assert!(!c.release("g", "k", T0));
        assert_eq!(c.get("g", "k").unwrap().used, 1);
        assert!(c.release("g", "k", T0 + 60_000));
        assert!(!c.release("g", "k", T0 + 60_000), "floored at 0");
    }

    #[test]
    fn snapshots_are_sorted_and_restore_exactly() {
        let mut c = Counters::default();
        for (g, k) in [("b", "x"), ("a", "y"), ("a", "x")] {
            c.charge(&Arc::from(g), &Arc::from(k), Window::Hour, T0);
        }
        let snap = c.snapshot();
        let keys: Vec<_> = snap.counters.iter().map(|e| (e.grant.as_str(), e.counter.as_str())).collect();
        assert_eq!(keys, [("a", "x"), ("a", "y"), ("b", "x")]);
        let mut d = Counters::default();
        d.restore(&snap).unwrap();
        assert_eq!(d.snapshot(), snap);
        let mut bad = snap.clone();
        bad.counters[0].window_start_ms += 1;
        assert!(d.restore(&bad).is_err());
    }
}
