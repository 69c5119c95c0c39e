//! The case model, read from positioned YAML, and every check that can be made before a case
//! sends anything: keys, operations, parameters, request bodies, error names, variables.
//!
//! The format is documented in `conformance/README.md`.

use std::collections::BTreeSet;
use std::time::Duration;

use regex::Regex;
use serde_json::Value;
use vlens_openapi::{ApiSpec, ParameterLocation};

use crate::generate::parse_duration;
use crate::tnode::{TKind, TNode};
use crate::yaml::{Node, NodeValue, Pos};

/// One case file, checked.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its `name`.
    pub name: String,
    /// Its `description`.
    pub description: Option<String>,
    /// Its `tags`.
    pub tags: Vec<String>,
    /// What it needs before its first step.
    pub fixtures: Fixtures,
    /// `vars`: computed once fixtures exist, in order.
    pub vars: Vec<(String, TNode)>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// The fixtures of a case.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    /// A fresh tenant of its own (sandbox only), instead of the shared `Default` tenant.
    pub isolated_tenant: bool,
    /// The isolated tenant requires a confirmed email for eligibility.
    pub require_email_confirmation: bool,
    /// An admin token of the case's tenant (`admin.token`).
    pub admin: bool,
    /// End users, by name.
    pub users: Vec<UserFixture>,
    /// Business requests, by name.
    pub requests: Vec<RequestFixture>,
}

/// Which tenant something lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantRef {
    /// The case's tenant (the default one, or its isolated one).
    Main,
    /// A second tenant (`Other` on a sandbox).
    Other,
}

/// A ready end user.
#[derive(Debug, Clone)]
pub struct UserFixture {
    /// The variable name (`user`).
    pub name: String,
    /// Where it is declared.
    pub at: Pos,
    /// Its tenant.
    pub tenant: TenantRef,
    /// Has a completed identity verification.
    pub verified: bool,
    /// The registration location (default Cairo).
    pub location: Option<TNode>,
    /// An email address: generated (`true`) or given.
    pub email: Option<TNode>,
    /// Whether that email is confirmed.
    pub email_confirmed: bool,
    /// Give the account a generated password (`user.password`).
    pub password: bool,
}

/// A product, by role or by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductRef {
    /// A product approved on creation.
    AutoApproved,
    /// A product that stays Pending Approval.
    NeedsApproval,
    /// A request type id.
    Id(i32),
}

/// A business request made for a user before the steps.
#[derive(Debug, Clone)]
pub struct RequestFixture {
    /// The variable name (`loan`).
    pub name: String,
    /// Where it is declared.
    pub at: Pos,
    /// The user fixture that creates it.
    pub owner: String,
    /// Its product.
    pub product: ProductRef,
    /// The status to put it in (through the control API) after creation.
    pub status: Option<i32>,
    /// Field values that replace the generated ones.
    pub fields: Vec<(String, TNode)>,
}

/// Whose bearer token a step sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// The default: the operation's kind of token (a user, the admin) or none.
    Default,
    /// A user fixture.
    User(String),
    /// The admin fixture.
    Admin,
    /// No `Authorization` header.
    Nobody,
    /// This bearer token.
    Token(TNode),
}

/// Which `ApiKey` a step sends.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiKeyChoice {
    /// The key of the identity's tenant.
    Default,
    /// No `ApiKey` header.
    Absent,
    /// A key no tenant has.
    Wrong,
    /// The other tenant's key.
    OtherTenant,
    /// This key.
    Value(TNode),
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Calls an operation of one of the specs.
    Call {
        /// Which spec.
        spec: SpecKind,
        /// The operationId.
        operation: String,
    },
    /// GETs a URL taken from an earlier reply (no ApiKey, no token).
    Fetch {
        /// The URL.
        url: TNode,
    },
}

/// The two specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecKind {
    /// `openapi/vlens.yaml`.
    Vlens,
    /// `openapi/sandbox-control.yaml` (needs a sandbox).
    Control,
}

impl SpecKind {
    /// The parsed spec.
    pub fn spec(self) -> &'static ApiSpec {
        match self {
            SpecKind::Vlens => vlens_openapi::vlens(),
            SpecKind::Control => vlens_openapi::sandbox_control(),
        }
    }
}

/// The body a step sends.
#[derive(Debug, Clone)]
pub enum Body {
    /// JSON.
    Json(TNode),
    /// These bytes as they are (malformed JSON on purpose).
    Raw(TNode),
}

