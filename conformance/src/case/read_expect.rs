//! Reading what an HTTP step expects of its reply, and what it captures from it.

use regex::Regex;

use crate::case::format;
use crate::case::read::Reader;
use crate::case::{Action, Capture, Check, Expect, JsonCheck, JsonType, Outcome};
use crate::problem::Pos;
use crate::yaml::{Node, NodeValue};

impl Reader {
    pub(super) fn expect(
        &mut self,
        node: Option<&Node>,
        action: &Action,
        step_at: Pos,
    ) -> Option<Expect> {
        let mut expect = Expect {
            status: 200,
            outcome: match action {
                Action::Call { .. } => Outcome::Success,
                Action::Fetch { .. } => Outcome::Any,
            },
            error_at: None,
            json: Vec::new(),
            content_type: None,
            pdf: false,
            body_contains: None,
        };
        let Some(node) = node else {
            return Some(expect);
        };
        let fields = self.fields(node, "`expect`", &format::EXPECT)?;
        if let Some(error) = fields.get("error") {
            let name = self.string(error, "`error`")?;
            expect.error_at = Some(error.at);
            match vlens_openapi::vlens().error_code(&name) {
                Some(code) => {
                    expect.status = code.http_status;
                    expect.outcome = Outcome::Error {
                        name,
                        code: code.code,
                    };
                }
                None => {
                    let message = format!(
                        "unknown error `{name}`{}",
                        crate::lint::errors_hint(&name, action)
                    );
                    self.problem(error.at, message);
                }
            }
        }
        if let Some(success) = fields.get("success") {
            if fields.get("error").is_some() {
                self.problem(
                    success.at,
                    "`success` and `error` exclude each other".to_owned(),
                );
            }
            expect.outcome = if self.boolean(Some(success), "`success`", true) {
                Outcome::Success
            } else {
                Outcome::Any
            };
        }
        if let Some(status) = fields.get("status") {
            match self
                .integer(status, "`status`")
                .and_then(|n| u16::try_from(n).ok())
            {
                Some(code) if (100..600).contains(&code) => expect.status = code,
                _ => self.problem(status.at, "`status` must be an HTTP status".to_owned()),
            }
            // A non-2xx status without an explicit outcome: the envelope is an error, any code.
            if !(200..300).contains(&expect.status) && fields.get("error").is_none() {
                if fields.get("success").is_some() {
                    self.problem(
                        status.at,
                        format!("status {} is not a success", expect.status),
                    );
                }
                expect.outcome = Outcome::Any;
            }
        }
        if let (Action::Fetch { .. }, Outcome::Error { name, .. }) = (action, &expect.outcome)
            && expect.status == 200
        {
            self.problem(
                step_at,
                format!("a `fetch` step can expect transport errors only, not `{name}`"),
            );
        }
        expect.content_type = fields
            .get("content_type")
            .and_then(|n| self.string(n, "`content_type`"));
        expect.pdf = self.boolean(fields.get("pdf"), "`pdf`", false);
        expect.body_contains = fields.get("body_contains").and_then(|n| self.tnode(n));
        if let Some(json) = fields.get("json") {
            let NodeValue::Map(entries) = &json.value else {
                self.problem(json.at, "`json` maps JSON pointers to checks".to_owned());
                return Some(expect);
            };
            for (pointer, check) in entries {
                if !(pointer.is_empty() || pointer.starts_with('/')) {
                    self.problem(
                        check.at,
                        format!("`{pointer}` is not a JSON pointer (it starts with `/`)"),
                    );
                    continue;
                }
                for (check, at) in self.checks(check) {
                    expect.json.push(JsonCheck {
                        pointer: pointer.clone(),
                        at,
                        check,
                    });
                }
            }
        }
        Some(expect)
    }

