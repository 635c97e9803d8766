//! Argument paths (`args.<name>(.<name>)*`, `policy-format.md` §4).

/// Checks a path `args.<seg>(.<seg>)*`, returning the segments after `args`.
pub fn parse_path(path: &str) -> Result<Vec<String>, String> {
    let Some(rest) = path.strip_prefix("args.") else {
        return Err(if path == "args" {
            "path `args` names no argument: write `args.<name>`".to_string()
        } else {
            format!("path `{path}` must start with `args.`")
        });
    };
    let segs: Vec<String> = rest.split('.').map(str::to_string).collect();
    if segs.iter().any(String::is_empty) {
        return Err(format!("path `{path}` has an empty segment"));
    }
    Ok(segs)
}
