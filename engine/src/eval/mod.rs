//! Deciding calls: compiled conditions ([`condition`]), fixed-window counters ([`limit`]), the
//! decision record ([`decision`]), the evaluator and its steps in order ([`evaluate`]) and
//! `tools/list` filtering ([`tools`]).

pub mod condition;
pub mod decision;
pub mod evaluate;
pub mod limit;
pub mod tools;
