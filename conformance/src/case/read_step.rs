//! Reading steps: HTTP steps (`operation` or `fetch`) with their expectations and captures,
//! and the steps whose meaning depends on the target (`otp`, `wait`, `portal`).

use std::time::Duration;

use crate::case::format;
use crate::case::read::{Fields, Reader};
use crate::case::{
    Action, ApiKeyChoice, Body, HttpStep, Identity, Lifetime, OtpPurpose, OtpRecipient, OtpStep,
    PortalStep, Retry, Snapshot, SpecKind, Step, StepKind, WaitFor, WaitStep, status_by_name,
};
use crate::template::functions::parse_duration;
use crate::yaml::{Node, NodeValue};

/// The keys that say what a step does; a step has exactly one.
const ACTIONS: [&str; 5] = ["operation", "fetch", "otp", "wait", "portal"];

/// The most attempts `retry.count` may ask for, and the longest pause between them: a hostile
/// or mistyped case cannot keep a run busy for hours.
pub const MAX_RETRIES: u32 = 100;
/// See [`MAX_RETRIES`].
pub const MAX_RETRY_INTERVAL: Duration = Duration::from_secs(60);

impl Reader {
    pub(super) fn step(&mut self, index: usize, node: &Node) -> Option<Step> {
        let NodeValue::Map(entries) = &node.value else {
            self.problem(
                node.at,
                format!("step {} must be a mapping, not {}", index + 1, node.kind()),
            );
            return None;
        };
        let actions: Vec<&str> = entries
            .iter()
            .map(|(key, _)| key.as_str())
            .filter(|key| ACTIONS.contains(key))
            .collect();
        let action = match actions.as_slice() {
            [one] => *one,
            [] => {
                self.problem(
                    node.at,
                    format!(
                        "step {} needs one of `operation`, `fetch`, `otp`, `wait`, `portal`",
                        index + 1
                    ),
                );
                return None;
            }
            [first, second, ..] => {
                let at = entries
                    .iter()
                    .find(|(key, _)| key == second)
                    .map_or(node.at, |(_, value)| value.key_at.unwrap_or(value.at));
                self.problem(
                    at,
                    format!("a step has one of `{first}` and `{second}`, not both"),
                );
                return None;
            }
        };
        let what = format!("step {}", index + 1);
        let (kind, fields) = match action {
            "otp" => {
                let fields = self.fields(node, &what, &format::OTP_STEP)?;
                (StepKind::Otp(self.otp_step(&fields)?), fields)
            }
            "wait" => {
                let fields = self.fields(node, &what, &format::WAIT_STEP)?;
                (StepKind::Wait(self.wait_step(fields.get("wait")?)?), fields)
            }
            "portal" => {
                let fields = self.fields(node, &what, &format::PORTAL_STEP)?;
                (
                    StepKind::Portal(self.portal_step(fields.get("portal")?)?),
                    fields,
                )
            }
            _ => {
                let fields = self.fields(node, &what, &format::HTTP_STEP)?;
                let http = self.http_step(node, &fields)?;
                (StepKind::Http(Box::new(http)), fields)
            }
        };
        let mut step = Step {
            name: String::new(),
            at: node.at,
            kind,
        };
        step.name = fields
            .get("name")
            .and_then(|n| self.string(n, "`name`"))
            .unwrap_or_else(|| format!("{} {}", index + 1, step.label()));
        Some(step)
    }

