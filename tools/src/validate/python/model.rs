//! The facts rules read from a Python file ([`Model`]); `walker` extracts them.
//!
//! Dependencies run one way: `names` (import-resolved names) ← `types`, `literal`,
//! `imports`, `classes` ← `model` ← `uses` (the one reading of a `use()` call) ← `flow`,
//! `usage` ← `walker`.

use super::Span;

pub use super::classes::{Allowed, ClassInfo, DefaultKind, FieldInfo, FunctionInfo, ParamInfo};
pub use super::imports::Import;
pub use super::literal::Literal;

/// The model reference passed to `replicate.use()`.
#[derive(Debug, Clone, PartialEq)]
pub enum UseRef {
    /// A string literal, e.g. `"owner/name"` or `"owner/name:version"`.
    Literal {
        /// Its value.
        value: String,
    },
    /// An instance of a class defined in the file (`use(FluxDev())`), with its `name`
    /// attribute when that is a string literal.
    Class {
        /// The class name.
        class: String,
        /// The class's `name = "owner/name"` value.
        reference: Option<String>,
    },
    /// Something else (a variable, an f-string…).
    NotLiteral {
        /// Where the argument is written.
        span: Span,
    },
    /// No reference at all.
    Missing,
}

impl UseRef {
    /// The model reference when it is known statically.
    pub fn reference(&self) -> Option<&str> {
        match self {
            UseRef::Literal { value } => Some(value),
            UseRef::Class { reference, .. } => reference.as_deref(),
            _ => None,
        }
    }
}

/// A statement `x = replicate.use("…")` inside a function that can be moved verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct MovableUse {
    /// The assignment statement.
    pub stmt: Span,
    /// The start of the module-level statement (function or class) that encloses it.
    pub before: Span,
}

/// A `replicate.use(…)` call.
#[derive(Debug, Clone, PartialEq)]
pub struct UseCall {
    /// The call.
    pub span: Span,
    /// The reference argument.
    pub reference: UseRef,
    /// The innermost enclosing function (or `<lambda>`), if any.
    pub in_function: Option<String>,
    /// The module-level variable it is assigned to.
    pub binding: Option<String>,
    /// Set when the call is a simple assignment inside a function that can be hoisted.
    pub movable: Option<MovableUse>,
}

/// A keyword argument of a model call.
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordArg {
    /// The keyword.
    pub name: String,
    /// Where the keyword is written.
    pub span: Span,
    /// The value when it is a literal.
    pub value: Literal,
    /// Where the value is written.
    pub value_span: Span,
    /// The variable passed, when the value is a bare name (`seed=seed`).
    pub value_name: Option<String>,
    /// The value is a `str` whatever it holds: an f-string, a string literal joined with
    /// `+`, `"…".format(…)` or `"…".join(…)`.
    pub value_is_str: bool,
}

/// A call of a `use()`d model: `x(...)` or `x.create(...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCallSite {
    /// The module-level variable holding the model.
    pub binding: String,
    /// The called expression (`x` or `x.create`).
    pub span: Span,
    /// Keyword arguments.
    pub keywords: Vec<KeywordArg>,
    /// Whether `**kwargs` is passed (inputs cannot be known).
    pub has_splat: bool,
    /// The number of positional arguments.
    pub positional: usize,
    /// The module-level function (`run`) or method (`Predictor.predict`) it is in.
    pub function: Option<String>,
    /// Whether it runs only under a condition or in a loop within that function (inside an
    /// `if`, loop, `try`, `with`, `match`, conditional expression, `and`/`or`,
    /// comprehension, lambda or nested function).
    pub conditional: bool,
    /// What happens to the call's result, when the statement holding it says.
    pub result: CallResult,
}

/// `prediction.output()` inside a function: where a `create()`d prediction's output goes.
#[derive(Debug, Clone)]
pub struct OutputCall {
    /// The function it is in (as [`ModelCallSite::function`] names it).
    pub function: Option<String>,
    /// The name the prediction is read from.
    pub prediction: String,
    /// What the statement holding it does with the output.
    pub result: CallResult,
    /// The `prediction.output` part.
    pub span: Span,
}

/// What a statement does with a model call's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum CallResult {
    /// The call is a statement of its own: `model(...)` or `await model(...)`.
    Discarded {
        /// Whether the statement awaits it.
        awaited: bool,
    },
    /// `name = model(...)` (or `name = await model(...)`), one plain name.
    Bound(String),
    /// Used some other way (an argument, a return value, a subscript…).
    #[default]
    Other,
}

/// Everything rules need from a Python file.
#[derive(Debug, Default)]
pub struct Model {
    /// Every import.
    pub imports: Vec<Import>,
    /// Every `replicate.use()` call.
    pub use_calls: Vec<UseCall>,
    /// Every call of a module-level `use()` binding.
    pub model_calls: Vec<ModelCallSite>,
    /// Every argument-less `name.output()` call inside a function.
    pub output_calls: Vec<OutputCall>,
    /// Environment reads: qualified name and where.
    pub env_accesses: Vec<(String, Span)>,
    /// Uses of `cog.File`.
    pub file_type_uses: Vec<Span>,
    /// Module-level functions.
    pub functions: Vec<FunctionInfo>,
    /// Module-level classes.
    pub classes: Vec<ClassInfo>,
    /// Values of `use()`d models followed through each function.
    pub flow: super::flow::Flow,
}

/// The predict function and the parameters a caller passes it.
#[derive(Debug, Clone, Copy)]
pub struct PredictSignature<'m> {
    /// The function: module-level, or a class's `predict` method.
    pub function: &'m FunctionInfo,
    /// Its parameters, without a method's `self`.
    pub params: &'m [ParamInfo],
}

impl Model {
    /// The function cog.yaml's `predict: "file.py:NAME"` names — a module-level function
    /// `NAME`, else the `predict` method of a class `NAME` — with its parameters: the one
    /// place rules and local runs find `run()`'s signature.
    pub fn predict_signature(&self, name: &str) -> Option<PredictSignature<'_>> {
        if let Some(function) = self.function(name) {
            return Some(PredictSignature {
                function,
                params: &function.params,
            });
        }
        let function = self
            .class(name)?
            .methods
            .iter()
            .find(|m| m.name == "predict")?;
        let params = match function.params.split_first() {
            Some((first, rest)) if first.name == "self" => rest,
            _ => &function.params,
        };
        Some(PredictSignature { function, params })
    }

    /// A module-level class by name.
    pub fn class(&self, name: &str) -> Option<&ClassInfo> {
        self.classes.iter().find(|c| c.name == name)
    }

    /// A module-level function by name.
    pub fn function(&self, name: &str) -> Option<&FunctionInfo> {
        self.functions.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::PythonFile;

    fn param_names(source: &str, name: &str) -> Option<Vec<String>> {
        let py = PythonFile::parse("main.py", source);
        let signature = py.model.predict_signature(name)?;
        Some(signature.params.iter().map(|p| p.name.clone()).collect())
    }

    #[test]
    fn the_predict_signature_is_a_function_or_a_class_predict_method_without_self() {
        let function = "def run(prompt: str, seed: int = 1) -> str:\n    return prompt\n";
        assert_eq!(param_names(function, "run").unwrap(), ["prompt", "seed"]);
        let class =
            "class Predictor:\n    def predict(self, prompt: str) -> str:\n        return prompt\n";
        assert_eq!(param_names(class, "Predictor").unwrap(), ["prompt"]);
        assert_eq!(param_names(class, "run"), None);
    }
}
