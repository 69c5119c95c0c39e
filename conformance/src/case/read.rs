//! Reading a case file's structure into the model: keys, types, names. Each problem is
//! reported at its position and reading goes on, so that one pass lists them all.

use crate::case::format::{self, Shape};
use crate::case::{
    Case, Fixtures, ProductRef, RequestFixture, TenantRef, TenantSettings, UserFixture,
};
use crate::problem::{Pos, Problem};
use crate::suggest;
use crate::template::{TKind, TNode, Template};
use crate::yaml::{Node, NodeValue};

/// Reads one case from its parsed YAML: every problem of the file, in file order, or the case.
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
pub(super) struct Reader {
    pub(super) problems: Vec<Problem>,
}

/// The entries of a mapping, with unknown keys reported once.
pub(super) struct Fields<'n> {
    entries: &'n [(String, Node)],
}

impl<'n> Fields<'n> {
    pub(super) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, node)| node)
    }
}

impl Reader {
    pub(super) fn problem(&mut self, at: Pos, message: String) {
        self.problems.push(Problem::new(at, message));
    }

    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        shape: &Shape,
    ) -> Option<Fields<'n>> {
        let NodeValue::Map(entries) = &node.value else {
            self.problem(
                node.at,
                format!("{what} must be a mapping, not {}", node.kind()),
            );
            return None;
        };
        for (key, value) in entries {
            if !shape.has(key) {
                let known = shape.names();
                self.problem(
                    value.key_at.unwrap_or(value.at),
                    format!(
                        "unknown key `{key}` in {what}{} (known keys: {})",
                        suggest::did_you_mean(key, known.iter().copied()),
                        known.join(", ")
                    ),
                );
            }
        }
        Some(Fields { entries })
    }

    pub(super) fn string(&mut self, node: &Node, what: &str) -> Option<String> {
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

    pub(super) fn boolean(&mut self, node: Option<&Node>, what: &str, default: bool) -> bool {
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

    pub(super) fn integer(&mut self, node: &Node, what: &str) -> Option<i64> {
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

    pub(super) fn tnode(&mut self, node: &Node) -> Option<TNode> {
        match TNode::from_node(node) {
            Ok(tnode) => Some(tnode),
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }

    pub(super) fn map_of_tnodes(
        &mut self,
        node: Option<&Node>,
        what: &str,
    ) -> Vec<(String, TNode)> {
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
        let fields = self.fields(root, "a case", &format::CASE)?;
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
        let timeout = fields.get("timeout").and_then(|node| self.timeout(node));
        let public_env = match fields.get("public_env").map(|node| (node, &node.value)) {
            None => Vec::new(),
            Some((_, NodeValue::Seq(items))) => items
                .iter()
                .filter_map(|item| self.string(item, "a `public_env` name"))
                .collect(),
            Some((node, _)) => {
                self.problem(
                    node.at,
                    "`public_env` is a list of environment variable names".to_owned(),
                );
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
            timeout,
            public_env,
        };
        self.check_names(&case);
        Some(case)
    }

    fn timeout(&mut self, node: &Node) -> Option<std::time::Duration> {
        let text = self.string(node, "`timeout`")?;
        match crate::template::functions::parse_duration(&text) {
            Ok(duration) if !duration.is_zero() && duration <= crate::case::MAX_CASE_TIMEOUT => {
                Some(duration)
            }
            Ok(_) => {
                self.problem(
                    node.at,
                    format!(
                        "`timeout` is more than 0 and at most {} s, not `{text}`",
                        crate::case::MAX_CASE_TIMEOUT.as_secs()
                    ),
                );
                None
            }
            Err(message) => {
                self.problem(node.at, message);
                None
            }
        }
    }

    fn fixtures(&mut self, node: &Node) -> Fixtures {
        let mut fixtures = Fixtures::default();
        let Some(fields) = self.fields(node, "`fixtures`", &format::FIXTURES) else {
            return fixtures;
        };
        if let Some(tenant) = fields.get("tenant") {
            fixtures.tenant = self.tenant(tenant);
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

    /// `tenant: default | isolated | {isolated: true, requireEmailConfirmation: true}`.
    fn tenant(&mut self, node: &Node) -> Option<TenantSettings> {
        match &node.value {
            NodeValue::String(text) if text == "default" => None,
            NodeValue::String(text) if text == "isolated" => Some(TenantSettings {
                at: node.at,
                require_email_confirmation: false,
            }),
            NodeValue::Map(_) => {
                let options = self.fields(node, "`tenant`", &format::TENANT)?;
                let isolated = self.boolean(options.get("isolated"), "`isolated`", true);
                let require_email_confirmation = self.boolean(
                    options.get("requireEmailConfirmation"),
                    "`requireEmailConfirmation`",
                    false,
                );
                if require_email_confirmation && !isolated {
                    self.problem(node.at, "tenant settings need `isolated: true`".to_owned());
                }
                isolated.then_some(TenantSettings {
                    at: node.at,
                    require_email_confirmation,
                })
            }
            _ => {
                self.problem(
                    node.at,
                    "`tenant` is `default`, `isolated` or {isolated, requireEmailConfirmation}"
                        .to_owned(),
                );
                None
            }
        }
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
        let fields = self.fields(node, &format!("user `{name}`"), &format::USER)?;
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
                kind: TKind::Text(Template::parse("${email()}").ok()?),
            }),
            Some((node, _)) => self.tnode(node),
        };
        Some(UserFixture {
            name: name.to_owned(),
            at: node.at,
            tenant,
            verified: self.boolean(fields.get("verified"), "`verified`", true),
            fresh: self.boolean(fields.get("fresh"), "`fresh`", false),
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
        let fields = self.fields(node, &format!("request `{name}`"), &format::REQUEST)?;
        let owner = match fields.get("owner") {
            Some(owner) => {
                let owner_name = self.string(owner, "`owner`")?;
                if !users.iter().any(|user| user.name == owner_name) {
                    self.problem(
                        owner.at,
                        format!(
                            "`owner` names no user fixture: `{owner_name}`{}",
                            suggest::did_you_mean(
                                &owner_name,
                                users.iter().map(|user| user.name.as_str())
                            )
                        ),
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
            Some((_, NodeValue::String(text))) if text == "paid" => ProductRef::Paid,
            Some((node, NodeValue::Number(_))) => {
                let id = self.integer(node, "`product`")?;
                ProductRef::Id(i32::try_from(id).ok()?)
            }
            Some((node, _)) => {
                self.problem(
                    node.at,
                    "`product` is `auto-approved`, `needs-approval`, `paid` or a request type id"
                        .to_owned(),
                );
                return None;
            }
        };
        let status = match fields.get("status") {
            Some(status) => Some(self.status(status)?),
            None => None,
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

    /// Names are unique, none is reserved, and `as:` names a user.
    fn check_names(&mut self, case: &Case) {
        let mut seen: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
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
            if crate::case::RESERVED.contains(&name) {
                self.problem(
                    at,
                    format!("`{name}` is reserved for the harness's own values"),
                );
            }
            if !seen.insert(name) {
                self.problem(at, format!("`{name}` is defined twice"));
            }
        }
        for step in &case.steps {
            if let Some(http) = step.http()
                && let crate::case::Identity::User(user) = &http.identity
                && !case.fixtures.users.iter().any(|u| u.name == *user)
            {
                let names = case
                    .fixtures
                    .users
                    .iter()
                    .map(|u| u.name.as_str())
                    .chain(["admin", "nobody"]);
                self.problem(
                    step.at,
                    format!(
                        "`as: {user}` names no user fixture (nor `admin` or `nobody`){}",
                        suggest::did_you_mean(user, names)
                    ),
                );
            }
        }
    }
}
