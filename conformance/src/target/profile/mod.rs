//! A target profile: one TOML file per environment that says what a Vlens tenant gives the
//! suite — credentials (as the names of environment variables, never values), a pool of
//! pre-verified users, product ids, the test range of phone numbers and email addresses, the
//! OTP and portal commands, the lifetimes and waits, the test identity's documents.
//! `conformance/targets/staging.example.toml` documents every key.
//!
//! Every problem names the file and, where the file has one, the line and column.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::problem::Pos;
use crate::recipients::TestRange;
use crate::template::functions::{IdentityDocuments, parse_duration};

mod sections;

use sections::{documents, recipients, users};

/// The largest identity document read from a profile (the sandbox's image limit is 500 KB;
/// real documents are a few hundred KB).
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// The most users a pool may have (each is a lock file and a login per case).
pub const MAX_POOL_USERS: usize = 1000;

/// A profile that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", at.map(|at| format!(":{at}")).unwrap_or_default())]
pub struct ProfileError {
    /// The profile file, as given.
    pub file: String,
    /// Where in it, when known.
    pub at: Option<Pos>,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: Spanned<String>,
    base_url: Spanned<String>,
    tenant: RawTenant,
    other_tenant: Option<RawTenant>,
    email_tenant: Option<RawTenant>,
    #[serde(default)]
    products: RawProducts,
    messages: Option<RawMessages>,
    otp: Option<RawCommand>,
    portal: Option<RawCommand>,
    #[serde(default)]
    time: RawTime,
    identity: Option<RawIdentity>,
    #[serde(default)]
    fetch_origins: Vec<String>,
    users: Option<Spanned<Vec<RawUser>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    name: String,
    api_key_env: Spanned<String>,
    admin_user: Option<String>,
    admin_password_env: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProducts {
    auto_approved: Option<i32>,
    needs_approval: Option<i32>,
    paid: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessages {
    phones: Option<Spanned<String>>,
    email_domain: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    command: Spanned<Vec<String>>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTime {
    max_wait: Option<Spanned<String>>,
    otp_lifetime: Option<Spanned<String>>,
    signing_link_lifetime: Option<Spanned<String>>,
    access_token_lifetime: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    id_front: Spanned<String>,
    id_back: Spanned<String>,
    faces: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    phone: Spanned<String>,
    password_env: Spanned<String>,
    device: String,
    transaction_id: Option<String>,
    home: RawPoint,
    email: Option<String>,
    #[serde(default)]
    email_confirmed: Option<bool>,
    tenant: Option<Spanned<String>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    latitude: f64,
    longitude: f64,
}

/// A tenant of the profile, its secrets read from the environment.
#[derive(Clone)]
pub struct ProfileTenant {
    /// The tenancy name.
    pub name: String,
    /// The ApiKey.
    pub api_key: String,
    /// An admin user, if given.
    pub admin_user: Option<String>,
    /// Its password.
    pub admin_password: Option<String>,
}

/// An external command (the OTP source, the portal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The program and its first arguments; a program with a `/` is relative to the profile.
    pub argv: Vec<String>,
    /// How long one call may take.
    pub timeout: Duration,
}

/// A pool user as the profile gives it.
#[derive(Clone)]
pub struct PoolUserSpec {
    /// The phone number (its identity on the target, inside the test range).
    pub phone: String,
    /// Its password.
    pub password: String,
    /// A device it already used, so that login sends no SMS.
    pub device: String,
    /// Its completed KYC transaction.
    pub transaction_id: Option<String>,
    /// Where it registered: the reference point it is brought back to.
    pub home: (f64, f64),
    /// Its email, if it has one.
    pub email: Option<String>,
    /// Whether that email is confirmed.
    pub email_confirmed: bool,
    /// Its tenant.
    pub tenant: PoolTenant,
}

/// Which of a profile's tenants a pool user belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolTenant {
    /// `[tenant]`.
    Main,
    /// `[other_tenant]`.
    Other,
    /// `[email_tenant]`: its settings require a confirmed email for eligibility.
    EmailRequired,
}

/// Waits and lifetimes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeSpec {
    /// Waits up to this long run without `--allow-wait`.
    pub max_wait: Option<Duration>,
    /// How long an OTP lives on the target.
    pub otp_lifetime: Option<Duration>,
    /// How long a signing or payment link lives.
    pub signing_link_lifetime: Option<Duration>,
    /// How long an access token lives.
    pub access_token_lifetime: Option<Duration>,
}

/// Reads the environment variable a `*_env` key names (`key` says which key, for messages).
type SecretOf<'a> = dyn Fn(&Spanned<String>, &str) -> Result<String, ProfileError> + 'a;