/// Retrying a GET until its expectations hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts after the first.
    pub count: u32,
    /// The pause between attempts.
    pub interval: Duration,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its `name`, or `<operation>`.
    pub name: String,
    /// Where it starts.
    pub at: Pos,
    /// What it does.
    pub action: Action,
    /// Whose token.
    pub identity: Identity,
    /// Which ApiKey.
    pub api_key: ApiKeyChoice,
    /// Path parameters.
    pub path: Vec<(String, TNode)>,
    /// Query parameters.
    pub query: Vec<(String, TNode)>,
    /// Extra headers.
    pub headers: Vec<(String, TNode)>,
    /// The body.
    pub body: Option<Body>,
    /// The `Content-Type` to send instead of `application/json`.
    pub content_type: Option<String>,
    /// Send with this method instead of the operation's (a 405 on purpose).
    pub method: Option<String>,
    /// The body breaks the request schema on purpose.
    pub invalid: bool,
    /// Retrying (GET only).
    pub retry: Option<Retry>,
    /// What the reply must be.
    pub expect: Expect,
    /// Variables taken from the reply.
    pub captures: Vec<Capture>,
    /// Snapshot the reply under this name.
    pub snapshot: Option<String>,
}

/// The envelope outcome a step expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `error_code` null or 0.
    Success,
    /// This error code.
    Error {
        /// The spec's name.
        name: String,
        /// The number.
        code: i64,
    },
    /// No expectation about the envelope.
    Any,
}

/// The expectations of a step.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The HTTP status (default: 200, or the expected error's status).
    pub status: u16,
    /// Success, a given error, or anything.
    pub outcome: Outcome,
    /// Checks at JSON pointers.
    pub json: Vec<JsonCheck>,
    /// The `Content-Type` (essence) of the reply.
    pub content_type: Option<String>,
    /// The body is a PDF (`%PDF-`).
    pub pdf: bool,
    /// The body (as text) contains this.
    pub body_contains: Option<TNode>,
}

/// One check at one JSON pointer.
#[derive(Debug, Clone)]
pub struct JsonCheck {
    /// The pointer into the reply.
    pub pointer: String,
    /// Where it is written.
    pub at: Pos,
    /// What must hold.
    pub check: Check,
}

/// What must hold at a pointer.
#[derive(Debug, Clone)]
pub enum Check {
    /// The value equals this (after interpolation).
    Equals(TNode),
    /// The value is a string matching this regex.
    Matches(Regex),
    /// The value has this JSON type.
    Type(JsonType),
    /// Something is there (null included).
    Exists,
    /// Nothing is there.
    Absent,
    /// Nothing, or null (an optional nullable member).
    NullOrAbsent,
    /// An array or string of this length.
    Length(usize),
}

/// JSON types for `type` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// null
    Null,
    /// true/false
    Boolean,
    /// any number
    Number,
    /// an integer
    Integer,
    /// a string
    String,
    /// an array
    Array,
    /// an object
    Object,
}

impl JsonType {
    const NAMES: [(&'static str, JsonType); 7] = [
        ("null", JsonType::Null),
        ("boolean", JsonType::Boolean),
        ("number", JsonType::Number),
        ("integer", JsonType::Integer),
        ("string", JsonType::String),
        ("array", JsonType::Array),
        ("object", JsonType::Object),
    ];

    /// Whether `value` has this type.
    pub fn matches(self, value: &Value) -> bool {
        match self {
            JsonType::Null => value.is_null(),
            JsonType::Boolean => value.is_boolean(),
            JsonType::Number => value.is_number(),
            JsonType::Integer => value.is_i64() || value.is_u64(),
            JsonType::String => value.is_string(),
            JsonType::Array => value.is_array(),
            JsonType::Object => value.is_object(),
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        JsonType::NAMES
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("?", |(name, _)| name)
    }
}

/// A variable taken from a reply.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The variable.
    pub name: String,
    /// The JSON pointer into the reply.
    pub pointer: String,
    /// Treat the value as a secret (always so for tokens, passwords, codes and keys).
    pub secret: bool,
}

/// A problem in a case file: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub at: Pos,
    /// What.
    pub message: String,
}

/// The headers the harness sends itself (`api_key`, `as`): a step need not write them, even
/// where the spec requires them. Every other required header and query parameter must be in
/// the step, unless it is `invalid: true`.
pub const HARNESS_HEADERS: &[&str] = &["ApiKey", "Authorization"];

