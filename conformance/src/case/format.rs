//! The case format as one table: every mapping of a case file, its keys, their types and what
//! they mean. The reader takes its known keys from here (an unknown key is named against this
//! list), and [`super::schema`] generates the committed JSON Schema from it, so the two cannot
//! disagree about which keys exist.

/// A value's type.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// Anything (a templated value: any YAML).
    Any,
    /// A string.
    Str,
    /// `true` or `false`.
    Bool,
    /// An integer within bounds.
    Int(i64, i64),
    /// A duration (`200ms`, `5s`, `2min`).
    Duration,
    /// A JSON pointer (`/data/id`).
    Pointer,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// An operationId of either spec.
    Operation,
    /// An error name of the spec.
    ErrorName,
    /// A request status: a name or 1 to 8.
    Status,
    /// A mapping of this shape.
    Obj(&'static Shape),
    /// A mapping of names to values of this type.
    MapOf(&'static Ty),
    /// A list.
    ListOf(&'static Ty),
    /// Any of these.
    OneOf(&'static [Ty]),
    /// Anything but a mapping.
    NotMap,
    /// `null` (or nothing).
    Null,
}

/// One key of a mapping.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key.
    pub name: &'static str,
    /// Its value's type.
    pub ty: Ty,
    /// Whether it must be there.
    pub required: bool,
    /// What it means.
    pub doc: &'static str,
}

/// A mapping of a case file.
#[derive(Debug)]
pub struct Shape {
    /// Its name in the schema's `$defs`.
    pub name: &'static str,
    /// What it is.
    pub doc: &'static str,
    /// Its keys.
    pub keys: &'static [Key],
    /// Exactly one of these keys must be there (an HTTP step's `operation` or `fetch`).
    pub exactly_one_of: &'static [&'static str],
}

impl Shape {
    /// Whether it has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|known| known.name == key)
    }

    /// Its keys' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.keys.iter().map(|key| key.name).collect()
    }
}

const fn key(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: true,
        doc,
    }
}

/// What a duration looks like (`200ms`, `5s`, `1.5min`, `2h`, `1d`).
pub const DURATION_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?(ms|s|min|h|d)$";

const STRINGS: Ty = Ty::ListOf(&Ty::Str);
const VALUES: Ty = Ty::MapOf(&Ty::Any);

/// A case file.
pub static CASE: Shape = Shape {
    name: "case",
    doc: "One conformance case (conformance/README.md, \"The case format\").",
    keys: &[
        required("name", Ty::Str, "What the case proves, as a sentence."),
        key("description", Ty::Str, "More words for people."),
        key("tags", STRINGS, "Tags."),
        key(
            "fixtures",
            Ty::Obj(&FIXTURES),
            "What exists before the first step.",
        ),
        key(
            "vars",
            VALUES,
            "Variables computed once the fixtures exist, in order; each must be read somewhere.",
        ),
        required(
            "steps",
            Ty::ListOf(&Ty::OneOf(&[
                Ty::Obj(&HTTP_STEP),
                Ty::Obj(&OTP_STEP),
                Ty::Obj(&WAIT_STEP),
                Ty::Obj(&PORTAL_STEP),
            ])),
            "The steps, in order (at least one).",
        ),
        key(
            "timeout",
            Ty::Duration,
            "How long the case may run (default 120s, at most 1h); its waits come on top.",
        ),
        key(
            "public_env",
            STRINGS,
            "Environment variables whose values may be shown (every other env.NAME is a secret).",
        ),
    ],
    exactly_one_of: &[],
};

/// `fixtures`.
pub static FIXTURES: Shape = Shape {
    name: "fixtures",
    doc: "What exists before the first step.",
    keys: &[
        key(
            "tenant",
            Ty::OneOf(&[Ty::Enum(&["default", "isolated"]), Ty::Obj(&TENANT)]),
            "Tenant settings of the case's own (sandbox only).",
        ),
        key("admin", Ty::Bool, "An admin token (admin.token)."),
        key(
            "users",
            Ty::MapOf(&Ty::OneOf(&[Ty::Obj(&USER), Ty::Null])),
            "End users, by variable name.",
        ),
        key(
            "requests",
            Ty::MapOf(&Ty::Obj(&REQUEST)),
            "Business requests, by variable name.",
        ),
    ],
    exactly_one_of: &[],
};

/// `fixtures.tenant` as a mapping.
pub static TENANT: Shape = Shape {
    name: "tenant",
    doc: "A tenant of the case's own, with settings.",
    keys: &[
        key("isolated", Ty::Bool, "A tenant of its own (default true)."),
        key(
            "requireEmailConfirmation",
            Ty::Bool,
            "Eligibility needs a confirmed email.",
        ),
    ],
    exactly_one_of: &[],
};

