//! Suggest: a starter policy from a tool list.