/// Names reserved for fixtures the harness always provides.
pub const RESERVED: &[&str] = &["tenant", "other_tenant", "admin", "target", "env"];

/// Reads and checks one case from its parsed YAML. `snapshot_names` collects snapshot names
/// across files so that duplicates are found.
pub fn read_case(root: &Node) -> Result<Case, Vec<Problem>> {
    let mut reader = Reader::default();
    let case = reader.case(root);
    match case {
        Some(case) if reader.problems.is_empty() => Ok(case),
        _ => {
            if reader.problems.is_empty() {
                reader.problem(root.at, "the case could not be read".to_owned());
            }
            reader.problems.sort_by_key(|problem| problem.at);
            Err(reader.problems)
        }
    }
}

#[derive(Default)]
struct Reader {
    problems: Vec<Problem>,
}

/// The entries of a mapping, with unknown keys reported once.
struct Fields<'n> {
    entries: &'n [(String, Node)],
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, node)| node)
    }
}

impl Reader {
    fn problem(&mut self, at: Pos, message: String) {
        self.problems.push(Problem { at, message });
    }

    fn fields<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let NodeValue::Map(entries) = &node.value else {
            self.problem(
                node.at,
                format!("{what} must be a mapping, not {}", node.kind()),
            );
            return None;
        };
        for (key, value) in entries {
            if !known.contains(&key.as_str()) {
                self.problem(
                    value.key_at.unwrap_or(value.at),
                    format!(
                        "unknown key `{key}` in {what} (known keys: {})",
                        known.join(", ")
                    ),
                );
            }
        }
        Some(Fields { entries })
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            NodeValue::String(text) => Some(text.clone()),
            _ => {
                self.problem(
                    node.at,
                    format!("{what} must be a string, not {}", node.kind()),
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: Option<&Node>, what: &str, default: bool) -> bool {
        match node.map(|node| (node, &node.value)) {
            None => default,
            Some((_, NodeValue::Bool(value))) => *value,
            Some((node, _)) => {
                self.problem(
                    node.at,
                    format!("{what} must be true or false, not {}", node.kind()),
                );
                default
            }
        }
    }

    fn integer(&mut self, node: &Node, what: &str) -> Option<i64> {
        match &node.value {
            NodeValue::Number(number) if number.as_i64().is_some() => number.as_i64(),
            _ => {
                self.problem(
                    node.at,
                    format!("{what} must be an integer, not {}", node.kind()),
                );
                None
            }
        }
    }

    fn tnode(&mut self, node: &Node) -> Option<TNode> {
        match TNode::from_node(node) {
            Ok(tnode) => Some(tnode),
            Err(located) => {
                self.problem(located.at, located.message);
                None
            }
        }
    }

    fn map_of_tnodes(&mut self, node: Option<&Node>, what: &str) -> Vec<(String, TNode)> {
        let Some(node) = node else {
            return Vec::new();
        };
        let NodeValue::Map(entries) = &node.value else {
            self.problem(
                node.at,
                format!("{what} must be a mapping, not {}", node.kind()),
            );
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), self.tnode(value)?)))
            .collect()
    }

    fn case(&mut self, root: &Node) -> Option<Case> {
        if root.value == NodeValue::Null {
            self.problem(
                Pos { line: 1, column: 1 },
                "the file is empty; a case needs at least `name` and `steps`".to_owned(),
            );
            return None;
        }
        let fields = self.fields(
            root,
            "a case",
            &["name", "description", "tags", "fixtures", "vars", "steps"],
        )?;
        let name = match fields.get("name") {
            Some(node) => self.string(node, "`name`"),
            None => {
                self.problem(root.at, "missing `name`".to_owned());
                None
            }
        };
        let description = fields
            .get("description")
            .and_then(|node| self.string(node, "`description`"));
        let tags = match fields.get("tags").map(|node| (node, &node.value)) {
            None => Vec::new(),
            Some((_, NodeValue::Seq(items))) => items
                .iter()
                .filter_map(|item| self.string(item, "a tag"))
                .collect(),
            Some((node, _)) => {
                self.problem(node.at, "`tags` must be a list of strings".to_owned());
                Vec::new()
            }
        };
        let fixtures = fields
            .get("fixtures")
            .map(|node| self.fixtures(node))
            .unwrap_or_default();
        let vars = self.map_of_tnodes(fields.get("vars"), "`vars`");
        let steps = match fields.get("steps").map(|node| (node, &node.value)) {
            Some((_, NodeValue::Seq(items))) if !items.is_empty() => items
                .iter()
                .enumerate()
                .filter_map(|(index, item)| self.step(index, item))
                .collect(),
            Some((node, _)) => {
                self.problem(node.at, "`steps` must be a non-empty list".to_owned());
                Vec::new()
            }
            None => {
                self.problem(root.at, "missing `steps`".to_owned());
                Vec::new()
            }
        };
        let case = Case {
            name: name?,
            description,
            tags,
            fixtures,
            vars,
            steps,
        };
        self.check_names(&case);
        self.check_variables(&case);
        Some(case)
    }

    fn fixtures(&mut self, node: &Node) -> Fixtures {
        let mut fixtures = Fixtures::default();
        let Some(fields) = self.fields(
            node,
            "`fixtures`",
            &["tenant", "admin", "users", "requests"],
        ) else {
            return fixtures;
        };
        if let Some(tenant) = fields.get("tenant") {
            match &tenant.value {
                NodeValue::String(text) if text == "default" => {}
                NodeValue::String(text) if text == "isolated" => fixtures.isolated_tenant = true,
                NodeValue::Map(_) => {
                    if let Some(options) = self.fields(
                        tenant,
                        "`tenant`",
                        &["isolated", "requireEmailConfirmation"],
                    ) {
                        fixtures.isolated_tenant =
                            self.boolean(options.get("isolated"), "`isolated`", true);
                        fixtures.require_email_confirmation = self.boolean(
                            options.get("requireEmailConfirmation"),
                            "`requireEmailConfirmation`",
                            false,
                        );
                        if fixtures.require_email_confirmation && !fixtures.isolated_tenant {
                            self.problem(
                                tenant.at,
                                "tenant settings need `isolated: true`".to_owned(),
                            );
                        }
                    }
                }
                _ => self.problem(
                    tenant.at,
                    "`tenant` is `default`, `isolated` or {isolated, requireEmailConfirmation}"
                        .to_owned(),
                ),
            }
        }
        fixtures.admin = self.boolean(fields.get("admin"), "`admin`", false);
        if let Some(users) = fields.get("users") {
            if let NodeValue::Map(entries) = &users.value {
                for (name, spec) in entries {
                    if let Some(user) = self.user(name, spec) {
                        fixtures.users.push(user);
                    }
                }
            } else {
                self.problem(users.at, "`users` must map names to users".to_owned());
            }
        }
        if let Some(requests) = fields.get("requests") {
            if let NodeValue::Map(entries) = &requests.value {
                for (name, spec) in entries {
                    if let Some(request) = self.request(name, spec, &fixtures.users) {
                        fixtures.requests.push(request);
                    }
                }
            } else {
                self.problem(
                    requests.at,
                    "`requests` must map names to requests".to_owned(),
                );
            }
        }
        fixtures
    }

    fn user(&mut self, name: &str, node: &Node) -> Option<UserFixture> {
        let empty = Node {
            value: NodeValue::Map(Vec::new()),
            at: node.at,
            key_at: node.key_at,
        };
        let node = if node.value == NodeValue::Null {
            &empty
        } else {
            node
        };
        let fields = self.fields(
            node,
            &format!("user `{name}`"),
            &[
                "tenant",
                "verified",
                "location",
                "email",
                "emailConfirmed",
                "password",
            ],
        )?;
        let tenant = match fields.get("tenant").map(|n| (n, n.as_str())) {
            None | Some((_, Some("main"))) => TenantRef::Main,
            Some((_, Some("other"))) => TenantRef::Other,
            Some((node, _)) => {
                self.problem(node.at, "a user's `tenant` is `main` or `other`".to_owned());
                TenantRef::Main
            }
        };
        let email = match fields.get("email").map(|n| (n, &n.value)) {
            None | Some((_, NodeValue::Bool(false))) => None,
            Some((node, NodeValue::Bool(true))) => Some(TNode {
                at: node.at,
                kind: TKind::Text(crate::template::Template::parse("${email()}").ok()?),
            }),
            Some((node, _)) => self.tnode(node),
        };
        Some(UserFixture {
            name: name.to_owned(),
            at: node.at,
            tenant,
            verified: self.boolean(fields.get("verified"), "`verified`", true),
            location: fields.get("location").and_then(|n| self.tnode(n)),
            email,
            email_confirmed: self.boolean(fields.get("emailConfirmed"), "`emailConfirmed`", true),
            password: self.boolean(fields.get("password"), "`password`", false),
        })
    }

    fn request(
        &mut self,
        name: &str,
        node: &Node,
        users: &[UserFixture],
    ) -> Option<RequestFixture> {
        let fields = self.fields(
            node,
            &format!("request `{name}`"),
            &["owner", "product", "status", "fields"],
        )?;
        let owner = match fields.get("owner") {
            Some(owner) => {
                let owner_name = self.string(owner, "`owner`")?;
                if !users.iter().any(|user| user.name == owner_name) {
                    self.problem(
                        owner.at,
                        format!("`owner` names no user fixture: `{owner_name}`"),
                    );
                }
                owner_name
            }
            None if users.len() == 1 => users[0].name.clone(),
            None => {
                self.problem(node.at, format!("request `{name}` needs an `owner` user"));
                return None;
            }
        };
        let product = match fields.get("product").map(|n| (n, &n.value)) {
            None => ProductRef::AutoApproved,
            Some((_, NodeValue::String(text))) if text == "auto-approved" => {
                ProductRef::AutoApproved
            }
            Some((_, NodeValue::String(text))) if text == "needs-approval" => {
                ProductRef::NeedsApproval
            }
            Some((node, NodeValue::Number(_))) => {
                let id = self.integer(node, "`product`")?;
                ProductRef::Id(i32::try_from(id).ok()?)
            }
            Some((node, _)) => {
                self.problem(
                    node.at,
                    "`product` is `auto-approved`, `needs-approval` or a request type id"
                        .to_owned(),
                );
                return None;
            }
        };
        let status = match fields.get("status").map(|n| (n, &n.value)) {
            None => None,
            Some((node, NodeValue::String(text))) => match status_by_name(text) {
                Some(status) => Some(status),
                None => {
                    self.problem(
                        node.at,
                        format!(
                            "unknown status `{text}` (known: {}, or a number 1-8)",
                            STATUS_NAMES
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    None
                }
            },
            Some((node, _)) => self
                .integer(node, "`status`")
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| (1..=8).contains(n)),
        };
        Some(RequestFixture {
            name: name.to_owned(),
            at: node.at,
            owner,
            product,
            status,
            fields: self.map_of_tnodes(fields.get("fields"), "`fields`"),
        })
    }

    fn step(&mut self, index: usize, node: &Node) -> Option<Step> {
        let fields = self.fields(
            node,
            &format!("step {}", index + 1),
            &[
                "name",
                "operation",
                "fetch",
                "as",
                "api_key",
                "path",
                "query",
                "headers",
                "body",
                "raw_body",
                "content_type",
                "method",
                "invalid",
                "retry",
                "expect",
                "capture",
                "snapshot",
            ],
        )?;
        let action = match (fields.get("operation"), fields.get("fetch")) {
            (Some(operation), None) => {
                let id = self.string(operation, "`operation`")?;
                let spec = if vlens_openapi::vlens().operation(&id).is_some() {
                    SpecKind::Vlens
                } else if vlens_openapi::sandbox_control().operation(&id).is_some() {
                    SpecKind::Control
                } else {
                    self.problem(
                        operation.at,
                        format!(
                            "unknown operation `{id}`: no operationId of openapi/vlens.yaml or \
                             openapi/sandbox-control.yaml"
                        ),
                    );
                    return None;
                };
                Action::Call {
                    spec,
                    operation: id,
                }
            }
            (None, Some(url)) => Action::Fetch {
                url: self.tnode(url)?,
            },
            (Some(_), Some(fetch)) => {
                self.problem(
                    fetch.at,
                    "a step has `operation` or `fetch`, not both".to_owned(),
                );
                return None;
            }
            (None, None) => {
                self.problem(
                    node.at,
                    format!("step {} needs `operation` or `fetch`", index + 1),
                );
                return None;
            }
        };
        let label = match &action {
            Action::Call { operation, .. } => operation.clone(),
            Action::Fetch { .. } => "fetch".to_owned(),
        };
        let name = fields
            .get("name")
            .and_then(|n| self.string(n, "`name`"))
            .unwrap_or_else(|| format!("{} {label}", index + 1));
        let identity = match fields.get("as").map(|n| (n, &n.value)) {
            None => Identity::Default,
            Some((_, NodeValue::String(text))) => match text.as_str() {
                "admin" => Identity::Admin,
                "nobody" => Identity::Nobody,
                user => Identity::User(user.to_owned()),
            },
            Some((node, NodeValue::Map(_))) => {
                let token = self.fields(node, "`as`", &["token"])?;
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
        let retry = fields.get("retry").and_then(|n| self.retry(n));
        let expect = self.expect(fields.get("expect"), &action, node.at)?;
        let captures = self.captures(fields.get("capture"));
        let snapshot = fields.get("snapshot").and_then(|n| {
            let name = self.string(n, "`snapshot`")?;
            let valid = !name.is_empty()
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !valid {
                self.problem(
                    n.at,
                    format!("snapshot name `{name}` may use only a-z, 0-9, `-` and `_`"),
                );
            }
            Some(name)
        });
        let step = Step {
            name,
            at: node.at,
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
        };
        self.check_step(&step, &fields);
        Some(step)
    }

    fn retry(&mut self, node: &Node) -> Option<Retry> {
        let fields = self.fields(node, "`retry`", &["count", "interval"])?;
        let count = match fields.get("count") {
            Some(count) => u32::try_from(self.integer(count, "`count`")?).ok()?,
            None => 3,
        };
        let interval = match fields.get("interval") {
            Some(interval) => {
                let text = self.string(interval, "`interval`")?;
                match parse_duration(&text) {
                    Ok(duration) => duration,
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

    fn expect(&mut self, node: Option<&Node>, action: &Action, step_at: Pos) -> Option<Expect> {
        let mut expect = Expect {
            status: 200,
            outcome: match action {
                Action::Call {
                    spec: SpecKind::Vlens | SpecKind::Control,
                    ..
                } => Outcome::Success,
                Action::Fetch { .. } => Outcome::Any,
            },
            json: Vec::new(),
            content_type: None,
            pdf: false,
            body_contains: None,
        };
        let Some(node) = node else {
            return Some(expect);
        };
        let fields = self.fields(
            node,
            "`expect`",
            &[
                "status",
                "success",
                "error",
                "json",
                "content_type",
                "pdf",
                "body_contains",
            ],
        )?;
        if let Some(error) = fields.get("error") {
            let name = self.string(error, "`error`")?;
            match vlens_openapi::vlens().error_code(&name) {
                Some(code) => {
                    expect.status = code.http_status;
                    if let Action::Call {
                        spec: SpecKind::Vlens,
                        operation,
                    } = action
                        && code.http_status == 200
                    {
                        let declared = vlens_openapi::vlens()
                            .operation(operation)
                            .is_some_and(|op| op.error_codes.contains(&name));
                        if !declared {
                            self.problem(
                                error.at,
                                format!(
                                    "`{operation}` does not declare error `{name}` in its \
                                     x-vlens-error-codes"
                                ),
                            );
                        }
                    }
                    expect.outcome = Outcome::Error {
                        name,
                        code: code.code,
                    };
                }
                None => {
                    let known: Vec<&str> = vlens_openapi::vlens()
                        .error_codes()
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    self.problem(
                        error.at,
                        format!(
                            "unknown error `{name}` (the spec names: {})",
                            known.join(", ")
                        ),
                    );
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
                for check in self.checks(check) {
                    expect.json.push(JsonCheck {
                        pointer: pointer.clone(),
                        at: check.1,
                        check: check.0,
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
                let Some(fields) = self.fields(
                    node,
                    "a JSON check",
                    &["equals", "matches", "type", "exists", "absent", "length"],
                ) else {
                    return Vec::new();
                };
                let mut checks = Vec::new();
                if let Some(equals) = fields.get("equals")
                    && let Some(expected) = self.tnode(equals)
                {
                    checks.push((Check::Equals(expected), equals.at));
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

    fn captures(&mut self, node: Option<&Node>) -> Vec<Capture> {
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
                    let Some(fields) = self.fields(spec, "a capture", &["pointer", "secret"])
                    else {
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
                pointer,
                secret,
            });
        }
        captures
    }

    /// Checks a step against its operation: parameters, body, retry.
    fn check_step(&mut self, step: &Step, fields: &Fields<'_>) {
        let method_get = match &step.action {
            Action::Fetch { .. } => true,
            Action::Call { spec, operation } => {
                let Some(op) = spec.spec().operation(operation) else {
                    return;
                };
                self.check_parameters(step, op, fields);
                self.check_body(step, *spec, op, fields);
                op.method == "GET"
            }
        };
        if step.retry.is_some()
            && !method_get
            && let Some(retry) = fields.get("retry")
        {
            self.problem(retry.at, "`retry` is for GET steps only".to_owned());
        }
    }

    fn check_parameters(
        &mut self,
        step: &Step,
        op: &vlens_openapi::Operation,
        fields: &Fields<'_>,
    ) {
        for (section, location, given) in [
            ("path", ParameterLocation::Path, &step.path),
            ("query", ParameterLocation::Query, &step.query),
        ] {
            for (name, value) in given {
                let declared = op
                    .parameters
                    .iter()
                    .any(|p| p.location == location && p.name == *name);
                if !declared && !step.invalid {
                    let known: Vec<&str> = op
                        .parameters
                        .iter()
                        .filter(|p| p.location == location)
                        .map(|p| p.name.as_str())
                        .collect();
                    self.problem(
                        value.at,
                        format!(
                            "`{}` has no {section} parameter `{name}` (it has: {})",
                            op.id,
                            if known.is_empty() {
                                "none".to_owned()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                }
            }
        }
        let at = fields.get("operation").map_or(step.at, |n| n.at);
        for parameter in op
            .parameters
            .iter()
            .filter(|p| p.location == ParameterLocation::Path)
        {
            if !step.path.iter().any(|(name, _)| *name == parameter.name) {
                self.problem(
                    at,
                    format!(
                        "`{}` needs the path parameter `{}` (under `path`)",
                        op.id, parameter.name
                    ),
                );
            }
        }
        if step.invalid {
            return;
        }
        for parameter in op.parameters.iter().filter(|p| p.required) {
            let (section, given) = match parameter.location {
                ParameterLocation::Query => (
                    "query",
                    step.query.iter().any(|(name, _)| *name == parameter.name),
                ),
                ParameterLocation::Header
                    if !HARNESS_HEADERS
                        .iter()
                        .any(|sent| sent.eq_ignore_ascii_case(&parameter.name)) =>
                {
                    (
                        "headers",
                        step.headers
                            .iter()
                            .any(|(name, _)| name.eq_ignore_ascii_case(&parameter.name)),
                    )
                }
                _ => continue,
            };
            if !given {
                self.problem(
                    at,
                    format!(
                        "`{}` requires the {} parameter `{}` (under `{section}`; add \
                         `invalid: true` if leaving it out is the point)",
                        op.id, parameter.location, parameter.name
                    ),
                );
            }
        }
    }

    fn check_body(
        &mut self,
        step: &Step,
        spec: SpecKind,
        op: &vlens_openapi::Operation,
        fields: &Fields<'_>,
    ) {
        let Some(Body::Json(body)) = &step.body else {
            if op.request_body.as_ref().is_some_and(|b| b.required)
                && step.body.is_none()
                && !step.invalid
            {
                let at = fields.get("operation").map_or(step.at, |n| n.at);
                self.problem(
                    at,
                    format!("`{}` requires a `body` (or `invalid: true`)", op.id),
                );
            }
            return;
        };
        if op.request_body.is_none() {
            self.problem(body.at, format!("`{}` takes no request body", op.id));
            return;
        }
        if step.invalid {
            return;
        }
        let (shape, templated) = body.static_shape();
        if let Err(violations) = spec.spec().validate_request_body(&op.id, &shape) {
            for violation in violations {
                let hidden = templated.iter().any(|pointer| {
                    violation.instance_pointer == *pointer
                        || violation
                            .instance_pointer
                            .starts_with(&format!("{pointer}/"))
                });
                if !hidden {
                    let at = body_position(body, &violation.instance_pointer);
                    self.problem(
                        at,
                        format!(
                            "the body does not fit `{}`'s request schema {violation} \
                             (add `invalid: true` if that is the point)",
                            op.id
                        ),
                    );
                }
            }
        }
    }

    fn check_names(&mut self, case: &Case) {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let users = case.fixtures.users.iter().map(|u| (u.name.as_str(), u.at));
        let requests = case
            .fixtures
            .requests
            .iter()
            .map(|r| (r.name.as_str(), r.at));
        let vars = case
            .vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.at));
        for (name, at) in users.chain(requests).chain(vars) {
            if RESERVED.contains(&name) {
                self.problem(
                    at,
                    format!("`{name}` is reserved for the harness's own fixtures"),
                );
            }
            if !seen.insert(name) {
                self.problem(at, format!("`{name}` is defined twice"));
            }
        }
        for step in &case.steps {
            if let Identity::User(user) = &step.identity
                && !case.fixtures.users.iter().any(|u| u.name == *user)
            {
                self.problem(
                    step.at,
                    format!("`as: {user}` names no user fixture (nor `admin` or `nobody`)"),
                );
            }
        }
    }

    /// Every variable must be defined before the step that reads it, and every one of `vars`
    /// must be read.
    fn check_variables(&mut self, case: &Case) {
        let mut defined: BTreeSet<String> = RESERVED.iter().map(|s| (*s).to_owned()).collect();
        defined.extend(case.fixtures.users.iter().map(|u| u.name.clone()));
        defined.extend(case.fixtures.requests.iter().map(|r| r.name.clone()));
        let mut uses: Vec<(&str, Pos)> = Vec::new();
        for user in &case.fixtures.users {
            for node in user.location.iter().chain(user.email.iter()) {
                uses.extend(node.variables());
            }
        }
        for request in &case.fixtures.requests {
            for (_, node) in &request.fields {
                uses.extend(node.variables());
            }
        }
        self.report_undefined(&uses, &defined);
        let mut read: BTreeSet<String> = BTreeSet::new();
        for (name, value) in &case.vars {
            let uses = value.variables();
            self.report_undefined(&uses, &defined);
            read.extend(uses.iter().map(|(used, _)| (*used).to_owned()));
            defined.insert(name.clone());
        }
        for step in &case.steps {
            let mut uses = Vec::new();
            let nodes = step
                .path
                .iter()
                .chain(&step.query)
                .chain(&step.headers)
                .map(|(_, node)| node);
            for node in nodes {
                uses.extend(node.variables());
            }
            match &step.body {
                Some(Body::Json(node) | Body::Raw(node)) => uses.extend(node.variables()),
                None => {}
            }
            if let Action::Fetch { url } = &step.action {
                uses.extend(url.variables());
            }
            if let Identity::Token(token) = &step.identity {
                uses.extend(token.variables());
            }
            if let ApiKeyChoice::Value(key) = &step.api_key {
                uses.extend(key.variables());
            }
            // Expectations may read this step's own captures.
            let mut after = defined.clone();
            after.extend(step.captures.iter().map(|c| c.name.clone()));
            self.report_undefined(&uses, &defined);
            let mut expected = Vec::new();
            for check in &step.expect.json {
                if let Check::Equals(node) = &check.check {
                    expected.extend(node.variables());
                }
            }
            if let Some(node) = &step.expect.body_contains {
                expected.extend(node.variables());
            }
            self.report_undefined(&expected, &after);
            read.extend(
                uses.iter()
                    .chain(&expected)
                    .map(|(used, _)| (*used).to_owned()),
            );
            defined = after;
        }
        for (name, value) in &case.vars {
            if !read.contains(name) {
                self.problem(
                    value.at,
                    format!("`vars.{name}` is never used (remove it, or read it in a step)"),
                );
            }
        }
    }

    fn report_undefined(&mut self, uses: &[(&str, Pos)], defined: &BTreeSet<String>) {
        for (name, at) in uses {
            if !defined.contains(*name) {
                self.problem(
                    *at,
                    format!(
                        "variable `{name}` is used before it is defined (fixtures, `vars` and \
                         earlier captures define variables)"
                    ),
                );
            }
        }
    }
}

/// The position of the node at `pointer` inside `body`, or the closest parent's.
fn body_position(body: &TNode, pointer: &str) -> Pos {
    let mut node = body;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = match &node.kind {
            TKind::Map(entries) => entries
                .iter()
                .find(|(key, _)| *key == token)
                .map(|(_, n)| n),
            TKind::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => break,
        }
    }
    node.at
}

/// Status names a request fixture may use.
pub const STATUS_NAMES: [(&str, i32); 8] = [
    ("pending", 1),
    ("approved", 2),
    ("rejected", 3),
    ("customer-signed", 4),
    ("provider-signed", 5),
    ("cancelled", 6),
    ("expired", 7),
    ("completed", 8),
];

fn status_by_name(name: &str) -> Option<i32> {
    STATUS_NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, status)| *status)
}
