//! Fixed UTC windows, counters and their snapshot (`policy-format.md` §5).
//!
//! A counter is identified by `(grant, counter name)` and holds the count of the newest window it
//! was charged in. The window maths is one pure function, [`check`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

use crate::policy::Window;

/// The start of the fixed window containing `at_ms`: `at_ms − (at_ms mod W)`.
pub fn window_start(window: Window, at_ms: u64) -> u64 {
    at_ms - at_ms % window.millis()
}

/// One counter's state: the newest window it was charged in and the window just before it.
///
/// Two windows are kept so a call whose time lies slightly in the past (clocks of several
/// gateway instances, out-of-order delivery) is counted in its own window, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The window length the slot was charged under.
    pub window: Window,
    /// Start of the newest charged window (Unix ms).
    pub window_start: u64,
    /// Calls charged in it.
    pub used: u64,
    /// Calls charged in the window before it (`window_start − W`).
    pub previous_used: u64,
}

/// The answer of [`check`] for one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowCheck {
    /// One more call fits: `used` is the count *before* charging.
    Fits {
        /// Start of the window the call is counted in (always the window of `at_ms`).
        window_start: u64,
        /// Calls already charged in that window.
        used: u64,
    },
    /// The window is full, or lies before the two windows a counter remembers (fail closed).
    Full {
        /// Start of the call's window.
        window_start: u64,
        /// Calls charged in it (reported as `max` for a window too old to be known).
        used: u64,
        /// Milliseconds until that window ends.
        retry_after_ms: u64,
    },
}

/// Decides whether one more call at `at_ms` fits under `max` per `window`, given the counter's slot.
/// The call is always counted in its own window `ws = at_ms − (at_ms mod W)`.
///
/// Worked examples with `window = minute`, `max = 2`, times as minutes:seconds past
/// 2026-01-01T00:00Z:
/// - no slot, call at 00:58 → fits, window 00:00, used 0;
/// - slot {00:00, used 2}, call at 00:59.999 → full, retry after 1 ms;
/// - slot {00:00, used 2}, call at 01:00.000 → fits, window 01:00, used 0 (a counter reads 0
///   once its window has passed — so up to 2 × max calls pass across a window edge);
/// - slot {01:00, used 0, previous 2}, call at 00:30 (late) → full: window 00:00 already
///   admitted 2, retry after 30 s;
/// - slot {02:00, …}, call at 00:30 → full (fail closed): the counter no longer knows window
///   00:00, so it refuses rather than risk admitting more than `max` there;
/// - a slot charged under another window length (the policy changed) reads as empty.
pub fn check(slot: Option<Slot>, window: Window, max: u64, at_ms: u64) -> WindowCheck {
    verdict(window, max, at_ms, used_before(slot, window, max, at_ms))
}

/// How many calls a slot has already counted in the window of `at_ms`, before this call (the
/// first half of [`check`]): 0 for no slot, a slot charged under another window length, or a
/// newer window; the slot's `used` or `previous_used` for a window it remembers; `max` for a
/// window older than both (fail closed). A host-side store (e.g. Redis) must compute exactly this.
#[inline]
pub fn used_before(slot: Option<Slot>, window: Window, max: u64, at_ms: u64) -> u64 {
    let w = window.millis();
    let ws = window_start(window, at_ms);
    match slot {
        Some(s) if s.window == window => {
            if ws > s.window_start {
                0
            } else if ws == s.window_start {
                s.used
            } else if ws.saturating_add(w) == s.window_start {
                s.previous_used
            } else {
                max
            }
        }
        _ => 0,
    }
}

/// Whether one more call at `at_ms` fits when `used` calls are already counted in its window (the
/// second half of [`check`]; `used` comes from [`used_before`] or from a host-side store).
#[inline]
pub fn verdict(window: Window, max: u64, at_ms: u64, used: u64) -> WindowCheck {
    let ws = window_start(window, at_ms);
    if used.saturating_add(1) > max {
        let end = ws.saturating_add(window.millis());
        WindowCheck::Full { window_start: ws, used, retry_after_ms: end.saturating_sub(at_ms) }
    } else {
        WindowCheck::Fits { window_start: ws, used }
    }
}

