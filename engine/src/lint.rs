//! Lint: warnings for a valid policy against a pasted tool list.
