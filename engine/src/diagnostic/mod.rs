//! What every located problem shares: the "did you mean" suggestion for a misspelt name.

pub mod fuzzy;
