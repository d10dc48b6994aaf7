//! One walk over the module that extracts the facts rules read.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, Number, Parameters, Stmt, StmtFunctionDef, UnaryOp};
use ruff_text_size::Ranged;

use super::Span;
use super::types::TypeExpr;

/// Bare names treated as `typing.X` even when not imported (common in snippets).
const TYPING_BARE: &[&str] = &[
    "Any",
    "AsyncIterator",
    "Dict",
    "Iterator",
    "List",
    "Mapping",
    "Optional",
    "Union",
];

/// Qualified names that read the process environment.
const ENV_NAMES: &[&str] = &[
    "os.environ",
    "os.environb",
    "os.getenv",
    "os.getenvb",
    "os.putenv",
    "os.unsetenv",
];

/// Resolves local names through the module's imports.
#[derive(Debug, Default)]
pub(crate) struct Names {
    map: HashMap<String, String>,
}

impl Names {
    fn resolve(&self, id: &str) -> String {
        match self.map.get(id) {
            Some(q) => q.clone(),
            None if TYPING_BARE.contains(&id) => format!("typing.{id}"),
            None => id.to_string(),
        }
    }

    /// The qualified dotted name of a `Name` or `Attribute` chain.
    /// Linear in the chain's length (no recursion, one string).
    pub(crate) fn qualify(&self, expr: &Expr) -> Option<String> {
        let mut attrs: Vec<&str> = Vec::new();
        let mut cur = expr;
        while let Expr::Attribute(a) = cur {
            attrs.push(a.attr.id.as_str());
            cur = &a.value;
        }
        let Expr::Name(n) = cur else {
            return None;
        };
        let mut out = self.resolve(n.id.as_str());
        for attr in attrs.iter().rev() {
            out.push('.');
            out.push_str(attr);
        }
        Some(out)
    }

    pub(crate) fn qualify_dotted(&self, text: &str) -> String {
        match text.split_once('.') {
            Some((first, rest)) => format!("{}.{rest}", self.resolve(first)),
            None => self.resolve(text),
        }
    }
}

/// A literal value as written in the source (what PY019 can check).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `True`/`False`.
    Bool(bool),
    /// `None`.
    None,
    /// A list or tuple of literals.
    List(Vec<Literal>),
    /// Not a literal (a variable, a call…).
    Unknown,
}

impl Literal {
    fn from_expr(expr: &Expr) -> Literal {
        match expr {
            Expr::StringLiteral(s) => Literal::Str(s.value.to_str().to_string()),
            Expr::NumberLiteral(n) => match &n.value {
                Number::Int(i) => i.as_i64().map_or(Literal::Unknown, Literal::Int),
                Number::Float(f) => Literal::Float(*f),
                Number::Complex { .. } => Literal::Unknown,
            },
            Expr::BooleanLiteral(b) => Literal::Bool(b.value),
            Expr::NoneLiteral(_) => Literal::None,
            Expr::UnaryOp(u) if u.op == UnaryOp::USub => match Literal::from_expr(&u.operand) {
                Literal::Int(i) => Literal::Int(-i),
                Literal::Float(f) => Literal::Float(-f),
                _ => Literal::Unknown,
            },
            Expr::List(l) => Literal::List(l.elts.iter().map(Literal::from_expr).collect()),
            Expr::Tuple(t) => Literal::List(t.elts.iter().map(Literal::from_expr).collect()),
            _ => Literal::Unknown,
        }
    }
}

/// An `import` or `from … import …` statement (anywhere in the file).
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The dotted module: `os.path` for `import os.path`, `PIL` for `from PIL import Image`;
    /// empty for `from . import x`.
    pub module: String,
    /// Relative import level (0 for absolute).
    pub level: u32,
    /// Where the module name is written.
    pub span: Span,
}

impl Import {
    /// The top-level package: `os` for `os.path`.
    pub fn top(&self) -> &str {
        self.module.split('.').next().unwrap_or_default()
    }
}

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
}

/// A call of a `use()`d model: `x(...)` or `x.create(...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCall {
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
}

/// A parameter default.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultKind {
    /// No default.
    Missing,
    /// `= None`.
    None,
    /// `= Input(...)`, with its `default` when given.
    Input {
        /// The `default=` value.
        default: Option<Literal>,
    },
    /// Any other default.
    Value,
}

/// A function parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// The annotation.
    pub annotation: Option<TypeExpr>,
    /// The default.
    pub default: DefaultKind,
}

/// A function (module level, or a method).
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Where the `)` closing the parameters ends (where `-> T` would go).
    pub params_end: u32,
    /// The parameters (excluding `*args`/`**kwargs`).
    pub params: Vec<ParamInfo>,
    /// `*args`, `**kwargs` as written.
    pub varargs: Vec<(String, Span)>,
    /// The return annotation.
    pub returns: Option<TypeExpr>,
}

