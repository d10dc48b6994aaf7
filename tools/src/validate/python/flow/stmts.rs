//! Statements of one function, in order: bindings, loops, returns, bare calls.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt, StmtAnnAssign, StmtAugAssign, StmtWith};
use ruff_text_size::Ranged;

use super::super::Span;
use super::module::use_call;
use super::walk::FnWalker;
use super::{FollowedValue, State, Use};

impl<'a> Visitor<'a> for FnWalker<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // Nested scopes are not analysed.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Assign(a) => {
                if let [Expr::Name(n)] = a.targets.as_slice()
                    && self.local_use(n.id.as_str(), &a.value)
                {
                    return;
                }
                if let ([Expr::Name(n)], Expr::List(l)) = (a.targets.as_slice(), &*a.value)
                    && self.lists.contains_key(n.id.as_str())
                {
                    let items = self.items(&l.elts);
                    if let Some(list) = self.lists.get_mut(n.id.as_str()) {
                        list.extend(items.into_iter().map(|(v, _)| v));
                    }
                    return;
                }
                let span = Span::from_range(a.value.range());
                let pairs: Option<&[Expr]> = match &*a.value {
                    Expr::Tuple(t) => Some(&t.elts),
                    Expr::List(l) => Some(&l.elts),
                    _ => None,
                };
                let targets_pairwise = pairs.is_some_and(|p| {
                    a.targets.iter().all(|t| match t {
                        Expr::Tuple(t) => same_shape(&t.elts, p),
                        Expr::List(l) => same_shape(&l.elts, p),
                        _ => false,
                    })
                });
                match pairs {
                    Some(values) if targets_pairwise => {
                        let vals: Vec<(Option<FollowedValue>, Span)> = values
                            .iter()
                            .map(|v| (self.value(v), Span::from_range(v.range())))
                            .collect();
                        for target in &a.targets {
                            let elts = match target {
                                Expr::Tuple(t) => &t.elts,
                                Expr::List(l) => &l.elts,
                                _ => continue,
                            };
                            for (e, (v, s)) in elts.iter().zip(&vals) {
                                self.bind(e, v.clone(), *s);
                            }
                        }
                    }
                    _ => {
                        let v = self.value(&a.value);
                        for target in &a.targets {
                            self.bind(target, v.clone(), span);
                        }
                    }
                }
            }
            Stmt::AnnAssign(a) => self.ann_assign(a),
            Stmt::AugAssign(a) => self.aug_assign(a),
            Stmt::For(f) => {
                let item = self.iterate(&f.iter);
                self.bind(&f.target, item, Span::from_range(f.iter.range()));
                self.visit_body(&f.body);
                self.visit_body(&f.orelse);
            }
            Stmt::Return(r) => self.returned(r.value.as_deref()),
            Stmt::Expr(e) => self.bare_expr(&e.value),
            Stmt::With(w) => self.with(w),
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        let _ = self.value(expr);
    }
}

impl FnWalker<'_> {
    /// `x: T = …` (or a local `replicate.use()`).
    fn ann_assign(&mut self, a: &StmtAnnAssign) {
        if let Some(value) = &a.value {
            if let Expr::Name(n) = &*a.target
                && self.local_use(n.id.as_str(), value)
            {
                return;
            }
            let v = self.value(value);
            self.bind(&a.target, v, Span::from_range(value.range()));
        }
    }

    /// `x += …`: items added to a tracked list, else `x` no longer holds what it held.
    fn aug_assign(&mut self, a: &StmtAugAssign) {
        if let (Expr::Name(n), Expr::List(l)) = (&*a.target, &*a.value)
            && self.lists.contains_key(n.id.as_str())
        {
            let items = self.items(&l.elts);
            if let Some(list) = self.lists.get_mut(n.id.as_str()) {
                list.extend(items.into_iter().map(|(v, _)| v));
            }
            return;
        }
        self.visit_expr(&a.value);
        self.bind(&a.target, None, Span::from_range(a.value.range()));
    }

    /// `return x`: a model's output returned as it is.
    fn returned(&mut self, value: Option<&Expr>) {
        if let Some(value) = value
            && let Some(v) = self.value(value)
            && v.state == State::Output
            && !v.pending
        {
            self.event(&v, Use::Return, Span::from_range(value.range()));
        }
    }

    /// An expression on its own line: a pending (async) output never awaited.
    fn bare_expr(&mut self, value: &Expr) {
        if let Some(v) = self.value(value)
            && v.pending
            && v.state != State::Model
        {
            self.event(&v, Use::NotAwaited, Span::from_range(value.range()));
        }
    }

    /// `with a as b:`: the context expressions read, their targets bound to nothing known.
    fn with(&mut self, w: &StmtWith) {
        for item in &w.items {
            self.visit_expr(&item.context_expr);
            if let Some(target) = &item.optional_vars {
                let span = Span::from_range(target.range());
                self.bind(target, None, span);
            }
        }
        self.visit_body(&w.body);
    }

    /// `name = replicate.use(...)` inside the function: a local model.
    fn local_use(&mut self, name: &str, value: &Expr) -> bool {
        let Some(model) = use_call(value, name, self.names, self.classes, Some(self.function))
        else {
            return false;
        };
        let index = self.flow.models.len();
        let async_in_sync = model.use_async == Some(true) && !self.is_async;
        let span = model.span;
        self.flow.models.push(model);
        let v = FollowedValue {
            model: index,
            state: State::Model,
            path: Vec::new(),
            pending: false,
            origin: None,
        };
        if async_in_sync {
            self.event(&v, Use::AsyncCallInSyncFunction, span);
        }
        if self.scope.trackable(name) {
            self.env.insert(name.to_string(), Some(v));
        } else {
            self.env.remove(name);
        }
        if let Expr::Call(c) = value {
            for arg in c.arguments.args.iter() {
                self.visit_expr(arg);
            }
        }
        true
    }
}

fn same_shape(targets: &[Expr], values: &[Expr]) -> bool {
    targets.len() == values.len()
        && !targets.iter().any(Expr::is_starred_expr)
        && !values.iter().any(Expr::is_starred_expr)
}

/// The names a comprehension target stores.
pub(super) fn targets_of(target: &Expr, out: &mut Vec<String>) {
    let mut stack = vec![target];
    while let Some(t) = stack.pop() {
        match t {
            Expr::Name(n) => out.push(n.id.as_str().to_owned()),
            Expr::Tuple(t) => stack.extend(t.elts.iter()),
            Expr::List(l) => stack.extend(l.elts.iter()),
            Expr::Starred(s) => stack.push(&s.value),
            _ => {}
        }
    }
}
