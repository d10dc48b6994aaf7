//! A small data-flow layer: inside each function, follow values produced by `use()`d
//! models — `x = model(...)`, `await`, `p = model.create(...)`, `p.output()`, `for c in …`,
//! `y[0]`, `y["k"]`, tuple unpacking, re-assignment — and record how they are used.
//!
//! It knows no schema: a value is a model plus the steps taken from its output
//! (`["k"]`, `[0]`, iteration). Rules resolve those steps against the fetched schema.
//! A name is followed only when the function binds it exactly once and never hands it to
//! code we cannot see (an unknown call, a container, a closure, a mutation): no finding is
//! better than a false one. Nested functions and lambdas are not analysed.

mod lists;
mod module;
mod scope;
mod stmts;
mod walk;

use ruff_python_ast::ModModule;

use super::Span;
use super::classes::ClassInfo;
use super::names::Names;

/// A `replicate.use()` result bound to a name (module level or inside a function).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowModel {
    /// The variable.
    pub name: String,
    /// The model reference when it is a literal (or a class with a literal `name`).
    pub reference: Option<String>,
    /// `streaming=` when literal (absent: `Some(false)`).
    pub streaming: Option<bool>,
    /// `use_async=` when literal (absent: `Some(false)`).
    pub use_async: Option<bool>,
    /// The `use()` call.
    pub span: Span,
    /// The function whose body holds the `use()` call, if any.
    pub function: Option<usize>,
}

/// A function analysed (module level, or a method of a module-level class).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowFunction {
    /// Its name.
    pub name: String,
    /// Its class, for methods.
    pub class: Option<String>,
    /// `async def`.
    pub is_async: bool,
}

/// One step from a model's output to a value derived from it.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `["key"]`.
    Key(String),
    /// `[n]` with an integer literal (negative allowed), or another non-string index.
    Index(Option<i64>),
    /// `[a:b]`.
    Slice,
    /// An element of a `for` loop, comprehension or unpacking.
    Item,
}

/// What a followed value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The `use()`d model itself.
    Model,
    /// A prediction from `model.create(...)`.
    Prediction,
    /// The model's output (or part of it, after the steps).
    Output,
}

/// A followed value.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowedValue {
    /// Index into [`Flow::models`].
    pub model: usize,
    /// What it is.
    pub state: State,
    /// Steps taken from the output.
    pub path: Vec<Step>,
    /// An un-awaited coroutine of an async model (`model(...)` with `use_async=True`).
    pub pending: bool,
    /// The call that made it, when it is pending: where `await` belongs.
    pub origin: Option<Span>,
}

/// How a followed value is used.
#[derive(Debug, Clone, PartialEq)]
pub enum Use {
    /// `value.a.b` (the attribute names in order; a trailing method call is left out).
    Attribute {
        /// The names.
        names: Vec<String>,
        /// Where the base value ends (the first `.`).
        base_end: u32,
        /// Where the last attribute ends.
        end: u32,
    },
    /// `value[...]`.
    Subscript {
        /// The step.
        step: Step,
    },
    /// `for x in value`, a comprehension over it, or `a, b = value`.
    Iterate,
    /// Passed as `keyword=value` to a call of another model.
    ModelInput {
        /// Index into [`Flow::models`] of the called model.
        callee: usize,
        /// The keyword.
        keyword: String,
    },
    /// An item of a list passed as `keyword=[…]` (a literal, or a local list it was
    /// appended to) to a call of another model.
    ModelInputItem {
        /// Index into [`Flow::models`] of the called model.
        callee: usize,
        /// The keyword.
        keyword: String,
        /// The keyword's value (the list literal, or the list's name).
        list: Span,
    },
    /// `return value`.
    Return,
    /// `prediction.output` read without calling it.
    OutputNotCalled,
    /// An async model's coroutine used as if it were the result (or dropped) unawaited.
    NotAwaited,
    /// `await` on something of a sync model.
    AwaitSync {
        /// Where the awaited operand starts.
        operand_start: u32,
    },
    /// A call of an async model (or its `create`) inside a non-async function.
    AsyncCallInSyncFunction,
}

/// One use of a followed value.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The value used.
    pub value: FollowedValue,
    /// How.
    pub kind: Use,
    /// Where (the expression of the value, or the attribute).
    pub span: Span,
    /// Index into [`Flow::functions`].
    pub function: usize,
}

/// Everything the flow layer found in a file.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Flow {
    /// Every followed `use()` binding.
    pub models: Vec<FlowModel>,
    /// Every analysed function.
    pub functions: Vec<FlowFunction>,
    /// Every use of a followed value, in source order per function.
    pub events: Vec<Event>,
}

impl Flow {
    /// The function of an event.
    pub fn function(&self, event: &Event) -> Option<&FlowFunction> {
        self.functions.get(event.function)
    }

    /// The model of a value.
    pub fn model(&self, value: &FollowedValue) -> Option<&FlowModel> {
        self.models.get(value.model)
    }
}

pub(crate) fn extract(module: &ModModule, names: &Names, classes: &[ClassInfo]) -> Flow {
    module::extract(module, names, classes)
}
