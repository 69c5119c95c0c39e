//! The commands a staging profile names: the OTP source (the team's SMS inbox, a fixed test
//! code, a script) and the portal (what a provider's admin does by hand: approve or reject a
//! request). Each call runs with a timeout and is killed past it; every failure says which
//! command, and never echoes what it printed on stdout (a code is a secret).

use std::process::Stdio;

use tokio::io::AsyncReadExt as _;
use tokio::process::Command;

use crate::case::OtpPurpose;
use crate::target::profile::CommandSpec;

/// The most a command may print on stdout (an OTP is a few digits).
const MAX_STDOUT: usize = 4096;
/// The most of stderr shown in a failure.
const SHOWN_STDERR: usize = 400;

/// Why a command did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// It could not be started.
    #[error("the {what} command `{program}` could not be started: {message}")]
    Spawn {
        /// `OTP` or `portal`.
        what: &'static str,
        /// The program.
        program: String,
        /// Why.
        message: String,
    },
    /// It ran past its timeout and was killed.
    #[error("the {what} command `{program}` did not finish within {seconds} s (killed)")]
    Timeout {
        /// `OTP` or `portal`.
        what: &'static str,
        /// The program.
        program: String,
        /// The timeout.
        seconds: u64,
    },
    /// It failed.
    #[error("the {what} command `{program}` failed ({status}){stderr}")]
    Failed {
        /// `OTP` or `portal`.
        what: &'static str,
        /// The program.
        program: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr, shortened.
        stderr: String,
    },
    /// It printed something that is not an answer.
    #[error("the {what} command `{program}` printed {problem}")]
    Output {
        /// `OTP` or `portal`.
        what: &'static str,
        /// The program.
        program: String,
        /// What is wrong with it (never the value).
        problem: String,
    },
}

/// Runs `spec` with `args` appended and `env` set; its trimmed stdout.
async fn run(
    what: &'static str,
    spec: &CommandSpec,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<String, CommandError> {
    let program = spec.argv.first().cloned().unwrap_or_default();
    let mut command = Command::new(&program);
    command
        .args(&spec.argv[1.min(spec.argv.len())..])
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|error| CommandError::Spawn {
        what,
        program: program.clone(),
        message: error.to_string(),
    })?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let finished = tokio::time::timeout(spec.timeout, async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let read_out = async {
            if let Some(stdout) = stdout.as_mut() {
                let _ = stdout
                    .take(MAX_STDOUT as u64 + 1)
                    .read_to_end(&mut out)
                    .await;
            }
        };
        let read_err = async {
            if let Some(stderr) = stderr.as_mut() {
                let _ = stderr.take(64 * 1024).read_to_end(&mut err).await;
            }
        };
        let ((), ()) = tokio::join!(read_out, read_err);
        (child.wait().await, out, err)
    })
    .await;
    let Ok((status, out, err)) = finished else {
        // `kill_on_drop` ends it when `child` goes out of scope.
        return Err(CommandError::Timeout {
            what,
            program,
            seconds: spec.timeout.as_secs(),
        });
    };
    let status = status.map_err(|error| CommandError::Spawn {
        what,
        program: program.clone(),
        message: error.to_string(),
    })?;
    if !status.success() {
        let text = String::from_utf8_lossy(&err);
        let text = text.trim();
        let shown: String = text.chars().take(SHOWN_STDERR).collect();
        return Err(CommandError::Failed {
            what,
            program,
            status: status.to_string(),
            stderr: if shown.is_empty() {
                String::new()
            } else {
                format!(": {shown}")
            },
        });
    }
    if out.len() > MAX_STDOUT {
        return Err(CommandError::Output {
            what,
            program,
            problem: format!("more than {MAX_STDOUT} bytes on stdout"),
        });
    }
    let out = String::from_utf8(out).map_err(|_| CommandError::Output {
        what,
        program: program.clone(),
        problem: "something that is not UTF-8".to_owned(),
    })?;
    Ok(out.trim().to_owned())
}

