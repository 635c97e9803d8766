//! "Did you mean" suggestions from a small edit distance (as Cedar's `fuzzy_match.rs`).
//!
//! Names come from untrusted documents (a pasted tool list, a policy, a trace) and can be
//! megabytes long, so the work is bounded: words and candidates longer than [`MAX_NAME_CHARS`]
//! get no suggestion, candidates whose length alone rules them out are skipped without a
//! distance, and one lookup spends at most [`MAX_CELLS`] cells of the distance table in total.

/// Longest word or candidate (in characters) compared. Keys, operators and tool names that people
/// mistype are far shorter; anything longer is not a typo of a short name.
pub const MAX_NAME_CHARS: usize = 64;

/// Most edit-distance table cells one [`did_you_mean`] call computes (a few milliseconds of work
/// at worst, whatever the number of candidates). Candidates after the budget runs out are skipped.
pub const MAX_CELLS: usize = 1 << 20;

/// Levenshtein distance between two strings, in characters, case-insensitive.
///
/// Quadratic in the lengths: callers bound them (as [`did_you_mean`] does).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    distance(&a, &b)
}

fn distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// Lowercased characters of `s`, or `None` when it is longer than [`MAX_NAME_CHARS`] (checked
/// before any copy: a 1 MB name costs one bounded scan).
fn short_lower(s: &str) -> Option<Vec<char>> {
    if s.len() > MAX_NAME_CHARS * 4 || s.chars().nth(MAX_NAME_CHARS).is_some() {
        return None;
    }
    Some(s.chars().flat_map(char::to_lowercase).collect())
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo
/// (distance ≤ max(1, len/3), or equal after removing `-`/`_`/` ` and case).
///
/// Bounded work: see the module documentation.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let squash = |s: &[char]| -> Vec<char> { s.iter().copied().filter(|c| !matches!(c, '-' | '_' | ' ')).collect() };
    let word_lower = short_lower(word)?;
    let word_squashed = squash(&word_lower);
    let limit = (word.chars().count() / 3).max(1);
    let mut cells_left = MAX_CELLS;
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let Some(c_lower) = short_lower(c) else { continue };
        let d = if squash(&c_lower) == word_squashed {
            0
        } else {
            // The distance is at least the difference in lengths: no table needed to rule it out.
            if c_lower.len().abs_diff(word_lower.len()) > limit {
                continue;
            }
            let cells = (c_lower.len() + 1) * (word_lower.len() + 1);
            if cells > cells_left {
                break;
            }
            cells_left -= cells;
            distance(&word_lower, &c_lower)
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The help text for a misspelt `word`: "did you mean `x`?" with the closest candidate
/// ([`did_you_mean`]), or `None`.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(word, candidates).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("gte", "gte"), 0);
    }

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(did_you_mean("deny-if", ["require", "deny_if", "limits"]), Some("deny_if"));
        assert_eq!(did_you_mean("gte_", ["gt", "gte", "lt"]), Some("gte"));
        assert_eq!(did_you_mean("Deny", ["allow", "deny"]), Some("deny"));
        assert_eq!(did_you_mean("limit", ["require", "deny_if", "limits"]), Some("limits"));
        assert_eq!(did_you_mean("banana", ["require", "deny_if", "limits"]), None);
        assert_eq!(did_you_mean("DENY_IF", ["deny-if"]), Some("deny-if"));
    }

    #[test]
    fn a_megabyte_name_gets_no_suggestion_and_costs_one_scan() {
        let huge = "a".repeat(1 << 20);
        let near = format!("{huge}b");
        assert_eq!(did_you_mean(&huge, [near.as_str(), "a"]), None);
        assert_eq!(did_you_mean("aa", [huge.as_str(), "ab"]), Some("ab"));
        let candidates: Vec<String> = (0..20).map(|i| format!("{huge}{i}")).collect();
        assert_eq!(did_you_mean(&huge, candidates.iter().map(String::as_str)), None);
    }

    #[test]
    fn a_hundred_thousand_candidates_stay_within_the_cell_budget() {
        let names: Vec<String> = (0..100_000).map(|i| format!("tool_number_{i:06}_with_a_long_suffix_x")).collect();
        let word = |i: usize| format!("tool_number_{i:06}_with_a_long_suffix_y");
        assert_eq!(did_you_mean(&word(0), names.iter().map(String::as_str)), Some(names[0].as_str()));
        // Every candidate has the word's length, so each needs a full table: the search stops when
        // the budget runs out instead of running 100 000 quadratic distances, and the last
        // candidate (the closest one) is never reached.
        let found = did_you_mean(&word(99_999), names.iter().map(String::as_str));
        assert_ne!(found, Some(names[99_999].as_str()));
        assert_eq!(
            did_you_mean(&word(99_999), names[99_500..].iter().map(String::as_str)),
            Some(names[99_999].as_str())
        );
    }
}