/// A user fixture.
pub static USER: Shape = Shape {
    name: "user",
    doc: "An end user (a pool user on staging).",
    keys: &[
        key("tenant", Ty::Enum(&["main", "other"]), "Its tenant."),
        key(
            "verified",
            Ty::Bool,
            "Has a completed identity verification (default true).",
        ),
        key("fresh", Ty::Bool, "Made for the case, with no history."),
        key(
            "location",
            Ty::Any,
            "Where it logs in from ({latitude, longitude}; default: where it registered).",
        ),
        key(
            "email",
            Ty::Any,
            "An email: true for a generated one, or an address.",
        ),
        key(
            "emailConfirmed",
            Ty::Bool,
            "Whether that email is confirmed (default true).",
        ),
        key("password", Ty::Bool, "The case reads user.password."),
    ],
    exactly_one_of: &[],
};

/// A request fixture.
pub static REQUEST: Shape = Shape {
    name: "request",
    doc: "A business request created before the steps.",
    keys: &[
        key(
            "owner",
            Ty::Str,
            "The user fixture that creates it (default: the only user).",
        ),
        key(
            "product",
            Ty::OneOf(&[
                Ty::Enum(&["auto-approved", "needs-approval", "paid"]),
                Ty::Int(1, i32::MAX as i64),
            ]),
            "Its product: a role or a request type id.",
        ),
        key("status", Ty::Status, "The status to bring it to."),
        key(
            "fields",
            VALUES,
            "Field values that replace the generated ones.",
        ),
    ],
    exactly_one_of: &[],
};

/// An HTTP step.
pub static HTTP_STEP: Shape = Shape {
    name: "http_step",
    doc: "Calls an operation, or GETs a URL from a reply, and checks the reply.",
    keys: &[
        key("name", Ty::Str, "Shown in messages."),
        key(
            "operation",
            Ty::Operation,
            "An operationId of openapi/vlens.yaml or openapi/sandbox-control.yaml.",
        ),
        key(
            "fetch",
            Ty::Str,
            "Instead of operation: GET this URL (taken from a reply) without ApiKey or token.",
        ),
        key(
            "as",
            Ty::OneOf(&[Ty::Str, Ty::Obj(&AS_TOKEN)]),
            "Who sends it: a user fixture, admin, nobody, or {token}.",
        ),
        key(
            "api_key",
            Ty::Any,
            "tenant (default), none, wrong, other-tenant, or a value.",
        ),
        key("path", VALUES, "Path parameters."),
        key("query", VALUES, "Query parameters."),
        key("headers", VALUES, "Headers."),
        key("body", Ty::Any, "The JSON body."),
        key("raw_body", Ty::Str, "A body sent as it is."),
        key("content_type", Ty::Str, "The Content-Type to send."),
        key(
            "method",
            Ty::Str,
            "Send with this method instead of the operation's.",
        ),
        key(
            "invalid",
            Ty::Bool,
            "The request breaks the spec on purpose.",
        ),
        key(
            "retry",
            Ty::Obj(&RETRY),
            "GET only: resend until the expectations hold.",
        ),
        key("expect", Ty::Obj(&EXPECT), "What the reply must be."),
        key(
            "capture",
            Ty::MapOf(&Ty::OneOf(&[Ty::Pointer, Ty::Obj(&CAPTURE)])),
            "Variables from the reply, by JSON pointer.",
        ),
        key(
            "snapshot",
            Ty::OneOf(&[Ty::Str, Ty::Obj(&SNAPSHOT)]),
            "Snapshot the reply under this name (a-z0-9-_).",
        ),
    ],
    exactly_one_of: &["operation", "fetch"],
};

/// `as: {token}`.
pub static AS_TOKEN: Shape = Shape {
    name: "as_token",
    doc: "Send with this bearer token.",
    keys: &[required("token", Ty::Any, "The token.")],
    exactly_one_of: &[],
};

/// `retry`.
pub static RETRY: Shape = Shape {
    name: "retry",
    doc: "Resend a GET until its expectations hold.",
    keys: &[
        key(
            "count",
            Ty::Int(0, 100),
            "Retries after the first attempt (default 3).",
        ),
        key(
            "interval",
            Ty::Duration,
            "The pause between attempts (default 200ms, at most 60s).",
        ),
    ],
    exactly_one_of: &[],
};