/// The hash a counter name is filed under in [`Slots`] (the policy computes it once per limit).
#[inline]
pub fn counter_hash(counter: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(counter)
}

/// One grant's counters: counter name → slot, filed under [`counter_hash`] of the name so a
/// decision looks each limit up without hashing its name again; names compare by pointer first
/// (a slot keeps the `Arc` of the limit that first charged it).
#[derive(Debug, Clone, Default)]
pub struct Slots {
    table: hashbrown::HashTable<(Arc<str>, Slot)>,
}

impl Slots {
    /// The slot of a counter whose name hashes to `hash` ([`counter_hash`]).
    #[inline]
    pub fn find(&self, hash: u64, counter: &Arc<str>) -> Option<&Slot> {
        self.table.find(hash, |(k, _)| Arc::ptr_eq(k, counter) || **k == **counter).map(|(_, s)| s)
    }

    /// The slot of a counter, by name.
    pub fn get(&self, counter: &str) -> Option<&Slot> {
        self.table.find(counter_hash(counter), |(k, _)| &**k == counter).map(|(_, s)| s)
    }

    fn get_mut(&mut self, counter: &str) -> Option<&mut Slot> {
        self.table.find_mut(counter_hash(counter), |(k, _)| &**k == counter).map(|(_, s)| s)
    }

    /// The slot of a counter, created with `fresh` when missing.
    fn slot_mut(&mut self, hash: u64, counter: &Arc<str>, fresh: Slot) -> &mut Slot {
        let entry =
            self.table.entry(hash, |(k, _)| Arc::ptr_eq(k, counter) || **k == **counter, |(k, _)| counter_hash(k));
        &mut entry.or_insert_with(|| (Arc::clone(counter), fresh)).into_mut().1
    }

    /// Files a slot; returns the one it replaces.
    fn insert(&mut self, counter: Arc<str>, slot: Slot) -> Option<Slot> {
        let hash = counter_hash(&counter);
        match self.table.entry(hash, |(k, _)| *k == counter, |(k, _)| counter_hash(k)) {
            hashbrown::hash_table::Entry::Occupied(mut o) => Some(std::mem::replace(&mut o.get_mut().1, slot)),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((counter, slot));
                None
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Slot)> {
        self.table.iter().map(|(k, s)| (k, s))
    }
}

/// Charges one call to a counter of one grant; see [`Counters::charge`].
fn charge_slot(slots: &mut Slots, hash: u64, counter: &Arc<str>, window: Window, window_start: u64) -> u64 {
    let fresh = Slot { window, window_start, used: 0, previous_used: 0 };
    let slot = slots.slot_mut(hash, counter, fresh);
    let w = window.millis();
    if slot.window != window {
        *slot = fresh;
    } else if window_start > slot.window_start {
        let previous_used = if window_start - w == slot.window_start { slot.used } else { 0 };
        *slot = Slot { window, window_start, used: 0, previous_used };
    }
    if window_start == slot.window_start {
        slot.used = slot.used.saturating_add(1);
        slot.used
    } else if window_start.saturating_add(w) == slot.window_start {
        slot.previous_used = slot.previous_used.saturating_add(1);
        slot.previous_used
    } else {
        // Older than both remembered windows: `check` refuses these, so nothing is charged.
        0
    }
}

/// Charges one call to each `(hash, counter, window, window start)` of one grant's slots: the
/// counters of an allowed decision, with the hashes the policy computed when it was compiled.
pub(crate) fn charge_hashed<'c>(slots: &mut Slots, charges: impl Iterator<Item = (u64, &'c Arc<str>, Window, u64)>) {
    for (hash, counter, window, window_start) in charges {
        charge_slot(slots, hash, counter, window, window_start);
    }
}

/// The counters of one engine: `(grant, counter)` → newest slot.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    by_grant: hashbrown::HashMap<SmolStr, Slots, rustc_hash::FxBuildHasher>,
}

impl Counters {
    /// The slot of `(grant, counter)`, if ever charged.
    pub fn get(&self, grant: &str, counter: &str) -> Option<Slot> {
        self.by_grant.get(grant)?.get(counter).copied()
    }