/// An annotated class attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// Its annotation.
    pub annotation: TypeExpr,
}

/// A module-level class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassInfo {
    /// Its name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The qualified names of its bases.
    pub bases: Vec<String>,
    /// Whether it derives (directly or through another class here) from a `BaseModel`.
    pub is_base_model: bool,
    /// Annotated attributes.
    pub fields: Vec<FieldInfo>,
    /// Methods.
    pub methods: Vec<FunctionInfo>,
    /// `name = "…"` style string attributes.
    pub string_attrs: Vec<(String, String)>,
}

/// Everything rules need from a Python file.
#[derive(Debug, Default)]
pub struct Model {
    /// Every import.
    pub imports: Vec<Import>,
    /// Every `replicate.use()` call.
    pub use_calls: Vec<UseCall>,
    /// Every call of a module-level `use()` binding.
    pub model_calls: Vec<ModelCall>,
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

impl Model {
    /// A module-level class by name.
    pub fn class(&self, name: &str) -> Option<&ClassInfo> {
        self.classes.iter().find(|c| c.name == name)
    }

    /// A module-level function by name.
    pub fn function(&self, name: &str) -> Option<&FunctionInfo> {
        self.functions.iter().find(|f| f.name == name)
    }
}

pub(crate) fn extract(module: &ModModule, _source: &str) -> (Model, super::usage::Usage) {
    let mut names = Names::default();
    let mut imports = ImportCollector {
        names: &mut names,
        imports: Vec::new(),
    };
    imports.visit_body(&module.body);
    let imports = imports.imports;

    let mut model = Model {
        imports,
        ..Model::default()
    };
    let mut bindings: HashMap<u32, String> = HashMap::new();
    for stmt in &module.body {
        match stmt {
            Stmt::FunctionDef(f) => model.functions.push(function_info(f, &names)),
            Stmt::ClassDef(c) => {
                let mut info = ClassInfo {
                    name: c.name.id.to_string(),
                    name_span: Span::from_range(c.name.range),
                    bases: Vec::new(),
                    is_base_model: false,
                    fields: Vec::new(),
                    methods: Vec::new(),
                    string_attrs: Vec::new(),
                };
                let bases: Vec<String> = c
                    .arguments
                    .iter()
                    .flat_map(|a| a.args.iter())
                    .filter_map(|b| names.qualify(b))
                    .collect();
                info.is_base_model = bases
                    .iter()
                    .any(|b| b == "BaseModel" || b.ends_with(".BaseModel"));
                for item in &c.body {
                    match item {
                        Stmt::AnnAssign(a) => {
                            if let Expr::Name(n) = &*a.target {
                                info.fields.push(FieldInfo {
                                    name: n.id.to_string(),
                                    span: Span::from_range(n.range),
                                    annotation: TypeExpr::from_expr(&a.annotation, &names),
                                });
                            }
                        }
                        Stmt::Assign(a) => {
                            if let ([Expr::Name(n)], Expr::StringLiteral(s)) =
                                (a.targets.as_slice(), &*a.value)
                            {
                                info.string_attrs
                                    .push((n.id.to_string(), s.value.to_str().to_string()));
                            }
                        }
                        Stmt::FunctionDef(f) => info.methods.push(function_info(f, &names)),
                        _ => {}
                    }
                }
                info.bases = bases;
                model.classes.push(info);
            }
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Expr::Call(call)) = (a.targets.as_slice(), &*a.value)
                    && names.qualify(&call.func).as_deref() == Some("replicate.use")
                {
                    bindings.insert(call.range().start().to_u32(), n.id.to_string());
                }
            }
            Stmt::AnnAssign(a) => {
                if let (Expr::Name(n), Some(value)) = (&*a.target, &a.value)
                    && let Expr::Call(call) = &**value
                    && names.qualify(&call.func).as_deref() == Some("replicate.use")
                {
                    bindings.insert(call.range().start().to_u32(), n.id.to_string());
                }
            }
            _ => {}
        }
    }
    resolve_base_models(&mut model.classes);

    let binding_names: HashSet<String> = bindings.values().cloned().collect();
    let mut walker = Walker {
        names: &names,
        classes: &model.classes,
        bindings: &bindings,
        binding_names: &binding_names,
        functions: Vec::new(),
        movable: HashMap::new(),
        current_top: Span::default(),
        use_calls: Vec::new(),
        model_calls: Vec::new(),
        env_accesses: Vec::new(),
        file_type_uses: Vec::new(),
    };
    for stmt in &module.body {
        walker.current_top = Span::from_range(stmt.range());
        walker.visit_stmt(stmt);
    }
    model.use_calls = walker.use_calls;
    model.model_calls = walker.model_calls;
    model.env_accesses = walker.env_accesses;
    model.file_type_uses = walker.file_type_uses;
    model.flow = super::flow::extract(module, &names, &model.classes);
    let usage = super::usage::extract(module, &names);
    (model, usage)
}

