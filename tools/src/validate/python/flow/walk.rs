//! The walk over each function: values of `use()`d models through assignments, calls,
//! `await`, subscripts and loops, and the events where they are used.

use std::collections::HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    Comprehension, Expr, ExprAttribute, ExprCall, ExprSubscript, Number, UnaryOp,
};
use ruff_text_size::Ranged;

use super::super::Span;
use super::super::classes::ClassInfo;
use super::super::names::Names;
use super::scope::Scope;
use super::stmts::targets_of;
use super::{Event, Flow, FollowedValue, State, Step, Use};

/// Nested expressions deeper than this are not followed (their events are dropped).
const MAX_DEPTH: usize = 64;

/// What a call layer calls.
enum Callee {
    Model(usize),
    Create(usize),
    Output(FollowedValue),
}

pub(super) struct FnWalker<'a> {
    pub(super) names: &'a Names,
    pub(super) classes: &'a [ClassInfo],
    pub(super) flow: &'a mut Flow,
    pub(super) function: usize,
    pub(super) is_async: bool,
    pub(super) module_models: &'a HashMap<String, usize>,
    pub(super) scope: Scope,
    /// Followed locals; `None` shadows a module-level model (comprehension variables).
    pub(super) env: HashMap<String, Option<FollowedValue>>,
    /// List accumulators (see `lists`) and the followed values put in them so far.
    pub(super) lists: HashMap<String, Vec<FollowedValue>>,
    pub(super) depth: usize,
    /// Non-zero while visiting the arguments of a call we do not follow: a coroutine handed
    /// on (`asyncio.run(model(…))`) may well be run, so no finding there.
    pub(super) handed_off: usize,
}

