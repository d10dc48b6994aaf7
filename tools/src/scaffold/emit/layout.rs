//! Line width: an expression on one line when it fits in [`WIDTH`] columns, else broken the
//! way ruff and black break it — a call or a list one item per line with a trailing comma, a
//! comprehension with its `for` on its own line — recursively, so only what does not fit
//! breaks. Atoms (names, literals) never break.

use super::expr::{Arg, Expr, comp_body};
use super::python;

/// The line width of the generated code (ruff's and black's default).
pub(crate) const WIDTH: usize = 88;

/// One logical line: `prefix` + `expr` + `suffix` at `indent` spaces, as physical lines.
pub(crate) fn lines(indent: usize, prefix: &str, expr: &Expr, suffix: &str) -> Vec<String> {
    let pad = " ".repeat(indent);
    let flat = format!("{pad}{prefix}{expr}{suffix}");
    if flat.len() <= WIDTH {
        return vec![flat];
    }
    match expr {
        Expr::Call(callee, args) if !args.is_empty() => bracketed(
            indent,
            &format!("{prefix}{callee}("),
            args,
            &format!("){suffix}"),
        ),
        Expr::Todo { text, about } => {
            let (callee, args) = Expr::todo_call(text, about.as_deref());
            bracketed(
                indent,
                &format!("{prefix}{callee}("),
                &args,
                &format!("){suffix}"),
            )
        }
        Expr::List(items) if !items.is_empty() => {
            let args: Vec<Arg> = items.iter().cloned().map(Arg::Pos).collect();
            bracketed(indent, &format!("{prefix}["), &args, &format!("]{suffix}"))
        }
        Expr::Comp { elt, loops, list } => {
            let (open, close) = if *list { ("[", "]") } else { ("", "") };
            if !*list {
                // A bare generator is the only argument of a call: its lines as they are.
                return comp_lines(indent, prefix, elt, loops, suffix);
            }
            let mut out = vec![format!("{pad}{prefix}{open}")];
            out.extend(comp_lines(indent + 4, "", elt, loops, ""));
            out.push(format!("{pad}{close}{suffix}"));
            out
        }
        Expr::Join { sep, items } => {
            let mut out = vec![format!("{pad}{prefix}{}.join(", python::string(sep))];
            out.extend(lines(indent + 4, "", items, ""));
            out.push(format!("{pad}){suffix}"));
            out
        }
        _ => vec![flat],
    }
}

/// `open` + one argument per line (trailing comma) + `close`.
fn bracketed(indent: usize, open: &str, args: &[Arg], close: &str) -> Vec<String> {
    let pad = " ".repeat(indent);
    let mut out = vec![format!("{pad}{open}")];
    for arg in args {
        out.extend(lines(indent + 4, &arg.prefix(), arg.expr(), ","));
    }
    out.push(format!("{pad}{close}"));
    out
}

/// A comprehension's body: on one line when it fits, else the element, then each `for`.
fn comp_lines(
    indent: usize,
    prefix: &str,
    elt: &Expr,
    loops: &[(String, Expr)],
    suffix: &str,
) -> Vec<String> {
    let pad = " ".repeat(indent);
    let one = format!("{pad}{prefix}{}{suffix}", comp_body(elt, loops));
    if one.len() <= WIDTH {
        return vec![one];
    }
    let mut out = lines(indent, prefix, elt, "");
    for (i, (var, iter)) in loops.iter().enumerate() {
        let end = if i + 1 == loops.len() { suffix } else { "" };
        out.extend(lines(indent, &format!("for {var} in "), iter, end));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scaffold::emit::expr::Sym;

    fn call(args: &[(&str, &str)]) -> Expr {
        Expr::call(
            Expr::name("flux"),
            args.iter()
                .map(|(k, v)| Arg::Kw((*k).into(), Expr::name(*v)))
                .collect(),
        )
    }

    #[test]
    fn a_short_call_stays_on_one_line() {
        let e = call(&[("prompt", "prompt"), ("seed", "seed")]);
        assert_eq!(
            lines(4, "out = ", &e, ""),
            ["    out = flux(prompt=prompt, seed=seed)"]
        );
    }

    #[test]
    fn a_long_call_breaks_one_argument_per_line_with_a_trailing_comma() {
        let e = call(&[
            ("prompt", "a_rather_long_prompt_variable"),
            ("negative_prompt", "another_long_negative_prompt"),
            ("seed", "seed"),
        ]);
        let out = lines(4, "flux_output = ", &e, "");
        assert_eq!(
            out,
            [
                "    flux_output = flux(",
                "        prompt=a_rather_long_prompt_variable,",
                "        negative_prompt=another_long_negative_prompt,",
                "        seed=seed,",
                "    )",
            ]
        );
        assert!(out.iter().all(|l| l.len() <= WIDTH));
    }

    #[test]
    fn only_the_part_that_does_not_fit_breaks() {
        let urls = Expr::name("frames_outputs").each("file", Expr::name("file").url(), false);
        let join = Expr::Join {
            sep: ",".into(),
            items: Box::new(urls),
        };
        let todo = Expr::Todo {
            text: "x".repeat(90),
            about: Some(Box::new(Expr::name("frames"))),
        };
        let e = Expr::call(
            Expr::Sym(Sym::Output),
            vec![
                Arg::Kw("urls".into(), join),
                Arg::Kw("video".into(), todo),
                Arg::Kw("n".into(), Expr::name("n")),
            ],
        );
        let out = lines(4, "return ", &e, "");
        assert_eq!(out[0], "    return Output(");
        assert_eq!(
            out[1],
            "        urls=\",\".join(get_path_url(file) for file in frames_outputs),"
        );
        assert_eq!(out[2], "        video=TODO(");
        assert_eq!(out[3], format!("            \"{}\",", "x".repeat(90)));
        assert_eq!(out[4], "            frames,");
        assert_eq!(out[5], "        ),");
        assert_eq!(out[6], "        n=n,");
        assert_eq!(out[7], "    )");
    }

    #[test]
    fn a_long_comprehension_puts_its_for_on_its_own_line() {
        let create = Expr::call(
            Expr::Attr(Box::new(Expr::name("quick_caption")), "create".into()),
            vec![
                Arg::Kw("image".into(), Expr::name("image")),
                Arg::Kw("style".into(), Expr::name("style")),
            ],
        );
        let values = Expr::List(vec![
            Expr::str("plain"),
            Expr::str("poetic"),
            Expr::str("technical"),
        ]);
        let e = values.each("style", create, true);
        assert_eq!(
            lines(4, "captions_predictions = ", &e, ""),
            [
                "    captions_predictions = [",
                "        quick_caption.create(image=image, style=style)",
                "        for style in [\"plain\", \"poetic\", \"technical\"]",
                "    ]",
            ]
        );
    }
}