fn resolve_base_models(classes: &mut [ClassInfo]) {
    let bases: Vec<Vec<String>> = classes.iter().map(|c| c.bases.clone()).collect();
    loop {
        let models: HashSet<String> = classes
            .iter()
            .filter(|c| c.is_base_model)
            .map(|c| c.name.clone())
            .collect();
        let mut changed = false;
        for (class, bases) in classes.iter_mut().zip(&bases) {
            if !class.is_base_model && bases.iter().any(|b| models.contains(b)) {
                class.is_base_model = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

fn function_info(f: &StmtFunctionDef, names: &Names) -> FunctionInfo {
    let p: &Parameters = &f.parameters;
    let params = p
        .iter_non_variadic_params()
        .map(|pw| ParamInfo {
            name: pw.parameter.name.id.to_string(),
            span: Span::from_range(pw.parameter.name.range),
            annotation: pw
                .parameter
                .annotation
                .as_deref()
                .map(|a| TypeExpr::from_expr(a, names)),
            default: default_kind(pw.default.as_deref(), names),
        })
        .collect();
    let mut varargs = Vec::new();
    if let Some(v) = &p.vararg {
        varargs.push((format!("*{}", v.name.id), Span::from_range(v.range)));
    }
    if let Some(k) = &p.kwarg {
        varargs.push((format!("**{}", k.name.id), Span::from_range(k.range)));
    }
    FunctionInfo {
        name: f.name.id.to_string(),
        name_span: Span::from_range(f.name.range),
        params_end: p.range.end().to_u32(),
        params,
        varargs,
        returns: f.returns.as_deref().map(|r| TypeExpr::from_expr(r, names)),
    }
}

fn default_kind(default: Option<&Expr>, names: &Names) -> DefaultKind {
    match default {
        None => DefaultKind::Missing,
        Some(Expr::NoneLiteral(_)) => DefaultKind::None,
        Some(Expr::Call(call))
            if matches!(
                names.qualify(&call.func).as_deref(),
                Some("cog.Input" | "Input")
            ) =>
        {
            let keyword = call
                .arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "default"))
                .map(|k| &k.value);
            let value = keyword.or_else(|| call.arguments.args.first());
            DefaultKind::Input {
                default: value.map(Literal::from_expr),
            }
        }
        Some(_) => DefaultKind::Value,
    }
}

struct ImportCollector<'n> {
    names: &'n mut Names,
    imports: Vec<Import>,
}

impl<'a> Visitor<'a> for ImportCollector<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(i) => {
                for alias in &i.names {
                    let module = alias.name.id.to_string();
                    match &alias.asname {
                        Some(a) => {
                            self.names.map.insert(a.id.to_string(), module.clone());
                        }
                        None => {
                            let top = module.split('.').next().unwrap_or_default().to_string();
                            self.names.map.insert(top.clone(), top);
                        }
                    }
                    self.imports.push(Import {
                        module,
                        level: 0,
                        span: Span::from_range(alias.name.range),
                    });
                }
            }
            Stmt::ImportFrom(i) => {
                let module = i
                    .module
                    .as_ref()
                    .map(|m| m.id.to_string())
                    .unwrap_or_default();
                let span = i.module.as_ref().map_or(i.range, |m| m.range);
                if i.level == 0 {
                    for alias in &i.names {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name);
                        self.names
                            .map
                            .insert(local.id.to_string(), format!("{module}.{}", alias.name.id));
                    }
                }
                self.imports.push(Import {
                    module,
                    level: i.level,
                    span: Span::from_range(span),
                });
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }
}

struct Walker<'m> {
    names: &'m Names,
    classes: &'m [ClassInfo],
    bindings: &'m HashMap<u32, String>,
    binding_names: &'m HashSet<String>,
    functions: Vec<String>,
    movable: HashMap<u32, Span>,
    current_top: Span,
    use_calls: Vec<UseCall>,
    model_calls: Vec<ModelCall>,
    env_accesses: Vec<(String, Span)>,
    file_type_uses: Vec<Span>,
}