/// `expect` of an HTTP step.
pub static EXPECT: Shape = Shape {
    name: "expect",
    doc: "What the reply must be.",
    keys: &[
        key(
            "status",
            Ty::Int(100, 599),
            "The HTTP status (default 200, or the expected error's).",
        ),
        key(
            "success",
            Ty::Bool,
            "error_code null or 0 (the default for operations).",
        ),
        key(
            "error",
            Ty::ErrorName,
            "An error the operation declares (or a transport error).",
        ),
        key(
            "json",
            Ty::MapOf(&Ty::OneOf(&[Ty::Obj(&CHECK), Ty::NotMap])),
            "JSON pointer to a check, or to the value it must equal.",
        ),
        key("content_type", Ty::Str, "The reply's Content-Type."),
        key("pdf", Ty::Bool, "The body is a PDF."),
        key("body_contains", Ty::Any, "Text the body contains."),
    ],
    exactly_one_of: &[],
};

/// A JSON check.
pub static CHECK: Shape = Shape {
    name: "check",
    doc: "What must hold at a JSON pointer.",
    keys: &[
        key("equals", Ty::Any, "Equals this (after interpolation)."),
        key("matches", Ty::Str, "A string matching this regex."),
        key(
            "type",
            Ty::Enum(&[
                "null", "boolean", "number", "integer", "string", "array", "object",
            ]),
            "The JSON type.",
        ),
        key(
            "exists",
            Ty::Bool,
            "Something is there (or, false, nothing).",
        ),
        key("absent", Ty::Bool, "Nothing is there."),
        key(
            "length",
            Ty::Int(0, i64::MAX),
            "The length of an array, string or object.",
        ),
        key(
            "contains",
            Ty::Any,
            "An array with an element that has these members.",
        ),
        key("excludes", Ty::Any, "An array with no such element."),
    ],
    exactly_one_of: &[],
};

/// A capture with options.
pub static CAPTURE: Shape = Shape {
    name: "capture",
    doc: "A variable from the reply.",
    keys: &[
        required("pointer", Ty::Pointer, "The JSON pointer."),
        key("secret", Ty::Bool, "Treat the value as a secret."),
    ],
    exactly_one_of: &[],
};

/// `snapshot` with options.
pub static SNAPSHOT: Shape = Shape {
    name: "snapshot",
    doc: "Snapshot the reply.",
    keys: &[
        required(
            "name",
            Ty::Str,
            "The snapshot's name (a-z0-9-_, unique in the suite).",
        ),
        key(
            "vary",
            STRINGS,
            "JSON pointers whose values are stored as [varies].",
        ),
    ],
    exactly_one_of: &[],
};

/// An OTP step.
pub static OTP_STEP: Shape = Shape {
    name: "otp_step",
    doc: "Reads the last OTP sent to someone, as {code}.",
    keys: &[
        key("name", Ty::Str, "Shown in messages."),
        required("otp", Ty::Obj(&OTP), "Which OTP."),
        key("expect", Ty::Obj(&OTP_EXPECT), "Whether one was sent."),
        key(
            "capture",
            Ty::MapOf(&Ty::OneOf(&[Ty::Pointer, Ty::Obj(&CAPTURE)])),
            "Variables from {code}.",
        ),
    ],
    exactly_one_of: &[],
};

/// `otp`.
pub static OTP: Shape = Shape {
    name: "otp",
    doc: "An OTP by purpose and recipient.",
    keys: &[
        required(
            "purpose",
            Ty::Enum(&["register-phone", "register-email", "login", "activation"]),
            "Why it was sent.",
        ),
        key("phone", Ty::Any, "The phone it went to."),
        key("email", Ty::Any, "Or the email."),
        key("request", Ty::Any, "The business request (activation)."),
    ],
    exactly_one_of: &[],
};

/// An OTP step's `expect`.
pub static OTP_EXPECT: Shape = Shape {
    name: "otp_expect",
    doc: "Whether an OTP was sent.",
    keys: &[key(
        "sent",
        Ty::Bool,
        "One must have been sent (default true).",
    )],
    exactly_one_of: &[],
};

/// A wait step.
pub static WAIT_STEP: Shape = Shape {
    name: "wait_step",
    doc: "Lets time pass.",
    keys: &[
        key("name", Ty::Str, "Shown in messages."),
        required(
            "wait",
            Ty::Str,
            "otp-lifetime, signing-link-lifetime, access-token-lifetime, or a duration.",
        ),
    ],
    exactly_one_of: &[],
};

/// A portal step.
pub static PORTAL_STEP: Shape = Shape {
    name: "portal_step",
    doc: "Changes a request's status as the provider's portal does.",
    keys: &[
        key("name", Ty::Str, "Shown in messages."),
        required("portal", Ty::Obj(&PORTAL), "Which request, which status."),
    ],
    exactly_one_of: &[],
};

/// `portal`.
pub static PORTAL: Shape = Shape {
    name: "portal",
    doc: "A request and its new status.",
    keys: &[
        required("request", Ty::Any, "The request's id."),
        required("status", Ty::Status, "approved, rejected, ... or 1 to 8."),
    ],
    exactly_one_of: &[],
};
