//! A cheap, linear pre-scan of a Python source that estimates how deep its syntax tree will
//! be, so that sources nested beyond [`NESTING_LIMIT`] are refused before the (recursive)
//! parser and tree walkers see them.
//!
//! The estimate is an upper bound of the expression depth: open brackets, plus, at every
//! bracket level, the operators, `.`, keywords that build nested nodes (`lambda`, `not`,
//! `await`, `if`/`else`…) and calls/subscripts chained since the last `,`, `;`, `:` or
//! statement end. Strings and comments are skipped.

/// How deep a Python expression may nest.
pub const NESTING_LIMIT: usize = 200;

/// Keywords that add a level to the tree of the expression they appear in (a `match`, not a
/// list search: it is asked for every name in the source).
fn is_nesting_keyword(word: &[u8]) -> bool {
    matches!(
        word,
        b"lambda" | b"not" | b"await" | b"and" | b"or" | b"if" | b"else" | b"in" | b"is" | b"yield"
    )
}

/// The byte offset where the estimated depth first exceeds `limit`, if it does.
pub(crate) fn too_deep(source: &str, limit: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    // Chain counters, one per open bracket level (index 0: the statement level).
    let mut chains: Vec<usize> = vec![0];
    let mut total = 0usize; // open brackets + the sum of `chains`
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if starts_trivia(b)
            && let Some(next) = skip_trivia(bytes, i)
        {
            i = next;
            continue;
        }
        match b {
            b'(' | b'[' | b'{' => {
                chains.push(0);
                total += 1;
            }
            b')' | b']' | b'}' if chains.len() > 1 => {
                let inner = chains.pop().unwrap_or_default();
                total -= inner + 1;
                // The closed bracket is a call/subscript/atom in the outer chain.
                if let Some(outer) = chains.last_mut() {
                    *outer += 1;
                    total += 1;
                }
            }
            b',' | b';' => reset_top(&mut chains, &mut total),
            b'\n' if chains.len() == 1 => reset_top(&mut chains, &mut total),
            // Digits after a `.` are a float, not an attribute.
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                bump(&mut chains, &mut total);
            }
            b'.' => {}
            b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'<' | b'>' | b'='
            | b'!' | b'~' => {
                // One binary operator (`**`, `==`, `//=`) counts once; a run of unary signs
                // (`----a`) nests one node per sign.
                let start = i;
                while bytes.get(i + 1).is_some_and(|c| is_operator(*c)) {
                    i += 1;
                }
                let run = &bytes[start..=i];
                let count = if run.iter().all(|c| matches!(c, b'+' | b'-' | b'~')) {
                    run.len()
                } else {
                    1
                };
                for _ in 0..count {
                    bump(&mut chains, &mut total);
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &bytes[start..i];
                if i < bytes.len() && matches!(bytes[i], b'"' | b'\'') && word.len() <= 3 {
                    continue; // a string prefix: f"…", rb'…'
                }
                if is_nesting_keyword(word) {
                    bump(&mut chains, &mut total);
                    if total > limit {
                        return Some(start);
                    }
                }
                continue;
            }
            _ => {}
        }
        if total > limit {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// How many compound-statement colons (at bracket level 0) one logical line may hold for
/// [`is_shallow`] (`if x: return lambda y: y` holds two).
const SHALLOW_COLONS_PER_LINE: usize = 4;

/// Whether `b` may start what [`skip_trivia`] skips (tested first: most bytes do not, and the
/// call costs more than the test).
fn starts_trivia(b: u8) -> bool {
    matches!(b, b'#' | b'"' | b'\'' | b'\\')
}

/// Past the comment, string or backslash escape starting at `i` (a comment ends before its
/// newline; a backslash continues a line or is stray); `None` when `bytes[i]` starts none.
fn skip_trivia(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i)? {
        b'#' => Some(
            bytes[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(bytes.len(), |n| i + n),
        ),
        b'"' | b'\'' => Some(skip_string(bytes, i)),
        b'\\' => Some(i + 2),
        _ => None,
    }
}

/// Whether the syntax tree of `source` is certainly at most about `limit` levels deep, in
/// expressions ([`too_deep`]) and in statements: no line is indented more than `limit`
/// columns (a nested block is indented at least one column more) and no logical line holds
/// more than a few colons outside brackets (`while a: while b: …` nests on one line).
/// Conservative: `false` only means "not known to be shallow".
pub(crate) fn is_shallow(source: &str, limit: usize) -> bool {
    if too_deep(source, limit).is_some() {
        return false;
    }
    let bytes = source.as_bytes();
    let (mut brackets, mut colons, mut column) = (0usize, 0usize, 0usize);
    let mut at_line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if at_line_start && brackets == 0 {
            if b == b' ' || b == b'\t' || b == b'\x0c' {
                column += 1;
                if column > limit {
                    return false;
                }
                i += 1;
                continue;
            }
            at_line_start = false;
        }
        if starts_trivia(b)
            && let Some(next) = skip_trivia(bytes, i)
        {
            i = next;
            continue;
        }
        match b {
            b'(' | b'[' | b'{' => brackets += 1,
            b')' | b']' | b'}' => brackets = brackets.saturating_sub(1),
            b':' if brackets == 0 => {
                colons += 1;
                if colons > SHALLOW_COLONS_PER_LINE {
                    return false;
                }
            }
            b'\n' if brackets == 0 => {
                (colons, column, at_line_start) = (0, 0, true);
            }
            _ => {}
        }
        i += 1;
    }
    true
}

fn is_operator(b: u8) -> bool {
    matches!(
        b,
        b'+' | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'@'
            | b'&'
            | b'|'
            | b'^'
            | b'<'
            | b'>'
            | b'='
            | b'!'
            | b'~'
    )
}

fn bump(chains: &mut [usize], total: &mut usize) {
    if let Some(top) = chains.last_mut() {
        *top += 1;
        *total += 1;
    }
}

fn reset_top(chains: &mut [usize], total: &mut usize) {
    if let Some(top) = chains.last_mut() {
        *total -= *top;
        *top = 0;
    }
}

/// The offset just past the string literal starting at `start` (a quote).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes.get(start + 1) == Some(&quote) && bytes.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\n' if !triple => return i, // unterminated: the parser reports it
            c if c == quote => {
                if !triple {
                    return i + 1;
                }
                if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                    return i + 3;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_trivia_names_exactly_the_bytes_skip_trivia_skips() {
        for b in 0..=u8::MAX {
            let bytes = [b, b'x', b'\n'];
            assert_eq!(
                starts_trivia(b),
                skip_trivia(&bytes, 0).is_some(),
                "byte {b}"
            );
        }
    }

    #[test]
    fn ordinary_code_is_shallow() {
        let src = "import replicate\n\nflux = replicate.use(\"a/b\")\n\n\
                   def run(prompt: str, n: int = 1) -> str:\n    x = [a.b.c(d) for d in range(n)]\n    \
                   y = {\"k\": (1 + 2) * 3, 'v': f\"{prompt}\"}  # ((((\n    \
                   return \"\"\"(((\n\"\"\" + str(x) + str(y)\n";
        assert_eq!(too_deep(src, 20), None);
        let long_list = format!("x = [{}]\n", "a.b, ".repeat(100_000));
        assert_eq!(too_deep(&long_list, 20), None);
        let many_lines = "x = a.b.c + d\n".repeat(100_000);
        let comparisons = format!("ok = {}\n", "a == 1 or ".repeat(60) + "a <= 2");
        assert_eq!(too_deep(&comparisons, NESTING_LIMIT), None);
        assert_eq!(too_deep(&many_lines, 20), None);
    }

    #[test]
    fn shallow_means_shallow_in_expressions_and_statements() {
        let ordinary = "import replicate\n\nflux = replicate.use(\"a/b\")\n\n\
                        def run(prompt: str, n: int = 1) -> str:\n    if n > 1:\n        \
                        return {\"a\": 1, \"b\": x[1:2]}[\"a:b:c:d:e\"]  # ::::::\n    \
                        return flux(prompt=prompt)\n";
        assert!(is_shallow(ordinary, 24));
        let calls = format!("x = {}x{}\n", "f(".repeat(30), ")".repeat(30));
        let blocks: String = (0..30)
            .map(|i| format!("{}if x:\n", " ".repeat(i)))
            .chain(["pass\n".to_string()])
            .collect();
        let one_line = format!("{}pass\n", "while a: ".repeat(30));
        let continued = format!("{}pass\n", "while a: \\\n".repeat(30));
        for src in [calls, blocks, one_line, continued] {
            assert!(!is_shallow(&src, 24), "{}", &src[..30]);
        }
    }

    #[test]
    fn every_kind_of_deep_nesting_is_caught() {
        let calls = format!("{}x{}", "f(".repeat(1000), ")".repeat(1000));
        let lambdas = format!("g = {}0\n", "lambda: ".repeat(1000));
        let sums = format!("x = {}a\n", "a+".repeat(1000));
        let attrs = format!("x = a{}\n", ".b".repeat(1000));
        let methods = format!("x = a{}\n", ".b()".repeat(1000));
        let nots = format!("x = {}a\n", "not ".repeat(1000));
        let unary = format!("x = {}a\n", "-".repeat(1000));
        for src in [calls, lambdas, sums, attrs, methods, nots, unary] {
            assert!(too_deep(&src, NESTING_LIMIT).is_some(), "{}", &src[..40]);
        }
    }
}