impl Walker<'_> {
    fn use_ref(&self, call: &ruff_python_ast::ExprCall) -> UseRef {
        let arg = call.arguments.args.first().or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == "ref"))
                .map(|k| &k.value)
        });
        match arg {
            None => UseRef::Missing,
            Some(Expr::StringLiteral(s)) => UseRef::Literal {
                value: s.value.to_str().to_string(),
            },
            Some(Expr::Call(inner))
                if inner.arguments.args.is_empty() && inner.arguments.keywords.is_empty() =>
            {
                let class = match &*inner.func {
                    Expr::Name(n) => self.classes.iter().find(|c| c.name == n.id.as_str()),
                    _ => None,
                };
                match class {
                    Some(class) => UseRef::Class {
                        class: class.name.clone(),
                        reference: class
                            .string_attrs
                            .iter()
                            .find(|(k, _)| k == "name")
                            .map(|(_, v)| v.clone()),
                    },
                    None => UseRef::NotLiteral {
                        span: Span::from_range(inner.range()),
                    },
                }
            }
            Some(other) => UseRef::NotLiteral {
                span: Span::from_range(other.range()),
            },
        }
    }

    fn model_call(&mut self, call: &ruff_python_ast::ExprCall) {
        let binding = match &*call.func {
            Expr::Name(n) if self.binding_names.contains(n.id.as_str()) => n.id.to_string(),
            Expr::Attribute(a) if a.attr.id.as_str() == "create" => match &*a.value {
                Expr::Name(n) if self.binding_names.contains(n.id.as_str()) => n.id.to_string(),
                _ => return,
            },
            _ => return,
        };
        let mut keywords = Vec::new();
        let mut has_splat = false;
        for k in &call.arguments.keywords {
            match &k.arg {
                Some(arg) => keywords.push(KeywordArg {
                    name: arg.id.to_string(),
                    span: Span::from_range(arg.range),
                    value: Literal::from_expr(&k.value),
                    value_span: Span::from_range(k.value.range()),
                }),
                None => has_splat = true,
            }
        }
        let positional = call.arguments.args.len();
        has_splat |= call.arguments.args.iter().any(Expr::is_starred_expr);
        self.model_calls.push(ModelCall {
            binding,
            span: Span::from_range(call.func.range()),
            keywords,
            has_splat,
            positional,
        });
    }
}

impl<'a> Visitor<'a> for Walker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.visit_decorator(d);
                }
                self.visit_parameters(&f.parameters);
                if let Some(r) = &f.returns {
                    self.visit_annotation(r);
                }
                self.functions.push(f.name.id.to_string());
                self.visit_body(&f.body);
                self.functions.pop();
            }
            Stmt::Assign(a) if !self.functions.is_empty() => {
                if let ([Expr::Name(_)], Expr::Call(call)) = (a.targets.as_slice(), &*a.value)
                    && matches!(call.arguments.args.first(), Some(Expr::StringLiteral(_)))
                {
                    self.movable
                        .insert(call.range().start().to_u32(), Span::from_range(a.range));
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(l) => {
                if let Some(p) = &l.parameters {
                    self.visit_parameters(p);
                }
                self.functions.push("<lambda>".into());
                self.visit_expr(&l.body);
                self.functions.pop();
            }
            Expr::Call(call) => {
                if self.names.qualify(&call.func).as_deref() == Some("replicate.use") {
                    let start = call.range().start().to_u32();
                    let in_function = self.functions.last().cloned();
                    let movable = match (&in_function, self.movable.get(&start)) {
                        (Some(name), Some(stmt)) if name != "<lambda>" => Some(MovableUse {
                            stmt: *stmt,
                            before: self.current_top,
                        }),
                        _ => None,
                    };
                    self.use_calls.push(UseCall {
                        span: Span::from_range(call.range()),
                        reference: self.use_ref(call),
                        binding: self.bindings.get(&start).cloned(),
                        in_function,
                        movable,
                    });
                } else {
                    self.model_call(call);
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Name(_) | Expr::Attribute(_) => {
                let Some(q) = self.names.qualify(expr) else {
                    // Not a plain chain (`f().a.b`): no prefix qualifies either, so visit
                    // the base once instead of re-qualifying every level (linear).
                    let mut cur = expr;
                    while let Expr::Attribute(a) = cur {
                        cur = &a.value;
                    }
                    self.visit_expr(cur);
                    return;
                };
                if ENV_NAMES.contains(&q.as_str()) {
                    self.env_accesses.push((q, Span::from_range(expr.range())));
                } else if q == "cog.File" {
                    self.file_type_uses.push(Span::from_range(expr.range()));
                } else {
                    // Every prefix of a qualified chain is itself a qualified chain: find
                    // the one that matters in `q` and walk down to it once (linear).
                    let Some(hit) = ENV_NAMES
                        .iter()
                        .copied()
                        .chain(["cog.File"])
                        .find(|n| q.starts_with(n) && q.as_bytes().get(n.len()) == Some(&b'.'))
                    else {
                        return;
                    };
                    let depth = q[hit.len()..].matches('.').count();
                    let mut cur = expr;
                    for _ in 0..depth {
                        if let Expr::Attribute(a) = cur {
                            cur = &a.value;
                        }
                    }
                    let span = Span::from_range(cur.range());
                    if hit == "cog.File" {
                        self.file_type_uses.push(span);
                    } else {
                        self.env_accesses.push((hit.to_string(), span));
                    }
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
