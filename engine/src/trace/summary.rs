//! Outcome counts of a simulation, in total and per tool.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::eval::decision::Outcome;

/// Counts of outcomes for one tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolSummary {
    /// Calls made.
    pub calls: usize,
    /// Calls allowed.
    pub allowed: usize,
    /// Calls denied.
    pub denied: usize,
    /// Calls to hidden tools.
    pub hidden: usize,
    /// Calls refused by a rate limit.
    pub rate_limited: usize,
}

impl ToolSummary {
    pub(super) fn record(&mut self, outcome: Outcome) {
        self.calls += 1;
        match outcome {
            Outcome::Allow => self.allowed += 1,
            Outcome::Deny => self.denied += 1,
            Outcome::Hidden => self.hidden += 1,
            Outcome::RateLimited => self.rate_limited += 1,
        }
    }

    /// How many calls had this outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        match outcome {
            Outcome::Allow => self.allowed,
            Outcome::Deny => self.denied,
            Outcome::Hidden => self.hidden,
            Outcome::RateLimited => self.rate_limited,
        }
    }
}

/// Outcome counts of a simulation, in total and by tool (sorted by name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Calls made.
    pub calls: usize,
    /// Calls allowed.
    pub allowed: usize,
    /// Calls denied.
    pub denied: usize,
    /// Calls to hidden tools.
    pub hidden: usize,
    /// Calls refused by a rate limit.
    pub rate_limited: usize,
    /// The same counts for each tool.
    pub by_tool: BTreeMap<String, ToolSummary>,
}

impl Summary {
    /// Counts one decided call.
    pub fn record(&mut self, tool: &str, outcome: Outcome) {
        self.count(outcome);
        if let Some(t) = self.by_tool.get_mut(tool) {
            t.record(outcome);
        } else {
            let mut t = ToolSummary::default();
            t.record(outcome);
            self.by_tool.insert(tool.to_string(), t);
        }
    }

    /// Counts one decided call in the totals only.
    pub(super) fn count(&mut self, outcome: Outcome) {
        self.calls += 1;
        match outcome {
            Outcome::Allow => self.allowed += 1,
            Outcome::Deny => self.denied += 1,
            Outcome::Hidden => self.hidden += 1,
            Outcome::RateLimited => self.rate_limited += 1,
        }
    }

    /// The totals as a [`ToolSummary`].
    pub fn totals(&self) -> ToolSummary {
        ToolSummary {
            calls: self.calls,
            allowed: self.allowed,
            denied: self.denied,
            hidden: self.hidden,
            rate_limited: self.rate_limited,
        }
    }
}