impl FnWalker<'_> {
    pub(super) fn event(&mut self, value: &FollowedValue, kind: Use, span: Span) {
        self.flow.events.push(Event {
            value: value.clone(),
            kind,
            span,
            function: self.function,
        });
    }

    fn lookup(&self, name: &str) -> Option<FollowedValue> {
        if let Some(v) = self.env.get(name) {
            return v.clone();
        }
        if self.scope.is_local(name) {
            return None;
        }
        self.module_models.get(name).map(|&model| FollowedValue {
            model,
            state: State::Model,
            path: Vec::new(),
            pending: false,
            origin: None,
        })
    }

    pub(super) fn use_async(&self, model: usize) -> Option<bool> {
        self.flow.models.get(model).and_then(|m| m.use_async)
    }

    /// Evaluates an expression once, recording events; `None` when not followed.
    pub(super) fn value(&mut self, expr: &Expr) -> Option<FollowedValue> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let out = match expr {
            Expr::Name(n) => self.lookup(n.id.as_str()),
            Expr::Attribute(_) | Expr::Subscript(_) | Expr::Call(_) => self.chain(expr),
            Expr::Await(a) => self.await_(&a.value, Span::from_range(a.range)),
            Expr::Named(n) => {
                let v = self.value(&n.value);
                self.bind(&n.target, v.clone(), Span::from_range(n.value.range()));
                v
            }
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_) => {
                self.comprehension(expr);
                None
            }
            Expr::Lambda(_) => None,
            other => {
                visitor::walk_expr(self, other);
                None
            }
        };
        self.depth -= 1;
        out
    }

    /// A postfix chain `base.a[0](...).b`, evaluated innermost first without recursion
    /// along the chain.
    fn chain(&mut self, expr: &Expr) -> Option<FollowedValue> {
        if let Expr::Call(c) = expr
            && self.grow(c)
        {
            return None;
        }
        let mut layers: Vec<&Expr> = Vec::new();
        let mut base = expr;
        loop {
            let inner = match base {
                Expr::Attribute(a) => &a.value,
                Expr::Subscript(s) => &s.value,
                Expr::Call(c) => &c.func,
                _ => break,
            };
            layers.push(base);
            base = inner;
        }
        layers.reverse();
        let mut val = self.value(base);
        let mut callee: Option<Callee> = None;
        let mut i = 0;
        while i < layers.len() {
            let next_is_call = matches!(layers.get(i + 1), Some(Expr::Call(_)));
            match layers[i] {
                Expr::Attribute(a) => {
                    let v = val.take();
                    i = self.attribute(a, v, next_is_call, &layers, i, &mut callee);
                }
                Expr::Subscript(s) => {
                    let v = val.take();
                    self.visit_expr(&s.slice);
                    val = self.subscript(v, &s.slice, s);
                }
                Expr::Call(c) => {
                    let target = callee.take().or_else(|| match val.take() {
                        Some(v) if v.state == State::Model && !v.pending => {
                            Some(Callee::Model(v.model))
                        }
                        _ => None,
                    });
                    val = self.call(c, target);
                }
                _ => val = None,
            }
            i += 1;
        }
        val
    }

    /// One attribute layer; returns the index of the last layer it consumed.
    fn attribute(
        &mut self,
        a: &ExprAttribute,
        v: Option<FollowedValue>,
        next_is_call: bool,
        layers: &[&Expr],
        i: usize,
        callee: &mut Option<Callee>,
    ) -> usize {
        let Some(v) = v else { return i };
        let name = a.attr.as_str();
        if v.pending {
            self.event(&v, Use::NotAwaited, Span::from_range(a.value.range()));
            return i;
        }
        match v.state {
            State::Model if name == "create" && next_is_call => {
                *callee = Some(Callee::Create(v.model));
                i
            }
            State::Prediction if name == "output" => {
                if next_is_call {
                    *callee = Some(Callee::Output(v));
                } else {
                    self.event(&v, Use::OutputNotCalled, Span::from_range(a.range));
                }
                i
            }
            State::Output => {
                let mut names = Vec::new();
                let mut last = i;
                let mut end = a.range.end().to_u32();
                for (j, layer) in layers.iter().enumerate().skip(i) {
                    let Expr::Attribute(attr) = layer else { break };
                    if matches!(layers.get(j + 1), Some(Expr::Call(_))) {
                        break;
                    }
                    names.push(attr.attr.as_str().to_owned());
                    end = attr.range.end().to_u32();
                    last = j;
                }
                if !names.is_empty() {
                    let kind = Use::Attribute {
                        names,
                        base_end: a.value.range().end().to_u32(),
                        end,
                    };
                    self.event(&v, kind, Span::from_range(a.attr.range));
                }
                last
            }
            _ => i,
        }
    }

    fn subscript(
        &mut self,
        v: Option<FollowedValue>,
        slice: &Expr,
        s: &ExprSubscript,
    ) -> Option<FollowedValue> {
        let mut v = v?;
        if v.state != State::Output {
            return None;
        }
        if v.pending {
            self.event(&v, Use::NotAwaited, Span::from_range(s.value.range()));
            return None;
        }
        let span = Span::from_range(s.range);
        let step = match slice {
            Expr::StringLiteral(s) => Step::Key(s.value.to_str().to_string()),
            Expr::NumberLiteral(n) => match &n.value {
                Number::Int(i) => Step::Index(i.as_i64()),
                _ => Step::Index(None),
            },
            Expr::UnaryOp(u) if u.op == UnaryOp::USub => match &*u.operand {
                Expr::NumberLiteral(n) => match &n.value {
                    Number::Int(i) => Step::Index(i.as_i64().map(|i| -i)),
                    _ => Step::Index(None),
                },
                _ => Step::Index(None),
            },
            Expr::Slice(_) => Step::Slice,
            _ => Step::Index(None),
        };
        self.event(&v, Use::Subscript { step: step.clone() }, span);
        v.path.push(step);
        Some(v)
    }

    fn call(&mut self, c: &ExprCall, callee: Option<Callee>) -> Option<FollowedValue> {
        let span = Span::from_range(c.range());
        let (model, state, from) = match callee {
            Some(Callee::Model(m)) => (m, State::Output, None),
            Some(Callee::Create(m)) => (m, State::Prediction, None),
            Some(Callee::Output(p)) => (p.model, State::Output, Some(p)),
            None => {
                self.plain_args(c);
                return None;
            }
        };
        if from.is_none() {
            self.model_args(model, c);
        }
        let is_async = self.use_async(model)?;
        let v = FollowedValue {
            model,
            state,
            path: Vec::new(),
            pending: is_async,
            origin: is_async.then_some(span),
        };
        if is_async && !self.is_async && from.is_none() && self.handed_off == 0 {
            self.event(&v, Use::AsyncCallInSyncFunction, span);
        }
        Some(v)
    }

    fn model_args(&mut self, callee: usize, c: &ExprCall) {
        for arg in &c.arguments.args {
            self.visit_expr(arg);
        }
        for kw in &c.arguments.keywords {
            if let Some(arg) = &kw.arg
                && self.list_input(callee, arg.as_str(), &kw.value)
            {
                continue;
            }
            let v = self.value(&kw.value);
            let (Some(v), Some(arg)) = (v, &kw.arg) else {
                continue;
            };
            let span = Span::from_range(kw.value.range());
            if v.state != State::Output {
                continue;
            }
            if v.pending {
                self.event(&v, Use::NotAwaited, span);
            } else {
                let keyword = arg.id.as_str().to_owned();
                self.event(&v, Use::ModelInput { callee, keyword }, span);
            }
        }
    }

    /// Arguments of a call we do not follow; `p.output` passed as a callback is fine.
    fn plain_args(&mut self, c: &ExprCall) {
        let args = c
            .arguments
            .args
            .iter()
            .chain(c.arguments.keywords.iter().map(|k| &k.value));
        self.handed_off += 1;
        for arg in args {
            match arg {
                Expr::Attribute(a) if a.attr.as_str() == "output" => self.visit_expr(&a.value),
                other => self.visit_expr(other),
            }
        }
        self.handed_off -= 1;
    }

    fn await_(&mut self, operand: &Expr, span: Span) -> Option<FollowedValue> {
        let v = self.value(operand)?;
        if v.pending {
            return Some(FollowedValue {
                pending: false,
                origin: None,
                ..v
            });
        }
        let model = self.flow.models.get(v.model)?;
        let sync = model.use_async == Some(false) && model.streaming == Some(false);
        if sync && v.state != State::Model {
            let operand_start = operand.range().start().to_u32();
            self.event(&v, Use::AwaitSync { operand_start }, span);
        }
        None
    }

    fn comprehension(&mut self, expr: &Expr) {
        let (generators, elts): (&[Comprehension], Vec<&Expr>) = match expr {
            Expr::ListComp(c) => (&c.generators, vec![&c.elt]),
            Expr::SetComp(c) => (&c.generators, vec![&c.elt]),
            Expr::Generator(c) => (&c.generators, vec![&c.elt]),
            Expr::DictComp(c) => (
                &c.generators,
                c.key.as_deref().into_iter().chain([&*c.value]).collect(),
            ),
            _ => return,
        };
        let mut saved: Vec<(String, Option<Option<FollowedValue>>)> = Vec::new();
        for generator in generators {
            self.iterate(&generator.iter);
            let mut stored = Vec::new();
            targets_of(&generator.target, &mut stored);
            for name in stored {
                let old = self.env.insert(name.clone(), None);
                saved.push((name, old));
            }
            for cond in &generator.ifs {
                self.visit_expr(cond);
            }
        }
        for e in elts {
            self.visit_expr(e);
        }
        for (name, old) in saved.into_iter().rev() {
            match old {
                Some(v) => self.env.insert(name, v),
                None => self.env.remove(&name),
            };
        }
    }

    /// `for … in expr`: evaluates `expr`, records the iteration, returns the item.
    pub(super) fn iterate(&mut self, iter: &Expr) -> Option<FollowedValue> {
        let mut v = self.value(iter)?;
        let span = Span::from_range(iter.range());
        if v.state != State::Output {
            return None;
        }
        if v.pending {
            self.event(&v, Use::NotAwaited, span);
            return None;
        }
        self.event(&v, Use::Iterate, span);
        v.path.push(Step::Item);
        Some(v)
    }

    pub(super) fn bind(&mut self, target: &Expr, v: Option<FollowedValue>, value_span: Span) {
        match target {
            Expr::Name(n) => {
                let name = n.id.as_str();
                if self.scope.trackable(name) && v.is_some() {
                    self.env.insert(name.to_string(), v);
                } else {
                    self.env.remove(name);
                }
            }
            Expr::Tuple(_) | Expr::List(_) => {
                let elts: &[Expr] = match target {
                    Expr::Tuple(t) => &t.elts,
                    Expr::List(l) => &l.elts,
                    _ => &[],
                };
                let v = v.filter(|v| v.state == State::Output && !v.pending);
                if let Some(v) = &v {
                    self.event(v, Use::Iterate, value_span);
                }
                let starred = elts.iter().any(Expr::is_starred_expr);
                for (i, e) in elts.iter().enumerate() {
                    let item = v.clone().filter(|_| !starred).map(|mut v| {
                        v.path.push(Step::Index(i64::try_from(i).ok()));
                        v
                    });
                    self.bind(e, item, value_span);
                }
            }
            Expr::Starred(s) => self.bind(&s.value, None, value_span),
            Expr::Subscript(s) => {
                self.visit_expr(&s.value);
                self.visit_expr(&s.slice);
            }
            Expr::Attribute(a) => self.visit_expr(&a.value),
            _ => {}
        }
    }
}
