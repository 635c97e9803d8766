//! The JSON Schema (draft 2020-12) of policy.json.
