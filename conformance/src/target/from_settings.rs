//! A target from a base URL and settings (the `VLENS_*` variables): a sandbox with its
//! documented credentials, each replaceable, or a remote Vlens with what the variables give.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use vlens_sandbox::defaults;

use super::env::{self, Settings};
use super::pool::Pool;
use super::profile::{self, PoolUserSpec};
use super::{
    OtpSource, Portal, Products, Target, TargetError, TargetKind, TenantCredentials, TimePolicy,
    http_client,
};
use crate::recipients::TestRange;
use crate::redact::Secrets;
use crate::template::Generators;
use crate::template::functions::Documents;

fn env_product(settings: &Settings, name: &'static str) -> Result<Option<i32>, TargetError> {
    settings
        .get(name)
        .map(|value| {
            value
                .trim()
                .parse::<i32>()
                .map_err(|_| TargetError::BadEnv {
                    name,
                    message: "must be a request type id (an integer)".to_owned(),
                })
        })
        .transpose()
}

/// A sandbox's credentials: its documented defaults, each replaceable by an env var.
pub(super) fn sandbox_target(
    base_url: String,
    kind: TargetKind,
    settings: &Settings,
) -> Result<Target, TargetError> {
    // The embedded sandbox always has its defaults; env vars describe a sandbox at a URL.
    let from_env = |name: &str| {
        (kind == TargetKind::SandboxAt)
            .then(|| settings.get(name))
            .flatten()
    };
    let main = TenantCredentials {
        name: from_env(env::TENANCY).unwrap_or_else(|| defaults::DEFAULT_TENANCY_NAME.to_owned()),
        api_key: from_env(env::API_KEY)
            .unwrap_or_else(|| defaults::DEFAULT_API_KEY.to_owned())
            .into(),
        admin_user: Some(
            from_env(env::ADMIN_USER).unwrap_or_else(|| defaults::ADMIN_USER_NAME.to_owned()),
        ),
        admin_password: Some(
            from_env(env::ADMIN_PASSWORD)
                .unwrap_or_else(|| defaults::ADMIN_PASSWORD.to_owned())
                .into(),
        ),
    };
    let other = TenantCredentials {
        name: from_env(env::OTHER_TENANCY)
            .unwrap_or_else(|| defaults::OTHER_TENANCY_NAME.to_owned()),
        api_key: from_env(env::OTHER_API_KEY)
            .unwrap_or_else(|| defaults::OTHER_API_KEY.to_owned())
            .into(),
        admin_user: Some(defaults::ADMIN_USER_NAME.to_owned()),
        admin_password: Some(defaults::ADMIN_PASSWORD.to_owned().into()),
    };
    let secrets = Secrets::default();
    main.register(&secrets);
    other.register(&secrets);
    let products = Products {
        auto_approved: Some(defaults::PERSONAL_LOAN_TYPE_ID),
        needs_approval: Some(defaults::COMMERCIAL_LEASE_TYPE_ID),
        paid: None,
    };
    let http = http_client([base_url.as_str()])?;
    Ok(Target {
        base_url,
        kind,
        name: String::new(),
        described_by: String::new(),
        main,
        other: Some(other),
        email_tenant: None,
        products,
        pool: Pool::default(),
        recipients: None,
        generators: Generators::sandbox().clone(),
        otp: OtpSource::ControlApi,
        portal: Portal::ControlApi,
        time: TimePolicy::sandbox(),
        fetch_origins: Vec::new(),
        secrets,
        http,
        _sandbox: None,
    })
}

/// A remote Vlens described by env vars alone: one pool user at most, no OTP source, no portal,
/// no test range (so nothing that messages anyone runs).
pub(super) fn remote_from_env(
    base_url: String,
    settings: &Settings,
) -> Result<Target, TargetError> {
    let main = TenantCredentials {
        name: settings.get(env::TENANCY).unwrap_or_default(),
        api_key: settings.get(env::API_KEY).unwrap_or_default().into(),
        admin_user: settings.get(env::ADMIN_USER),
        admin_password: settings.get(env::ADMIN_PASSWORD).map(SecretString::from),
    };
    let other = settings
        .get(env::OTHER_API_KEY)
        .map(|key| TenantCredentials {
            name: settings.get(env::OTHER_TENANCY).unwrap_or_default(),
            api_key: key.into(),
            admin_user: None,
            admin_password: None,
        });
    let users = match (
        settings.get(env::USER_PHONE),
        settings.get(env::USER_PASSWORD),
        settings.get(env::USER_IMEI),
    ) {
        (Some(phone), Some(password), Some(device)) => vec![PoolUserSpec {
            phone,
            password,
            device,
            transaction_id: settings.get(env::USER_TRANSACTION_ID),
            home: (defaults::DEFAULT_LATITUDE, defaults::DEFAULT_LONGITUDE),
            email: None,
            email_confirmed: true,
            tenant: profile::PoolTenant::Main,
        }],
        _ => Vec::new(),
    };
    let secrets = Secrets::default();
    main.register(&secrets);
    if let Some(other) = &other {
        other.register(&secrets);
    }
    for user in &users {
        secrets.add(&user.password, "password");
    }
    let http = http_client([base_url.as_str()])?;
    Ok(Target {
        base_url,
        kind: TargetKind::Remote,
        name: String::new(),
        described_by: String::new(),
        main,
        other,
        email_tenant: None,
        products: Products {
            auto_approved: env_product(settings, env::PRODUCT_AUTO_APPROVED)?,
            needs_approval: env_product(settings, env::PRODUCT_NEEDS_APPROVAL)?,
            paid: env_product(settings, env::PRODUCT_PAID)?,
        },
        pool: Pool::new(users, PathBuf::new()),
        recipients: Some(TestRange {
            phones: None,
            email_domain: None,
        }),
        generators: Generators {
            phones: None,
            email_domain: None,
            documents: Documents::Missing,
        },
        otp: OtpSource::None,
        portal: Portal::None,
        fetch_origins: Vec::new(),
        time: TimePolicy {
            clock: false,
            allow_wait: false,
            max_wait: None,
            otp_lifetime: None,
            signing_link_lifetime: None,
            access_token_lifetime: None,
        },
        secrets,
        http,
        _sandbox: None,
    })
}

/// Whether the target is a vlens-sandbox: its control API's health check answers, with the
/// ApiKey in use, as a sandbox does.
pub(super) async fn answers_health(target: &Target) -> bool {
    let reply = target
        .http
        .get(format!("{}/__sandbox/health", target.base_url))
        .header("ApiKey", target.main.api_key.expose_secret())
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let Ok(reply) = reply else {
        return false;
    };
    if !reply.status().is_success() {
        return false;
    }
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    body.pointer("/data/service").and_then(Value::as_str) == Some("vlens-sandbox")
}
