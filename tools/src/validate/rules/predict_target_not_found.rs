use crate::validate::project::parse_predict;
use crate::validate::rule::{Context, Finding, Findings, Location, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that `predict` has the form `file.py:function`, that the file exists and that
    /// it defines the function (or a class of that name).
    ///
    /// ## Why is this bad?
    /// The runtime imports the file and looks the function up when the model loads; a wrong
    /// target fails every prediction.
    ///
    /// ## Example
    /// ```yaml
    /// predict: "main.py:predict"   # main.py defines `run`
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// predict: "main.py:run"
    /// ```
    pub(crate) static COG004 = {
        code: "COG004",
        name: "predict-target-not-found",
        severity: Error,
        cites: ["cog"],
        check: check,
    };
}

fn check(ctx: &Context<'_>, out: &mut Findings) {
    let Some(Ok(config)) = ctx.project.cog.as_ref().map(|c| &c.config) else {
        return;
    };
    let Some(predict) = &config.predict else {
        return;
    };
    let at = Location::new("cog.yaml", predict.line, predict.column);
    let Some(target) = parse_predict(&predict.value) else {
        out.push(Finding::new(
            at,
            format!(
                "`predict: {:?}` is not of the form `file.py:function`",
                predict.value
            ),
            "Write the relative path of the Python file, a colon and the function name, \
             e.g. `predict: \"main.py:run\"`",
        ));
        return;
    };
    let Some(py) = ctx.python() else {
        out.push(Finding::new(
            at,
            format!("`predict` names {}, which does not exist", target.file),
            format!(
                "Create {} defining `{}`, or point `predict` at the file that does",
                target.file, target.function
            ),
        ));
        return;
    };
    let defined =
        py.model.function(&target.function).is_some() || py.model.class(&target.function).is_some();
    if !defined {
        // Functions the parser recovered without a name are not listed.
        let mut functions: Vec<&str> = Vec::new();
        for f in &py.model.functions {
            let name = f.name.trim();
            if !name.is_empty() && !functions.contains(&name) {
                functions.push(name);
            }
        }
        let hint = match functions.as_slice() {
            [] => String::new(),
            names if names.len() > 10 => format!(
                " (it defines: {}, … and {} more)",
                names[..10].join(", "),
                names.len() - 10
            ),
            names => format!(" (it defines: {})", names.join(", ")),
        };
        out.push(Finding::new(
            at,
            format!(
                "{} has no module-level function `{}`{hint}",
                target.file, target.function
            ),
            format!(
                "Define `def {}(...)` at module level in {}, or fix the name in `predict`",
                target.function, target.file
            ),
        ));
    }
}
