//! The mutable state of one case run: its variables, secrets, users and tokens.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::case::TenantRef;
use crate::problem::Problem;
use crate::redact::Secrets;
use crate::target::{Target, TenantCredentials};
use crate::template::{Generators, Scope, TNode, value_text};

/// One user the case has. `Debug` never shows the token.
#[derive(Clone)]
pub(crate) struct UserState {
    pub(crate) token: String,
    pub(crate) tenant: TenantRef,
    pub(crate) phone: String,
    pub(crate) email: Option<String>,
}

impl fmt::Debug for UserState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserState")
            .field("token", &"[REDACTED]")
            .field("tenant", &self.tenant)
            .field("phone", &self.phone)
            .finish_non_exhaustive()
    }
}

/// The state of one case run.
pub(crate) struct State<'a> {
    pub(crate) target: &'a Target,
    pub(crate) case: &'a crate::case::Case,
    /// The case file as shown in messages (`file:line:column` of a broken expression).
    pub(crate) file: &'a str,
    pub(crate) vars: BTreeMap<String, Value>,
    pub(crate) secrets: Secrets,
    pub(crate) main: TenantCredentials,
    pub(crate) other: Option<TenantCredentials>,
    pub(crate) users: BTreeMap<String, UserState>,
    pub(crate) admin_token: Option<String>,
    /// Requests the case created, with their owner: settled after it on a shared target.
    pub(crate) created: Vec<(String, String)>,
}

impl Scope for State<'_> {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    fn generators(&self) -> &Generators {
        &self.target.generators
    }

    /// An environment value is a secret (a key, a password) unless the case lists it in
    /// `public_env`.
    fn env_var(&self, name: &str) -> Option<String> {
        let value = std::env::var(name).ok()?;
        if !self.case.public_env.iter().any(|public| public == name) {
            self.secrets.add(&value, "env");
        }
        Some(value)
    }
}

impl State<'_> {
    /// Evaluates a value of the case; a failure names its `file:line:column`.
    pub(crate) fn evaluate(&self, node: &TNode) -> Result<Value, String> {
        node.evaluate(self).map_err(|problem| self.locate(&problem))
    }

    /// [`State::evaluate`], as text.
    pub(crate) fn evaluate_text(&self, node: &TNode) -> Result<String, String> {
        self.evaluate(node).map(|value| value_text(&value))
    }

    /// `file:line:column: message`.
    pub(crate) fn locate(&self, problem: &Problem) -> String {
        problem.in_file(self.file)
    }

    /// A tenant's credentials.
    pub(crate) fn tenant(&self, which: TenantRef) -> Result<&TenantCredentials, String> {
        match which {
            TenantRef::Main => Ok(&self.main),
            TenantRef::Other => self
                .other
                .as_ref()
                .ok_or_else(|| "the target has no second tenant".to_owned()),
        }
    }

    /// The user fixture whose token this is, if any.
    pub(crate) fn user_with_token(&self, token: &str) -> Option<&UserState> {
        self.users.values().find(|user| user.token == token)
    }
}