    fn checks(&mut self, node: &Node) -> Vec<(Check, Pos)> {
        match &node.value {
            NodeValue::String(text) if text == "exists" => vec![(Check::Exists, node.at)],
            NodeValue::String(text) if text == "absent" => vec![(Check::Absent, node.at)],
            NodeValue::String(text) if text == "null-or-absent" => {
                vec![(Check::NullOrAbsent, node.at)]
            }
            NodeValue::Map(_) => {
                let Some(fields) = self.fields(node, "a JSON check", &format::CHECK) else {
                    return Vec::new();
                };
                let mut checks = Vec::new();
                if let Some(equals) = fields.get("equals")
                    && let Some(expected) = self.tnode(equals)
                {
                    checks.push((Check::Equals(expected), equals.at));
                }
                if let Some(contains) = fields.get("contains")
                    && let Some(expected) = self.tnode(contains)
                {
                    checks.push((Check::Contains(expected), contains.at));
                }
                if let Some(excludes) = fields.get("excludes")
                    && let Some(expected) = self.tnode(excludes)
                {
                    checks.push((Check::Excludes(expected), excludes.at));
                }
                if let Some(matches) = fields.get("matches")
                    && let Some(pattern) = self.string(matches, "`matches`")
                {
                    match Regex::new(&pattern) {
                        Ok(regex) => checks.push((Check::Matches(regex), matches.at)),
                        Err(error) => self.problem(matches.at, format!("bad regex: {error}")),
                    }
                }
                if let Some(kind) = fields.get("type")
                    && let Some(name) = self.string(kind, "`type`")
                {
                    match JsonType::NAMES.iter().find(|(known, _)| *known == name) {
                        Some((_, json_type)) => checks.push((Check::Type(*json_type), kind.at)),
                        None => self.problem(
                            kind.at,
                            format!(
                                "unknown type `{name}` (null, boolean, number, integer, string, \
                                 array, object)"
                            ),
                        ),
                    }
                }
                if let Some(exists) = fields.get("exists") {
                    let check = if self.boolean(Some(exists), "`exists`", true) {
                        Check::Exists
                    } else {
                        Check::Absent
                    };
                    checks.push((check, exists.at));
                }
                if let Some(absent) = fields.get("absent")
                    && self.boolean(Some(absent), "`absent`", true)
                {
                    checks.push((Check::Absent, absent.at));
                }
                if let Some(length) = fields.get("length")
                    && let Some(n) = self.integer(length, "`length`")
                {
                    match usize::try_from(n) {
                        Ok(n) => checks.push((Check::Length(n), length.at)),
                        Err(_) => {
                            self.problem(length.at, format!("`length` must be 0 or more, not {n}"))
                        }
                    }
                }
                if checks.is_empty() && self.problems.is_empty() {
                    self.problem(node.at, "an empty JSON check".to_owned());
                }
                checks
            }
            // Any other value is shorthand for `equals`.
            _ => match self.tnode(node) {
                Some(expected) => vec![(Check::Equals(expected), node.at)],
                None => Vec::new(),
            },
        }
    }

    pub(super) fn captures(&mut self, node: Option<&Node>) -> Vec<Capture> {
        let Some(node) = node else {
            return Vec::new();
        };
        let NodeValue::Map(entries) = &node.value else {
            self.problem(
                node.at,
                "`capture` maps variable names to JSON pointers".to_owned(),
            );
            return Vec::new();
        };
        let mut captures = Vec::new();
        for (name, spec) in entries {
            let (pointer, secret) = match &spec.value {
                NodeValue::String(pointer) => (pointer.clone(), false),
                NodeValue::Map(_) => {
                    let Some(fields) = self.fields(spec, "a capture", &format::CAPTURE) else {
                        continue;
                    };
                    let Some(pointer) = fields
                        .get("pointer")
                        .and_then(|p| self.string(p, "`pointer`"))
                    else {
                        self.problem(spec.at, "a capture needs `pointer`".to_owned());
                        continue;
                    };
                    (
                        pointer,
                        self.boolean(fields.get("secret"), "`secret`", false),
                    )
                }
                _ => {
                    self.problem(spec.at, "a capture is a JSON pointer".to_owned());
                    continue;
                }
            };
            if !(pointer.is_empty() || pointer.starts_with('/')) {
                self.problem(spec.at, format!("`{pointer}` is not a JSON pointer"));
                continue;
            }
            let secret = secret || crate::redact::is_secret_pointer(&pointer);
            captures.push(Capture {
                name: name.clone(),
                at: spec.key_at.unwrap_or(spec.at),
                pointer,
                secret,
            });
        }
        captures
    }
}
