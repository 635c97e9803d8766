//! "Did you mean" suggestions from a small edit distance (as Cedar's `fuzzy_match.rs`).

/// Levenshtein distance between two strings, in characters, case-insensitive.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
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

/// The closest candidate to `word`, if it is close enough to be a plausible typo
/// (distance ≤ max(1, len/3), or equal after removing `-`/`_` and case).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let squash = |s: &str| -> String {
        s.chars().filter(|c| *c != '-' && *c != '_' && *c != ' ').flat_map(char::to_lowercase).collect()
    };
    let word_squashed = squash(word);
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let d = if squash(c) == word_squashed { 0 } else { edit_distance(word, c) };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
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
    }
}
