//! The answer for one call: outcome, deciding rule, reason, explanation and counters.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use smol_str::SmolStr;

use crate::policy::{Op, Window};

/// What happens to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Forward the call.
    Allow,
    /// Refused by a rule, by the default, or because no policy is attached.
    Deny,
    /// The tool is hidden: absent from `tools/list` and refused.
    Hidden,
    /// A quota is exhausted for the current window.
    RateLimited,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 4] = [Outcome::Allow, Outcome::Deny, Outcome::Hidden, Outcome::RateLimited];

    /// The outcome as the Decision JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
            Outcome::Hidden => "hidden",
            Outcome::RateLimited => "rate_limited",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One evaluated condition of the deciding entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explain {
    /// The condition's path, e.g. `args.amount`.
    pub path: SmolStr,
    /// The operator.
    pub op: Op,
    /// The condition's value (shared with the compiled policy: an explanation copies no operand).
    pub expected: Arc<Value>,
    /// The argument's value, `null` when absent.
    pub actual: Value,
    /// Whether the condition held.
    pub holds: bool,
}

/// A counter's state after a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterState {
    /// Counter name.
    pub counter: SmolStr,
    /// Caller identity.
    pub grant: SmolStr,
    /// The counter's window.
    pub window: Window,
    /// Start of the window the call fell in (Unix ms, UTC).
    pub window_start_ms: u64,
    /// Calls charged in that window, after this call.
    pub used: u64,
    /// The limit entry's maximum.
    pub max: u64,
}

/// Which charge an allowed decision made: assigned by [`crate::Engine::evaluate`] so that
/// [`crate::Engine::release`] gives its quota back at most once. Not part of the Decision's JSON.
/// One word: the engine's id (20 bits) and the charge's sequence number in it (44 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reservation(std::num::NonZeroU64);

impl Reservation {
    const SEQ_BITS: u32 = 44;

    /// The reservation of charge `seq` (from 1, below 2^44) of engine `engine` (below 2^20);
    /// `None` out of range.
    pub fn new(engine: u64, seq: u64) -> Option<Reservation> {
        if engine >= 1 << (64 - Self::SEQ_BITS) || seq >= 1 << Self::SEQ_BITS {
            return None;
        }
        std::num::NonZeroU64::new((engine << Self::SEQ_BITS) | seq).map(Reservation)
    }

    /// The engine that charged.
    pub fn engine(self) -> u64 {
        self.0.get() >> Self::SEQ_BITS
    }

    /// The charge's sequence number in that engine.
    pub fn seq(self) -> u64 {
        self.0.get() & ((1 << Self::SEQ_BITS) - 1)
    }
}

/// The decision for one `tools/call` (shape of `interfaces.md` § Decision).
///
/// Its strings are [`SmolStr`]s: up to 23 bytes stored inline, longer ones shared with the
/// compiled policy. Making a decision copies short names and shares long ones, so the usual
/// decision touches few reference counts (an `Arc` clone is an atomic operation; with `Arc<str>`
/// fields an allowed call with 4 limits made ~11 of them, and as many again when dropped).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decision {
    /// allow | deny | hidden | rate_limited.
    pub outcome: Outcome,
    /// Rule id (`""` for allow, `(no policy)`, `(hidden)`, `(default deny)`, or a pointer-like id).
    pub rule: SmolStr,
    /// Pointer to the deciding policy entry, `null` when no entry decided.
    pub pointer: Option<SmolStr>,
    /// The entry's `on_deny`, or the default message (`""` for allow).
    pub message: SmolStr,
    /// Milliseconds until the refusing window ends (rate_limited only).
    pub retry_after_ms: Option<u64>,
    /// The conditions evaluated for the deciding entry.
    pub explain: Vec<Explain>,
    /// The state after this call of every counter that applied to it.
    pub counters: Vec<CounterState>,
    /// The charge an allowed decision made (`None` for refusals, `check`, `finish`, and copies
    /// read back from JSON). Bookkeeping, not part of the decision: never serialised, and ignored
    /// by `==`.
    #[serde(skip)]
    pub reservation: Option<Reservation>,
}

impl PartialEq for Decision {
    fn eq(&self, other: &Self) -> bool {
        self.outcome == other.outcome
            && self.rule == other.rule
            && self.pointer == other.pointer
            && self.message == other.message
            && self.retry_after_ms == other.retry_after_ms
            && self.explain == other.explain
            && self.counters == other.counters
    }
}

impl Decision {
    /// True when the call may be forwarded.
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allow
    }

    /// The text a gateway returns to the agent for a refused call: `[POLICY DENIED] <message>`.
    pub fn denial_text(&self) -> String {
        format!("[POLICY DENIED] {}", self.message)
    }

    /// The JSON-RPC `result` a gateway answers a refused call with
    /// (`{"content":[{"type":"text","text":"[POLICY DENIED] …"}],"isError":true}`).
    pub fn denial_result(&self) -> Value {
        serde_json::json!({
            "content": [ { "type": "text", "text": self.denial_text() } ],
            "isError": true
        })
    }
}