/// A loaded, checked profile. `Debug` never shows a secret.
#[derive(Clone)]
pub struct Profile {
    /// The file it came from.
    pub file: PathBuf,
    /// The target's name: its snapshot directory and calibration report.
    pub name: String,
    /// The base URL.
    pub base_url: String,
    /// The tenant the cases run in.
    pub tenant: ProfileTenant,
    /// A second tenant.
    pub other_tenant: Option<ProfileTenant>,
    /// A tenant whose settings require a confirmed email for eligibility.
    pub email_tenant: Option<ProfileTenant>,
    /// Product ids by role: approved on creation, needs approval, paid.
    pub products: (Option<i32>, Option<i32>, Option<i32>),
    /// Who may receive messages.
    pub recipients: TestRange,
    /// Prints an OTP's code.
    pub otp: Option<CommandSpec>,
    /// Changes a request's status as a portal admin would.
    pub portal: Option<CommandSpec>,
    /// Waits and lifetimes.
    pub time: TimeSpec,
    /// The test identity's documents, base64.
    pub identity: Option<IdentityDocuments>,
    /// Origins besides the base URL's that `fetch` steps may GET.
    pub fetch_origins: Vec<String>,
    /// The pool.
    pub users: Vec<PoolUserSpec>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("file", &self.file)
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

/// The text positions of a profile, for messages.
struct Source<'t> {
    file: String,
    text: &'t str,
}

impl Source<'_> {
    fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ProfileError {
        ProfileError {
            file: self.file.clone(),
            at: span.map(|span| self.position(span.start)),
            message: message.into(),
        }
    }

    fn position(&self, offset: usize) -> Pos {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |last| last.chars().count())
            + 1;
        Pos {
            line: line as u64,
            column: column as u64,
        }
    }
}

