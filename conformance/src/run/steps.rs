//! The steps whose meaning depends on the target: reading an OTP, letting time pass, changing
//! a status as the provider's portal does.

use std::time::Duration;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::case::{OtpRecipient, OtpStep, PortalStep, TenantRef, WaitFor, WaitStep};
use crate::run::remote;
use crate::run::state::State;
use crate::target::WAIT_MARGIN;
use crate::target::commands::OtpTo;

/// Reads the OTP an `otp` step names; its captures read `{code}`.
pub(crate) async fn otp(state: &mut State<'_>, step: &OtpStep) -> Result<(), String> {
    let (recipient, is_phone) = match &step.recipient {
        OtpRecipient::Phone(node) => (state.evaluate_text(node)?, true),
        OtpRecipient::Email(node) => (state.evaluate_text(node)?, false),
    };
    let request = step
        .request
        .as_ref()
        .map(|node| state.evaluate_text(node))
        .transpose()?;
    // The OTP of a user of the second tenant is in that tenant's outbox.
    let tenant = state
        .users
        .values()
        .find(|user| {
            if is_phone {
                user.phone == recipient
            } else {
                user.email.as_deref() == Some(recipient.as_str())
            }
        })
        .map_or(TenantRef::Main, |user| user.tenant);
    let to = if is_phone {
        OtpTo::Phone(&recipient)
    } else {
        OtpTo::Email(&recipient)
    };
    let code = remote::read_otp(state, step.purpose, to, request.as_deref(), tenant).await?;
    match (code, step.sent) {
        (Some(code), true) => {
            let reply = json!({ "code": code });
            for capture in &step.captures {
                let value = reply.pointer(&capture.pointer).cloned().ok_or_else(|| {
                    format!(
                        "capture `{}`: an OTP is `{{code}}`, it has nothing at `{}`",
                        capture.name, capture.pointer
                    )
                })?;
                state.vars.insert(capture.name.clone(), value);
            }
            Ok(())
        }
        (None, false) => Ok(()),
        (Some(_), false) => Err(format!(
            "expected no {} OTP to have been sent, one was",
            step.purpose.name()
        )),
        (None, true) => Err(format!(
            "no {} OTP was sent (the OTP source has none)",
            step.purpose.name()
        )),
    }
}

/// How long a wait step lasts on this target (the plan made sure it is known).
pub(crate) fn duration(state: &State<'_>, step: &WaitStep) -> Result<Duration, String> {
    match step.duration {
        WaitFor::Fixed(duration) => Ok(duration),
        WaitFor::Lifetime(lifetime) => state
            .target
            .time
            .lifetime(lifetime)
            .map(|lifetime| lifetime + WAIT_MARGIN)
            .ok_or_else(|| format!("the target does not say its {}", lifetime.case_name())),
    }
}

/// Lets time pass: a sandbox moves the case's tenant's clock; elsewhere the run waits.
pub(crate) async fn wait(state: &State<'_>, step: &WaitStep) -> Result<(), String> {
    let duration = duration(state, step)?;
    if state.target.time.clock {
        // The kit moves the clock by whole seconds, rounded up.
        let kit = state.kit(state.main.api_key.expose_secret())?;
        let moved = kit.advance_clock(duration).await;
        state
            .control(Method::POST, "/__sandbox/clock", moved)
            .map(drop)
    } else {
        eprintln!(
            "vlens-conformance: {}: waiting {} s",
            state.file,
            duration.as_secs()
        );
        tokio::time::sleep(duration).await;
        Ok(())
    }
}

/// Gives a request a status as the provider's portal does.
pub(crate) async fn portal(state: &State<'_>, step: &PortalStep) -> Result<(), String> {
    let id = state.evaluate_text(&step.request)?;
    // A request lives in its owner's tenant.
    let tenant = state
        .created
        .iter()
        .find(|(known, _)| *known == id)
        .and_then(|(_, owner)| state.users.get(owner))
        .map_or(TenantRef::Main, |user| user.tenant);
    remote::portal(state, &id, step.status, tenant).await
}
