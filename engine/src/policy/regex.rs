//! The `regex` operand: compiled with bounded size and bounded matching work.

use regex_lite::Regex;

/// Largest compiled regex program accepted for one pattern, in bytes (regex-lite's size limit).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Total compiled size of all the `regex` patterns of one policy, in bytes. Each pattern is
/// charged an upper bound of its compiled size (within 4× of it, at least 512 bytes), so tens of
/// thousands of ordinary patterns fit; a policy over the budget is invalid, with the error at the
/// first pattern that does not fit.
pub const POLICY_REGEX_BUDGET: usize = 32 << 20;

/// Longest string (in bytes) a `regex` condition matches against. A longer argument cannot be
/// decided within the time a gateway can spend on one call: the condition resolves fail closed
/// (see [`CompiledCondition::when_undecided`](crate::eval::condition::CompiledCondition::when_undecided)), so the call is denied.
pub const MAX_SUBJECT_BYTES: usize = 128 * 1024;

/// Matching takes time proportional to compiled size × subject length: a pattern larger than
/// 2 KiB compiled gets a proportionally shorter maximum subject, `MATCH_WORK / size` bytes.
pub const MATCH_WORK: usize = 1 << 28;

/// Compiled sizes tried in turn: each attempt stops as soon as the program outgrows its limit, so
/// finding a pattern's size costs little more than compiling it once.
const SIZE_STEPS: [usize; 7] = [512, 2 << 10, 8 << 10, 32 << 10, 128 << 10, 512 << 10, REGEX_SIZE_LIMIT];

/// A compiled `regex` pattern with what bounds its cost.
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: Regex,
    /// An upper bound of the compiled program's size, in bytes (what the policy budget is charged).
    pub size: usize,
    /// Longest subject matched, in bytes.
    pub max_subject: usize,
    /// Case-insensitive somewhere (`(?i)`): subjects are case-folded for the two non-ASCII
    /// letters whose Unicode simple case folding is ASCII (KELVIN SIGN → `k`, LONG S → `s`).
    fold: bool,
}

impl Pattern {
    /// Whether the pattern matches anywhere in `subject`; `None` when the subject is longer than
    /// [`Pattern::max_subject`] (undecided).
    pub fn is_match(&self, subject: &str) -> Option<bool> {
        if subject.len() > self.max_subject {
            return None;
        }
        if self.fold && subject.contains(['\u{212A}', '\u{17F}']) {
            let folded: String = subject
                .chars()
                .map(|c| match c {
                    '\u{212A}' => 'k',
                    '\u{17F}' => 's',
                    c => c,
                })
                .collect();
            return Some(self.regex.is_match(&folded));
        }
        Some(self.regex.is_match(subject))
    }
}

/// Compiles a `regex` pattern: RE2-style syntax, matched in linear time (no backtracking).
///
/// The engine uses `regex-lite` (small enough for the npm package and the browser app), whose
/// character classes and case folding are ASCII-only. Where that would silently change a match —
/// Unicode classes such as `\p{L}`, or `(?i)` over non-ASCII letters, written as themselves or as
/// escapes (`\x{e9}`, `\u00E9`), or class ranges reaching beyond ASCII — the pattern is rejected
/// with a message saying what to write instead, so a policy never matches differently than its
/// author expects. The two non-ASCII letters that Unicode folds onto ASCII letters (KELVIN SIGN
/// `K` and LONG S `ſ`) are folded in the subject instead, so `(?i)kill` still matches `KILL`.
pub fn compile_regex(pattern: &str) -> Result<Pattern, String> {
    compile_regex_within(pattern, REGEX_SIZE_LIMIT)
}