    fn http_step(&mut self, node: &Node, fields: &Fields<'_>) -> Option<HttpStep> {
        let action = match (fields.get("operation"), fields.get("fetch")) {
            (Some(operation), _) => {
                let id = self.string(operation, "`operation`")?;
                let spec = if vlens_openapi::vlens().operation(&id).is_some() {
                    SpecKind::Vlens
                } else if vlens_openapi::sandbox_control().operation(&id).is_some() {
                    SpecKind::Control
                } else {
                    let known = vlens_openapi::vlens()
                        .operations()
                        .iter()
                        .chain(vlens_openapi::sandbox_control().operations())
                        .map(|op| op.id.as_str());
                    self.problem(
                        operation.at,
                        format!(
                            "unknown operation `{id}`{}: no operationId of openapi/vlens.yaml or \
                             openapi/sandbox-control.yaml",
                            crate::suggest::did_you_mean(&id, known)
                        ),
                    );
                    return None;
                };
                Action::Call {
                    spec,
                    operation: id,
                    at: operation.at,
                }
            }
            (None, Some(url)) => Action::Fetch {
                url: self.tnode(url)?,
            },
            (None, None) => return None,
        };
        let identity = match fields.get("as").map(|n| (n, &n.value)) {
            None => Identity::Default,
            Some((_, NodeValue::String(text))) => match text.as_str() {
                "admin" => Identity::Admin,
                "nobody" => Identity::Nobody,
                user => Identity::User(user.to_owned()),
            },
            Some((node, NodeValue::Map(_))) => {
                let token = self.fields(node, "`as`", &format::AS_TOKEN)?;
                match token.get("token") {
                    Some(token) => Identity::Token(self.tnode(token)?),
                    None => {
                        self.problem(node.at, "`as` as a mapping needs `token`".to_owned());
                        return None;
                    }
                }
            }
            Some((node, _)) => {
                self.problem(
                    node.at,
                    "`as` is a user fixture, `admin`, `nobody` or {token: ...}".to_owned(),
                );
                return None;
            }
        };
        let api_key = match fields.get("api_key").map(|n| (n, &n.value)) {
            None => ApiKeyChoice::Default,
            Some((_, NodeValue::String(text))) if text == "none" => ApiKeyChoice::Absent,
            Some((_, NodeValue::String(text))) if text == "wrong" => ApiKeyChoice::Wrong,
            Some((_, NodeValue::String(text))) if text == "other-tenant" => {
                ApiKeyChoice::OtherTenant
            }
            Some((_, NodeValue::String(text))) if text == "tenant" => ApiKeyChoice::Default,
            Some((node, _)) => ApiKeyChoice::Value(self.tnode(node)?),
        };
        let body = match (fields.get("body"), fields.get("raw_body")) {
            (Some(body), None) => Some(Body::Json(self.tnode(body)?)),
            (None, Some(raw)) => {
                if raw.as_str().is_none() {
                    self.problem(raw.at, "`raw_body` must be a string".to_owned());
                }
                Some(Body::Raw(self.tnode(raw)?))
            }
            (Some(_), Some(raw)) => {
                self.problem(
                    raw.at,
                    "a step has `body` or `raw_body`, not both".to_owned(),
                );
                None
            }
            (None, None) => None,
        };
        let retry = fields
            .get("retry")
            .and_then(|n| Some((self.retry(n)?, n.key_at.unwrap_or(n.at))));
        let expect = self.expect(fields.get("expect"), &action, node.at)?;
        let captures = self.captures(fields.get("capture"));
        let snapshot = fields.get("snapshot").and_then(|n| self.snapshot(n));
        Some(HttpStep {
            action,
            identity,
            api_key,
            path: self.map_of_tnodes(fields.get("path"), "`path`"),
            query: self.map_of_tnodes(fields.get("query"), "`query`"),
            headers: self.map_of_tnodes(fields.get("headers"), "`headers`"),
            body,
            content_type: fields
                .get("content_type")
                .and_then(|n| self.string(n, "`content_type`")),
            method: fields
                .get("method")
                .and_then(|n| self.string(n, "`method`")),
            invalid: self.boolean(fields.get("invalid"), "`invalid`", false),
            retry,
            expect,
            captures,
            snapshot,
        })
    }

    fn snapshot(&mut self, node: &Node) -> Option<Snapshot> {
        let (name_node, vary) = match &node.value {
            NodeValue::Map(_) => {
                let fields = self.fields(node, "`snapshot`", &format::SNAPSHOT)?;
                let Some(name) = fields.get("name") else {
                    self.problem(node.at, "a snapshot needs `name`".to_owned());
                    return None;
                };
                let vary = match fields.get("vary").map(|n| (n, &n.value)) {
                    None => Vec::new(),
                    Some((_, NodeValue::Seq(items))) => items
                        .iter()
                        .filter_map(|item| {
                            let pointer = self.string(item, "a `vary` pointer")?;
                            if pointer.starts_with('/') {
                                Some(pointer)
                            } else {
                                self.problem(item.at, format!("`{pointer}` is not a JSON pointer"));
                                None
                            }
                        })
                        .collect(),
                    Some((node, _)) => {
                        self.problem(node.at, "`vary` is a list of JSON pointers".to_owned());
                        Vec::new()
                    }
                };
                (name, vary)
            }
            _ => (node, Vec::new()),
        };
        let name = self.string(name_node, "`snapshot`")?;
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid {
            self.problem(
                name_node.at,
                format!("snapshot name `{name}` may use only a-z, 0-9, `-` and `_`"),
            );
        }
        Some(Snapshot { name, vary })
    }