/// Whom an OTP was sent to.
#[derive(Debug, Clone, Copy)]
pub enum OtpTo<'a> {
    /// A phone number.
    Phone(&'a str),
    /// An email address.
    Email(&'a str),
}

/// Asks the OTP command for the code of the last OTP sent for `purpose` to `to` (and, for an
/// activation OTP, for `request`): `None` when it prints nothing (none was sent).
///
/// The command gets `PURPOSE RECIPIENT [REQUEST_ID]` as arguments and `VLENS_OTP_PURPOSE`,
/// `VLENS_OTP_PHONE` or `VLENS_OTP_EMAIL`, `VLENS_OTP_REQUEST_ID` and `VLENS_OTP_TENANT` in
/// its environment; it prints the code alone.
pub async fn otp_code(
    spec: &CommandSpec,
    purpose: OtpPurpose,
    to: OtpTo<'_>,
    request: Option<&str>,
    tenant: &str,
) -> Result<Option<String>, CommandError> {
    let (recipient, variable) = match to {
        OtpTo::Phone(phone) => (phone, "VLENS_OTP_PHONE"),
        OtpTo::Email(email) => (email, "VLENS_OTP_EMAIL"),
    };
    let mut args = vec![purpose.name(), recipient];
    args.extend(request);
    let env = [
        ("VLENS_OTP_PURPOSE", purpose.name()),
        (variable, recipient),
        ("VLENS_OTP_REQUEST_ID", request.unwrap_or("")),
        ("VLENS_OTP_TENANT", tenant),
    ];
    let out = run("OTP", spec, &args, &env).await?;
    if out.is_empty() {
        return Ok(None);
    }
    let plausible = out.len() <= 32 && out.bytes().all(|b| b.is_ascii_graphic());
    if !plausible {
        return Err(CommandError::Output {
            what: "OTP",
            program: spec.argv.first().cloned().unwrap_or_default(),
            problem: format!(
                "{} characters that are not one code (print the code alone, or nothing)",
                out.chars().count()
            ),
        });
    }
    Ok(Some(out))
}

/// Asks the portal command to give request `id` the status `status` (`approved`).
///
/// The command gets `REQUEST_ID STATUS` as arguments and `VLENS_REQUEST_ID`,
/// `VLENS_REQUEST_STATUS` (the name), `VLENS_REQUEST_STATUS_CODE` (the number) and
/// `VLENS_TENANT` in its environment; exit status 0 means done.
pub async fn set_status(
    spec: &CommandSpec,
    id: &str,
    status: i32,
    tenant: &str,
) -> Result<(), CommandError> {
    let name = crate::case::status_name(status).unwrap_or("unknown");
    let code = status.to_string();
    let env = [
        ("VLENS_REQUEST_ID", id),
        ("VLENS_REQUEST_STATUS", name),
        ("VLENS_REQUEST_STATUS_CODE", code.as_str()),
        ("VLENS_TENANT", tenant),
    ];
    run("portal", spec, &[id, name], &env).await.map(drop)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn shell(script: &str, seconds: u64) -> CommandSpec {
        CommandSpec {
            argv: vec![
                "sh".to_owned(),
                "-c".to_owned(),
                script.to_owned(),
                "sh".to_owned(),
            ],
            timeout: Duration::from_secs(seconds),
        }
    }

    #[tokio::test]
    async fn the_otp_command_gets_its_question_and_prints_the_code() {
        let spec = shell(
            "test \"$1 $2 $3\" = \"activation +201555000001 r-1\" && test \"$VLENS_OTP_PHONE\" = +201555000001 && echo ' 123456 '",
            10,
        );
        let code = otp_code(
            &spec,
            OtpPurpose::Activation,
            OtpTo::Phone("+201555000001"),
            Some("r-1"),
            "T",
        )
        .await;
        assert_eq!(code, Ok(Some("123456".to_owned())));
        let none = otp_code(
            &shell("true", 10),
            OtpPurpose::Login,
            OtpTo::Email("a@b.c"),
            None,
            "T",
        )
        .await;
        assert_eq!(none, Ok(None));
    }

    #[tokio::test]
    async fn failures_and_timeouts_are_clear_and_show_no_stdout() {
        let failed = otp_code(
            &shell("echo 999111; echo no inbox >&2; exit 3", 10),
            OtpPurpose::Login,
            OtpTo::Phone("+1"),
            None,
            "T",
        )
        .await
        .unwrap_err();
        let text = failed.to_string();
        assert!(
            text.contains("failed") && text.contains("no inbox") && !text.contains("999111"),
            "{text}"
        );
        let slow = otp_code(
            &shell("sleep 5", 1),
            OtpPurpose::Login,
            OtpTo::Phone("+1"),
            None,
            "T",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(slow, CommandError::Timeout { seconds: 1, .. }),
            "{slow}"
        );
        let chatty = otp_code(
            &shell("echo the code is 123456", 10),
            OtpPurpose::Login,
            OtpTo::Phone("+1"),
            None,
            "T",
        )
        .await
        .unwrap_err();
        assert!(!chatty.to_string().contains("123456"), "{chatty}");
        let missing = CommandSpec {
            argv: vec!["/nonexistent/otp".to_owned()],
            timeout: Duration::from_secs(1),
        };
        let error = otp_code(&missing, OtpPurpose::Login, OtpTo::Phone("+1"), None, "T")
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("could not be started"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn the_portal_command_gets_the_request_and_the_status() {
        let spec = shell(
            "test \"$1 $2 $VLENS_REQUEST_STATUS_CODE\" = \"r-1 rejected 3\"",
            10,
        );
        assert_eq!(set_status(&spec, "r-1", 3, "T").await, Ok(()));
        assert!(set_status(&spec, "r-1", 2, "T").await.is_err());
    }
}