    /// The interned grant name, if this grant has counters (avoids an allocation per decision).
    pub fn grant_key(&self, grant: &str) -> Option<SmolStr> {
        self.by_grant.get_key_value(grant).map(|(k, _)| k.clone())
    }

    /// The interned grant name and its slots, in one lookup.
    pub fn slots(&self, grant: &str) -> Option<(&SmolStr, &Slots)> {
        self.by_grant.get_key_value(grant)
    }

    /// Charges one call to `(grant, counter)` in the window starting at `window_start` (which
    /// [`check`] accepted). Returns the count of that window after charging.
    pub fn charge(&mut self, grant: &str, counter: &Arc<str>, window: Window, window_start: u64) -> u64 {
        charge_slot(
            self.by_grant.entry(SmolStr::new(grant)).or_default(),
            counter_hash(counter),
            counter,
            window,
            window_start,
        )
    }

    /// The interned grant name and its slots, writable.
    pub(crate) fn slots_mut(&mut self, grant: &str) -> Option<(&SmolStr, &mut Slots)> {
        self.by_grant.get_key_value_mut(grant)
    }

    /// The slots of a grant that has none yet.
    pub(crate) fn add_grant(&mut self, grant: SmolStr) -> &mut Slots {
        self.by_grant.entry(grant).or_default()
    }

    /// Charges one call to every counter of an allowed decision (one grant lookup).
    pub fn charge_all(&mut self, states: &[crate::eval::decision::CounterState]) {
        let Some(first) = states.first() else { return };
        let slots = match self.by_grant.get_mut(first.grant.as_str()) {
            Some(s) => s,
            None => self.by_grant.entry(first.grant.clone()).or_default(),
        };
        for s in states {
            let counter: Arc<str> = Arc::from(s.counter.as_str());
            charge_slot(slots, counter_hash(&counter), &counter, s.window, s.window_start_ms);
        }
    }

    /// Gives one call back to `(grant, counter)` in the window it was charged in (a rollback never
    /// touches another window, nor a counter since redeclared with another window length).
    /// Floored at 0. Returns whether a charge was released.
    pub fn release(&mut self, grant: &str, counter: &str, window: Window, window_start: u64) -> bool {
        let Some(slot) = self.by_grant.get_mut(grant).and_then(|s| s.get_mut(counter)) else {
            return false;
        };
        if slot.window != window {
            return false;
        }
        let count = if slot.window_start == window_start {
            &mut slot.used
        } else if window_start.saturating_add(window.millis()) == slot.window_start {
            &mut slot.previous_used
        } else {
            return false;
        };
        if *count == 0 {
            return false;
        }
        *count -= 1;
        true
    }

    /// Whether a release into `(grant, counter)`'s window starting at `window_start` could still
    /// change it: the slot has the same window length and remembers that window or a later one
    /// not yet two windows on.
    pub fn knows(&self, grant: &str, counter: &str, window: Window, window_start: u64) -> bool {
        self.get(grant, counter)
            .is_some_and(|s| s.window == window && s.window_start <= window_start.saturating_add(window.millis()))
    }

    /// Forgets every counter.
    pub fn clear(&mut self) {
        self.by_grant.clear();
    }

    /// A snapshot in deterministic order (grant, then counter). Every counter ever charged is
    /// included, even one released back to 0: its window start still decides late calls.
    pub fn snapshot(&self) -> CounterSnapshot {
        let mut counters: Vec<CounterEntry> = self
            .by_grant
            .iter()
            .flat_map(|(grant, slots)| {
                slots.iter().map(move |(counter, s)| CounterEntry {
                    grant: grant.to_string(),
                    counter: counter.to_string(),
                    window: s.window,
                    window_start_ms: s.window_start,
                    used: s.used,
                    previous_used: s.previous_used,
                })
            })
            .collect();
        counters.sort_by(|a, b| (&a.grant, &a.counter).cmp(&(&b.grant, &b.counter)));
        CounterSnapshot { version: 1, counters }
    }