    fn otp_step(&mut self, fields: &Fields<'_>) -> Option<OtpStep> {
        let node = fields.get("otp")?;
        let otp = self.fields(node, "`otp`", &format::OTP)?;
        let purpose = match otp.get("purpose") {
            Some(purpose) => {
                let name = self.string(purpose, "`purpose`")?;
                match OtpPurpose::NAMES.iter().find(|(known, _)| *known == name) {
                    Some((_, purpose)) => *purpose,
                    None => {
                        let known: Vec<&str> =
                            OtpPurpose::NAMES.iter().map(|(name, _)| *name).collect();
                        self.problem(
                            purpose.at,
                            format!("unknown purpose `{name}` (known: {})", known.join(", ")),
                        );
                        return None;
                    }
                }
            }
            None => {
                self.problem(node.at, "`otp` needs `purpose`".to_owned());
                return None;
            }
        };
        let recipient = match (otp.get("phone"), otp.get("email")) {
            (Some(phone), None) => OtpRecipient::Phone(self.tnode(phone)?),
            (None, Some(email)) => OtpRecipient::Email(self.tnode(email)?),
            _ => {
                self.problem(
                    node.at,
                    "`otp` names one recipient: `phone` or `email`".to_owned(),
                );
                return None;
            }
        };
        let request = match otp.get("request") {
            Some(request) => Some(self.tnode(request)?),
            None => None,
        };
        let sent = match fields.get("expect") {
            None => true,
            Some(expect) => {
                let expect =
                    self.fields(expect, "an `otp` step's `expect`", &format::OTP_EXPECT)?;
                self.boolean(expect.get("sent"), "`sent`", true)
            }
        };
        let captures = self.captures(fields.get("capture"));
        if !sent && let Some(capture) = captures.first() {
            self.problem(
                capture.at,
                "nothing can be captured from an OTP that was not sent".to_owned(),
            );
        }
        Some(OtpStep {
            purpose,
            recipient,
            request,
            sent,
            captures,
        })
    }

    fn wait_step(&mut self, node: &Node) -> Option<WaitStep> {
        let text = self.string(node, "`wait`")?;
        if let Some((.., lifetime)) = Lifetime::NAMES.iter().find(|(name, ..)| *name == text) {
            return Some(WaitStep {
                duration: WaitFor::Lifetime(*lifetime),
            });
        }
        match parse_duration(&text) {
            Ok(duration) => Some(WaitStep {
                duration: WaitFor::Fixed(duration),
            }),
            Err(_) => {
                let names: Vec<&str> = Lifetime::NAMES.iter().map(|(name, ..)| *name).collect();
                self.problem(
                    node.at,
                    format!(
                        "`wait` is a duration (`5s`) or a lifetime of the target ({}), not `{text}`",
                        names.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn portal_step(&mut self, node: &Node) -> Option<PortalStep> {
        let fields = self.fields(node, "`portal`", &format::PORTAL)?;
        let Some(request) = fields.get("request") else {
            self.problem(node.at, "`portal` needs `request`".to_owned());
            return None;
        };
        let Some(status) = fields.get("status") else {
            self.problem(node.at, "`portal` needs `status`".to_owned());
            return None;
        };
        let status = self.status(status)?;
        Some(PortalStep {
            request: self.tnode(request)?,
            status,
        })
    }

    /// A status name (`approved`) or number (1-8).
    pub(super) fn status(&mut self, node: &Node) -> Option<i32> {
        match &node.value {
            NodeValue::String(text) => match status_by_name(text) {
                Some(status) => Some(status),
                None => {
                    let names: Vec<&str> = crate::case::STATUS_NAMES
                        .iter()
                        .map(|(name, _)| *name)
                        .collect();
                    self.problem(
                        node.at,
                        format!(
                            "unknown status `{text}` (known: {}, or a number 1-8)",
                            names.join(", ")
                        ),
                    );
                    None
                }
            },
            _ => {
                let number = self.integer(node, "a status")?;
                match i32::try_from(number) {
                    Ok(status @ 1..=8) => Some(status),
                    _ => {
                        self.problem(node.at, format!("a status is 1 to 8, not {number}"));
                        None
                    }
                }
            }
        }
    }

    fn retry(&mut self, node: &Node) -> Option<Retry> {
        let fields = self.fields(node, "`retry`", &format::RETRY)?;
        let count = match fields.get("count") {
            Some(count) => {
                let n = self.integer(count, "`count`")?;
                match u32::try_from(n) {
                    Ok(n) if n <= MAX_RETRIES => n,
                    _ => {
                        self.problem(
                            count.at,
                            format!("`count` is 0 to {MAX_RETRIES} retries, not {n}"),
                        );
                        return None;
                    }
                }
            }
            None => 3,
        };
        let interval = match fields.get("interval") {
            Some(interval) => {
                let text = self.string(interval, "`interval`")?;
                match parse_duration(&text) {
                    Ok(duration) if duration <= MAX_RETRY_INTERVAL => duration,
                    Ok(_) => {
                        self.problem(
                            interval.at,
                            format!(
                                "`interval` is at most {}s, not `{text}`",
                                MAX_RETRY_INTERVAL.as_secs()
                            ),
                        );
                        return None;
                    }
                    Err(message) => {
                        self.problem(interval.at, message);
                        return None;
                    }
                }
            }
            None => Duration::from_millis(200),
        };
        Some(Retry { count, interval })
    }
}
