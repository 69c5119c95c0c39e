//! The model of a step: HTTP steps with their expectations and captures, and the steps whose
//! meaning depends on the target (`otp`, `wait`, `portal`).

use std::time::Duration;

use regex::Regex;
use serde_json::Value;
use vlens_openapi::ApiSpec;

use crate::problem::Pos;
use crate::template::TNode;

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

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its `name`, or `<number> <what it does>`.
    pub name: String,
    /// Where it starts.
    pub at: Pos,
    /// What it does.
    pub kind: StepKind,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Sends an HTTP request and checks the reply.
    Http(Box<HttpStep>),
    /// Reads the last OTP sent to someone (a sandbox's outbox, a staging profile's OTP command).
    Otp(OtpStep),
    /// Lets time pass (a sandbox's clock moves; on staging the run waits).
    Wait(WaitStep),
    /// Changes a request's status as the provider does in the Vlens portal.
    Portal(PortalStep),
}

impl Step {
    /// The HTTP step, when it is one.
    pub fn http(&self) -> Option<&HttpStep> {
        match &self.kind {
            StepKind::Http(http) => Some(http),
            _ => None,
        }
    }

    /// The operation it calls, with its spec, when it calls one.
    pub fn operation(&self) -> Option<(SpecKind, &str)> {
        match &self.http()?.action {
            Action::Call {
                spec, operation, ..
            } => Some((*spec, operation.as_str())),
            Action::Fetch { .. } => None,
        }
    }

    /// The captures it makes.
    pub fn captures(&self) -> &[Capture] {
        match &self.kind {
            StepKind::Http(http) => &http.captures,
            StepKind::Otp(otp) => &otp.captures,
            StepKind::Wait(_) | StepKind::Portal(_) => &[],
        }
    }

    /// What it does, for titles (`customer-sign-step-request-otp`, `fetch`, `otp`).
    pub fn label(&self) -> String {
        match &self.kind {
            StepKind::Http(http) => match &http.action {
                Action::Call { operation, .. } => operation.clone(),
                Action::Fetch { .. } => "fetch".to_owned(),
            },
            StepKind::Otp(_) => "otp".to_owned(),
            StepKind::Wait(_) => "wait".to_owned(),
            StepKind::Portal(_) => "portal".to_owned(),
        }
    }
}

/// What an HTTP step sends.
#[derive(Debug, Clone)]
pub enum Action {
    /// Calls an operation of one of the specs.
    Call {
        /// Which spec.
        spec: SpecKind,
        /// The operationId.
        operation: String,
        /// Where `operation:` is written.
        at: Pos,
    },
    /// GETs a URL taken from an earlier reply (no ApiKey, no token).
    Fetch {
        /// The URL.
        url: TNode,
    },
}

/// An HTTP step.
#[derive(Debug, Clone)]
pub struct HttpStep {
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
    /// Retrying (GET only), and where `retry:` is written.
    pub retry: Option<(Retry, Pos)>,
    /// What the reply must be.
    pub expect: Expect,
    /// Variables taken from the reply.
    pub captures: Vec<Capture>,
    /// Snapshot the reply.
    pub snapshot: Option<Snapshot>,
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

/// `snapshot: NAME` or `snapshot: {name: NAME, vary: [/pointer, ...]}`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The snapshot's name (unique in the suite).
    pub name: String,
    /// Values that differ from run to run on a shared target (a count that grows with the
    /// user's history): stored as `[varies]`.
    pub vary: Vec<String>,
}

/// Why an OTP was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpPurpose {
    /// Register/StepVerifyPhone.
    RegisterPhone,
    /// Register/StepVerifyEmail.
    RegisterEmail,
    /// End-user login from a new device.
    Login,
    /// CustomerSign/StepRequestOtp.
    Activation,
}