/// Reads and checks a profile; `var` reads an environment variable (the process's, or a test's).
pub fn load(path: &Path, var: &dyn Fn(&str) -> Option<String>) -> Result<Profile, ProfileError> {
    let file = path.display().to_string();
    let unreadable = |message: String| ProfileError {
        file: file.clone(),
        at: None,
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|error| unreadable(format!("cannot read the profile: {error}")))?
        .len();
    if size > 1024 * 1024 {
        return Err(unreadable(format!(
            "the profile is {size} bytes; a profile is a small TOML file"
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|error| unreadable(format!("cannot read the profile: {error}")))?;
    let source = Source {
        file: file.clone(),
        text: &text,
    };
    let raw: Raw = toml::from_str(&text)
        .map_err(|error| source.error(error.span(), first_line(error.message())))?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_owned();
    build(raw, &source, &dir, var)
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

fn build(
    raw: Raw,
    source: &Source<'_>,
    dir: &Path,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Profile, ProfileError> {
    let name = raw.name.get_ref().clone();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(source.error(
            Some(raw.name.span()),
            format!("`name` names a directory: letters, digits, `.`, `_`, `-`, not `{name}`"),
        ));
    }
    let base_url = raw.base_url.get_ref().trim_end_matches('/').to_owned();
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        return Err(source.error(
            Some(raw.base_url.span()),
            format!("`base_url` is an http(s) URL, not `{base_url}`"),
        ));
    }
    let secret = |name: &Spanned<String>, key: &str| -> Result<String, ProfileError> {
        var(name.get_ref())
            .filter(|value| !value.trim().is_empty())
            .ok_or_else(|| {
                source.error(
                    Some(name.span()),
                    format!(
                        "environment variable `{}` ({key}) is not set",
                        name.get_ref()
                    ),
                )
            })
    };
    let tenant = |raw: &RawTenant, table: &str| -> Result<ProfileTenant, ProfileError> {
        Ok(ProfileTenant {
            name: raw.name.clone(),
            api_key: secret(&raw.api_key_env, &format!("{table}.api_key_env"))?,
            admin_user: raw.admin_user.clone(),
            admin_password: raw
                .admin_password_env
                .as_ref()
                .map(|name| secret(name, &format!("{table}.admin_password_env")))
                .transpose()?,
        })
    };
    let main = tenant(&raw.tenant, "tenant")?;
    let other_tenant = raw
        .other_tenant
        .as_ref()
        .map(|raw| tenant(raw, "other_tenant"))
        .transpose()?;
    let recipients = recipients(raw.messages.as_ref(), source)?;
    let duration = |value: &Option<Spanned<String>>| -> Result<Option<Duration>, ProfileError> {
        value
            .as_ref()
            .map(|text| {
                parse_duration(text.get_ref())
                    .map_err(|message| source.error(Some(text.span()), message))
            })
            .transpose()
    };
    let command =
        |raw: &Option<RawCommand>, table: &str| -> Result<Option<CommandSpec>, ProfileError> {
            let Some(raw) = raw else {
                return Ok(None);
            };
            let mut argv = raw.command.get_ref().clone();
            let Some(program) = argv.first_mut() else {
                return Err(source.error(
                    Some(raw.command.span()),
                    format!("`{table}.command` names a program: [\"path/to/script\", \"args\"...]"),
                ));
            };
            if program.contains('/') && Path::new(program.as_str()).is_relative() {
                *program = dir.join(&*program).display().to_string();
            }
            let timeout = duration(&raw.timeout)?.unwrap_or(Duration::from_secs(60));
            Ok(Some(CommandSpec { argv, timeout }))
        };
    let time = TimeSpec {
        max_wait: duration(&raw.time.max_wait)?,
        otp_lifetime: duration(&raw.time.otp_lifetime)?,
        signing_link_lifetime: duration(&raw.time.signing_link_lifetime)?,
        access_token_lifetime: duration(&raw.time.access_token_lifetime)?,
    };
    let identity = raw
        .identity
        .as_ref()
        .map(|identity| documents(identity, source, dir))
        .transpose()?;
    let email_tenant = raw
        .email_tenant
        .as_ref()
        .map(|raw| tenant(raw, "email_tenant"))
        .transpose()?;
    let users = users(
        &raw,
        source,
        &recipients,
        (other_tenant.is_some(), email_tenant.is_some()),
        &secret,
    )?;
    Ok(Profile {
        file: PathBuf::from(&source.file),
        name,
        base_url,
        tenant: main,
        other_tenant,
        email_tenant,
        products: (
            raw.products.auto_approved,
            raw.products.needs_approval,
            raw.products.paid,
        ),
        recipients,
        otp: command(&raw.otp, "otp")?,
        portal: command(&raw.portal, "portal")?,
        time,
        identity,
        fetch_origins: raw.fetch_origins.clone(),
        users,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const GOOD: &str = r#"
name = "standin"
base_url = "http://127.0.0.1:9/"

[tenant]
name = "Default"
api_key_env = "KEY"
admin_user = "admin"
admin_password_env = "ADMIN_PW"

[products]
auto_approved = 414

[messages]
phones = "+20155500####"
email_domain = "qa.example.com"

[otp]
command = ["bin/otp", "--flag"]
timeout = "5s"

[time]
otp_lifetime = "3s"

[[users]]
phone = "+201555000001"
password_env = "PW"
device = "d1"
home = { latitude = 30.0444, longitude = 31.2357 }
"#;

    fn env() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("KEY", "k-secret"),
            ("ADMIN_PW", "a-secret"),
            ("PW", "p-secret"),
        ])
    }

    fn load_text(
        text: &str,
        vars: &HashMap<&'static str, &'static str>,
    ) -> Result<Profile, ProfileError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, text).unwrap();
        load(&path, &|name| vars.get(name).map(|v| (*v).to_owned())).map_err(|mut e| {
            e.file = "p.toml".to_owned();
            e
        })
    }

    #[test]
    fn a_good_profile_loads_with_its_secrets_from_the_environment() {
        let profile = load_text(GOOD, &env()).unwrap();
        assert_eq!(profile.name, "standin");
        assert_eq!(profile.base_url, "http://127.0.0.1:9");
        assert_eq!(profile.tenant.api_key, "k-secret");
        assert_eq!(profile.users[0].password, "p-secret");
        assert_eq!(profile.time.otp_lifetime, Some(Duration::from_secs(3)));
        let otp = profile.otp.as_ref().unwrap();
        assert!(
            otp.argv[0].ends_with("/bin/otp") && otp.argv[1] == "--flag",
            "{otp:?}"
        );
        assert!(!format!("{profile:?}").contains("secret"));
    }

    #[test]
    fn a_missing_variable_is_named_with_its_line() {
        let mut vars = env();
        vars.remove("PW");
        let error = load_text(GOOD, &vars).unwrap_err().to_string();
        assert_eq!(
            error,
            "p.toml:27:16: environment variable `PW` (users.password_env) is not set"
        );
    }

    #[test]
    fn bad_profiles_name_the_place() {
        for (change, expected) in [
            (
                ("phone = \"+201555000001\"", "phone = \"+201000000001\""),
                "p.toml:26:9: pool user `+201000000001` is outside the test range",
            ),
            (("[[users]]", "[[nobody]]"), "unknown field `nobody`"),
            (
                ("timeout = \"5s\"", "timeout = \"5 parsecs\""),
                "p.toml:20:11: `5 parsecs` is not a duration",
            ),
            (
                ("name = \"standin\"", "name = \"../up\""),
                "p.toml:2:8: `name` names a directory",
            ),
        ] {
            let text = GOOD.replace(change.0, change.1);
            let error = load_text(&text, &env()).unwrap_err().to_string();
            assert!(error.contains(expected), "{change:?}: {error}");
        }
        let empty = GOOD.split("[[users]]").next().unwrap_or_default();
        let error = load_text(empty, &env()).unwrap_err().to_string();
        assert!(error.starts_with("p.toml: the pool is empty"), "{error}");
    }
}