/// [`compile_regex`] with a smaller size limit (what is left of a policy's budget); `Err` mentions
/// "exceeded size limit" when the pattern needs more.
pub fn compile_regex_within(pattern: &str, limit: usize) -> Result<Pattern, String> {
    let fold = has_case_insensitive_flag(pattern);
    if fold && let Some(problem) = case_fold_problem(pattern) {
        return Err(problem);
    }
    let limit = limit.min(REGEX_SIZE_LIMIT);
    let mut last_err = None;
    for step in SIZE_STEPS.iter().map(|s| (*s).min(limit)) {
        match regex_lite::RegexBuilder::new(pattern).size_limit(step).build() {
            Ok(regex) => {
                let max_subject = MAX_SUBJECT_BYTES.min(MATCH_WORK / step.max(1));
                return Ok(Pattern { regex, size: step, max_subject, fold });
            }
            // Only a size error is worth retrying with a larger limit.
            Err(e) if e.to_string().contains("size limit") && step < limit => {}
            Err(e) => {
                last_err = Some(e);
                break;
            }
        }
    }
    let detail =
        last_err.map_or_else(|| "compiled regex exceeded size limit".to_string(), |e| first_line(&e.to_string()));
    Err(if detail.contains("Unicode") || pattern.contains("\\p") || pattern.contains("\\P") {
        format!(
            "`regex` pattern does not compile: {detail} (Unicode classes such as `\\p{{L}}` are not supported: \
             use explicit ranges, e.g. `[a-zA-ZÀ-ɏ]`)"
        )
    } else {
        format!("`regex` pattern does not compile: {detail}")
    })
}

/// Whether a pattern turns on case-insensitive matching (`(?i)`, `(?is)`, `(?i:…)`, …).
fn has_case_insensitive_flag(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(i, _)| {
        pattern.get(i + 2..).is_some_and(|rest| {
            rest.chars().take_while(|c| *c != ')' && *c != ':').take_while(|c| *c != '-').any(|c| c == 'i')
        })
    })
}

/// A letter with another case (or any alphabetic character) outside ASCII: `(?i)` would need
/// Unicode case folding to treat it as its author expects.
fn needs_unicode_folding(c: char) -> bool {
    !c.is_ascii()
        && (c.is_alphabetic() || c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c)))
}

/// In a case-insensitive pattern, the first non-ASCII letter (literal or escaped) or class range
/// with a non-ASCII end: regex-lite would fold neither.
fn case_fold_problem(pattern: &str) -> Option<String> {
    let mut it = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    // The last single character of a class and whether a `-` followed it.
    let mut prev: Option<char> = None;
    let mut dash = false;
    while let Some(c) = it.next() {
        let atom = match c {
            '\\' => match it.next() {
                Some(k @ ('x' | 'u' | 'U')) => {
                    let digits: String = if it.peek() == Some(&'{') {
                        it.next();
                        let d: String = it.by_ref().take_while(|c| *c != '}').take(16).collect();
                        d
                    } else {
                        let n = match k {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut d = String::new();
                        while d.len() < n && it.peek().is_some_and(char::is_ascii_hexdigit) {
                            d.extend(it.next());
                        }
                        d
                    };
                    u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32)
                }
                // `\d`, `\w`, `\b`, …: ASCII-only classes and assertions; other escapes are literal.
                Some(e) if e.is_ascii_alphanumeric() => None,
                e => e,
            },
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                prev = None;
                dash = false;
                if it.peek() == Some(&'^') {
                    it.next();
                }
                continue;
            }
            '[' if in_class && it.peek() == Some(&':') => {
                // `[:alpha:]`: ASCII classes.
                for c in it.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
                prev = None;
                continue;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                continue;
            }
            '-' if in_class && prev.is_some() && !dash => {
                dash = true;
                class_start = false;
                continue;
            }
            c => Some(c),
        };
        class_start = false;
        if let Some(a) = atom
            && needs_unicode_folding(a)
        {
            return Some(format!(
                "`regex` pattern uses `(?i)` with the non-ASCII letter `{a}`: case-insensitive matching is ASCII-only \
                 here; list both cases instead, e.g. `[{}{}]`",
                a.to_lowercase(),
                a.to_uppercase()
            ));
        }
        if in_class {
            if dash
                && let (Some(lo), Some(hi)) = (prev, atom)
                && (!lo.is_ascii() || !hi.is_ascii())
            {
                return Some(format!(
                    "`regex` pattern uses `(?i)` with the range `{}-{}` beyond ASCII: case-insensitive matching is \
                     ASCII-only here; drop `(?i)` and list the ranges of both cases",
                    lo.escape_default(),
                    hi.escape_default()
                ));
            }
            prev = if dash { None } else { atom };
            dash = false;
        }
    }
    None
}

fn first_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(": ")
}