impl OtpPurpose {
    /// Every purpose with its name in cases, in the sandbox outbox and for OTP commands.
    pub const NAMES: [(&'static str, OtpPurpose); 4] = [
        ("register-phone", OtpPurpose::RegisterPhone),
        ("register-email", OtpPurpose::RegisterEmail),
        ("login", OtpPurpose::Login),
        ("activation", OtpPurpose::Activation),
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        OtpPurpose::NAMES
            .iter()
            .find(|(_, purpose)| *purpose == self)
            .map_or("?", |(name, _)| name)
    }
}

/// Where an OTP went.
#[derive(Debug, Clone)]
pub enum OtpRecipient {
    /// A phone number.
    Phone(TNode),
    /// An email address.
    Email(TNode),
}

/// `otp: {purpose, phone | email, request?}`: the code of the last OTP sent for that purpose,
/// as `{code}`; with `expect: {sent: false}`, that none was sent.
#[derive(Debug, Clone)]
pub struct OtpStep {
    /// Why it was sent.
    pub purpose: OtpPurpose,
    /// To whom.
    pub recipient: OtpRecipient,
    /// The business request (activation OTPs).
    pub request: Option<TNode>,
    /// Whether one must have been sent.
    pub sent: bool,
    /// Variables taken from `{code}`.
    pub captures: Vec<Capture>,
}

/// How long a wait step lets pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    /// Past the target's lifetime of something (plus a margin).
    Lifetime(Lifetime),
    /// This long.
    Fixed(Duration),
}

/// The lifetimes a target documents (a sandbox's defaults, a profile's `[time]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lifetime {
    /// An OTP's.
    Otp,
    /// A signing or payment link's (and its SecurityHash's).
    SigningLink,
    /// An access token's.
    AccessToken,
}

impl Lifetime {
    /// Every lifetime with its name in cases (`wait: otp-lifetime`) and profiles.
    pub const NAMES: [(&'static str, &'static str, Lifetime); 3] = [
        ("otp-lifetime", "otp_lifetime", Lifetime::Otp),
        (
            "signing-link-lifetime",
            "signing_link_lifetime",
            Lifetime::SigningLink,
        ),
        (
            "access-token-lifetime",
            "access_token_lifetime",
            Lifetime::AccessToken,
        ),
    ];

    /// Its name in cases.
    pub fn case_name(self) -> &'static str {
        Lifetime::NAMES
            .iter()
            .find(|(.., lifetime)| *lifetime == self)
            .map_or("?", |(name, ..)| name)
    }

    /// Its key in a profile's `[time]` table.
    pub fn profile_key(self) -> &'static str {
        Lifetime::NAMES
            .iter()
            .find(|(.., lifetime)| *lifetime == self)
            .map_or("?", |(_, key, _)| key)
    }
}

/// `wait: otp-lifetime` or `wait: 5s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitStep {
    /// How long.
    pub duration: WaitFor,
}

/// `portal: {request: "${loan.id}", status: approved}`.
#[derive(Debug, Clone)]
pub struct PortalStep {
    /// The request's id.
    pub request: TNode,
    /// The status to give it.
    pub status: i32,
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

/// The expectations of an HTTP step.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The HTTP status (default: 200, or the expected error's status).
    pub status: u16,
    /// Success, a given error, or anything.
    pub outcome: Outcome,
    /// Where `error:` is written.
    pub error_at: Option<Pos>,
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
    /// An array with an element that has these members (after interpolation):
    /// `{contains: {id: "${loan.id}"}}`.
    Contains(TNode),
    /// An array with no such element (a list that holds other things too on a shared target).
    Excludes(TNode),
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
    /// Every type with its name in cases.
    pub const NAMES: [(&'static str, JsonType); 7] = [
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
    /// Where it is written.
    pub at: Pos,
    /// The JSON pointer into the reply.
    pub pointer: String,
    /// Treat the value as a secret (always so for tokens, passwords, codes and keys).
    pub secret: bool,
}
