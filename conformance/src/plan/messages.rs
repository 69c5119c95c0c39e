//! Who a case messages. Every step that calls an operation with `x-vlens-messages` names a
//! recipient; on a shared target each must be inside the profile's test range. What can be
//! told from the case file (a literal number, `phone()`, a fixture user, a variable made of
//! those) is decided here, before anything is sent; anything else (a value captured from a
//! reply) is checked again by the runner just before sending, and refused there.

use vlens_openapi::{MessageChannel, Recipient};

use crate::case::{Case, Identity, SpecKind, StepKind};
use crate::plan::Plan;
use crate::target::Target;
use crate::template::TNode;
use crate::template::{Expr, Segment, TKind};

/// One message a step sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePlan {
    /// The step's index.
    pub step: usize,
    /// SMS or email.
    pub channel: MessageChannel,
    /// Who, as the case names them (`user (a fixture)`, `phone()`, `+20155500001`).
    pub to: String,
    /// Whether it may be sent.
    pub verdict: Verdict,
}

/// Whether a message may be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its recipient is inside the test range (or the target is a sandbox, which sends
    /// nothing).
    Allowed,
    /// Its recipient is outside the range: the case is ignored.
    Refused(String),
    /// Known only when the case runs: the runner checks it before sending.
    AtRunTime,
}

/// How a value names its recipient.
enum Named {
    /// Drawn from the test range (`phone()`, `email()`).
    Generated,
    /// A user fixture's own number or address.
    Fixture(String),
    /// Written in the case.
    Literal(String),
    /// Known only at run time.
    Unknown,
}

pub(super) fn plan(case: &Case, target: &Target, plan: &mut Plan) {
    for (index, step) in case.steps.iter().enumerate() {
        let StepKind::Http(http) = &step.kind else {
            continue;
        };
        let Some((_, operation)) = step.operation() else {
            continue;
        };
        let Some(op) = vlens_openapi::vlens().operation(operation) else {
            continue;
        };
        for message in &op.messages {
            let named = match &message.to {
                Recipient::Caller => match &http.identity {
                    Identity::Nobody => continue,
                    Identity::User(name) => Named::Fixture(name.clone()),
                    Identity::Default => match case.default_identity(SpecKind::Vlens, operation) {
                        Identity::User(name) => Named::Fixture(name),
                        Identity::Nobody => continue,
                        _ => Named::Unknown,
                    },
                    Identity::Admin | Identity::Token(_) => Named::Unknown,
                },
                Recipient::Body(pointer) => {
                    let Some(crate::case::Body::Json(body)) = &http.body else {
                        continue;
                    };
                    let Some(node) = body.at_pointer(pointer) else {
                        continue;
                    };
                    if matches!(&node.kind, TKind::Literal(serde_json::Value::Null)) {
                        continue;
                    }
                    classify(case, node, 0)
                }
            };
            let (to, verdict) = judge(named, message.channel, target);
            if let Verdict::Refused(reason) = &verdict {
                plan.need(reason.clone());
            }
            plan.messages.push(MessagePlan {
                step: index,
                channel: message.channel,
                to,
                verdict,
            });
        }
    }
}

fn classify(case: &Case, node: &TNode, depth: usize) -> Named {
    let TKind::Text(template) = &node.kind else {
        return Named::Unknown;
    };
    if let Some(text) = template.literal() {
        return Named::Literal(text.to_owned());
    }
    match template.lone_expression() {
        Some(Expr::Call(name, _)) if name == "phone" || name == "email" => Named::Generated,
        Some(Expr::Path(name, segments)) => {
            let field = match segments.as_slice() {
                [Segment::Key(field)] => Some(field.as_str()),
                _ => None,
            };
            let is_user = case.fixtures.users.iter().any(|u| u.name == *name);
            if is_user && matches!(field, Some("phoneNumber" | "email")) {
                return Named::Fixture(name.clone());
            }
            match case.vars.iter().find(|(var, _)| var == name) {
                Some((_, value)) if segments.is_empty() && depth < 8 => {
                    classify(case, value, depth + 1)
                }
                _ => Named::Unknown,
            }
        }
        _ => Named::Unknown,
    }
}

fn judge(named: Named, channel: MessageChannel, target: &Target) -> (String, Verdict) {
    let range = target.recipients.as_ref();
    let kind = match channel {
        MessageChannel::Sms => "test phone range ([messages] phones)",
        MessageChannel::Email => "test email domain ([messages] email_domain)",
    };
    let has_range = range.is_some_and(|range| match channel {
        MessageChannel::Sms => range.phones.is_some(),
        MessageChannel::Email => range.email_domain.is_some(),
    });
    let Some(range) = range else {
        // A sandbox sends nothing to anyone.
        let to = match named {
            Named::Generated => "a generated recipient".to_owned(),
            Named::Fixture(name) => format!("{name} (a fixture)"),
            Named::Literal(text) => text,
            Named::Unknown => "a value known at run time".to_owned(),
        };
        return (to, Verdict::Allowed);
    };
    if !has_range {
        return (
            "anyone".to_owned(),
            Verdict::Refused(format!("a {kind} to send an {channel} to")),
        );
    }
    match named {
        Named::Generated => (
            "a recipient drawn from the test range".to_owned(),
            Verdict::Allowed,
        ),
        Named::Fixture(name) => (format!("{name} (a test user)"), Verdict::Allowed),
        Named::Literal(text) => {
            let allowed = match channel {
                MessageChannel::Sms => range.allows_phone(&text),
                MessageChannel::Email => range.allows_email(&text),
            };
            let verdict = if allowed {
                Verdict::Allowed
            } else {
                Verdict::Refused(format!(
                    "no {channel} to `{text}`: it is outside the {kind}"
                ))
            };
            (text, verdict)
        }
        Named::Unknown => ("a value known at run time".to_owned(), Verdict::AtRunTime),
    }
}