    /// Replaces every counter with the snapshot's. Fails (changing nothing) on an entry whose
    /// window start is not aligned to its window, or on a duplicate `(grant, counter)`.
    pub fn restore(&mut self, snapshot: &CounterSnapshot) -> Result<(), String> {
        let mut by_grant: hashbrown::HashMap<SmolStr, Slots, rustc_hash::FxBuildHasher> = Default::default();
        for (i, e) in snapshot.counters.iter().enumerate() {
            if e.window_start_ms % e.window.millis() != 0 {
                return Err(format!(
                    "/counters/{i}/window_start_ms: {} is not the start of a {} window",
                    e.window_start_ms,
                    e.window.as_str()
                ));
            }
            let slots = by_grant.entry(SmolStr::new(&e.grant)).or_default();
            let slot = Slot {
                window: e.window,
                window_start: e.window_start_ms,
                used: e.used,
                previous_used: e.previous_used,
            };
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
    /// Calls charged in the window before it (kept for late calls); omitted when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub previous_used: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
        let full = Some(Slot { window: Window::Minute, window_start: T0, used: 2, previous_used: 0 });
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
    fn a_late_call_is_counted_in_its_own_window() {
        let slot = Some(Slot { window: Window::Minute, window_start: T0 + 60_000, used: 1, previous_used: 2 });
        assert_eq!(
            check(slot, Window::Minute, 2, T0 + 30_000),
            WindowCheck::Full { window_start: T0, used: 2, retry_after_ms: 30_000 }
        );
        assert_eq!(check(slot, Window::Minute, 3, T0 + 30_000), WindowCheck::Fits { window_start: T0, used: 2 });
        let mut c = Counters::default();
        let (g, k): (Arc<str>, Arc<str>) = (Arc::from("g"), Arc::from("k"));
        c.charge(&g, &k, Window::Minute, T0 + 60_000);
        assert_eq!(c.charge(&g, &k, Window::Minute, T0), 1, "the previous window is counted apart");
        assert_eq!(c.get("g", "k").unwrap().used, 1);
    }

    #[test]
    fn a_call_older_than_the_remembered_windows_is_refused() {
        let slot = Some(Slot { window: Window::Minute, window_start: T0 + 120_000, used: 0, previous_used: 0 });
        assert!(matches!(check(slot, Window::Minute, 5, T0 + 1), WindowCheck::Full { window_start: T0, .. }));
    }

    #[test]
    fn moving_to_the_next_window_keeps_the_previous_count() {
        let mut c = Counters::default();
        let (g, k): (Arc<str>, Arc<str>) = (Arc::from("g"), Arc::from("k"));
        c.charge(&g, &k, Window::Minute, T0);
        c.charge(&g, &k, Window::Minute, T0);
        c.charge(&g, &k, Window::Minute, T0 + 60_000);
        assert_eq!(
            c.get("g", "k").unwrap(),
            Slot { window: Window::Minute, window_start: T0 + 60_000, used: 1, previous_used: 2 }
        );
        c.charge(&g, &k, Window::Minute, T0 + 180_000);
        assert_eq!(c.get("g", "k").unwrap().previous_used, 0, "a gap forgets the old window");
    }

    #[test]
    fn release_only_touches_the_charged_window() {
        let mut c = Counters::default();
        let (g, k): (Arc<str>, Arc<str>) = (Arc::from("g"), Arc::from("k"));
        assert_eq!(c.charge(&g, &k, Window::Minute, T0), 1);
        assert_eq!(c.charge(&g, &k, Window::Minute, T0 + 60_000), 1);
        assert!(c.release("g", "k", Window::Minute, T0), "the previous window is still known");
        assert_eq!(c.get("g", "k").unwrap().used, 1);
        assert!(!c.release("g", "k", Window::Hour, T0 + 60_000), "another window length");
        assert!(c.release("g", "k", Window::Minute, T0 + 60_000));
        assert!(!c.release("g", "k", Window::Minute, T0 + 60_000), "floored at 0");
        assert!(!c.release("g", "k", Window::Minute, T0 - 60_000), "a forgotten window");
    }

    #[test]
    fn snapshots_are_sorted_and_restore_exactly() {
        let mut c = Counters::default();
        for (g, k) in [("b", "x"), ("a", "y"), ("a", "x")] {
            c.charge(g, &Arc::from(k), Window::Hour, T0);
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
