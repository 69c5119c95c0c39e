//! Fixtures on a shared target, where there is no control API: users come from the pool
//! (checked out exclusively, healed on checkout) or are registered through the API; OTPs come
//! from the profile's OTP command, statuses from the API's own activation or the profile's
//! portal command. After the case, what it left is settled — an open request is activated or
//! closed, the reference point goes back home — before its users return to the pool, so a
//! second run finds the target as the first did.

use std::collections::BTreeMap;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::case::{OPEN_STATUSES, OtpPurpose, TenantRef, UserFixture};
use crate::http::FixtureCall;
use crate::plan::{Plan, UserSource};
use crate::run::fixtures::{geo_now, set_status};
use crate::run::state::State;
use crate::target::commands::{self, OtpTo};
use crate::target::pool::{CHECKOUT_PATIENCE, Checkout};
use crate::target::profile::{PoolTenant, PoolUserSpec};
use crate::target::{OtpSource, Portal};
use crate::template::value_text;

/// The pool users of one case, by fixture name, held until the case is settled.
#[derive(Default)]
pub(crate) struct Lease {
    checkout: Option<Checkout>,
    next: usize,
    users: BTreeMap<String, PoolUserSpec>,
}

/// Checks out the pool users the plan asks for (none on a sandbox).
pub(crate) async fn checkout(state: &State<'_>, plan: &Plan) -> Result<Lease, String> {
    let wanted: Vec<_> = plan
        .users
        .iter()
        .filter_map(|user| match user.source {
            UserSource::Pool(wanted) => Some(wanted),
            _ => None,
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Lease::default());
    }
    let checkout = state
        .target
        .pool
        .checkout(&wanted, CHECKOUT_PATIENCE)
        .await
        .map_err(|error| format!("pool users: {error}"))?;
    Ok(Lease {
        checkout: Some(checkout),
        next: 0,
        users: BTreeMap::new(),
    })
}

impl Lease {
    /// Logs the next checked-out user in as `user`: at home first (bringing its reference
    /// point back and healing whatever an interrupted run left), then at the fixture's
    /// location when it has one.
    pub(crate) async fn log_in(
        &mut self,
        state: &mut State<'_>,
        user: &UserFixture,
        location: &Option<Value>,
    ) -> Result<Value, String> {
        let pool_user = self
            .checkout
            .as_ref()
            .and_then(|checkout| checkout.users.get(self.next))
            .cloned()
            .ok_or("no pool user was checked out for this fixture")?;
        self.next += 1;
        state.secrets.add(&pool_user.password, "password");
        let home = home(&pool_user);
        let mut data = login(state, &pool_user, user.tenant, &home).await?;
        heal(state, &pool_user, user.tenant, &data).await?;
        if let Some(location) = location
            && *location != home
        {
            data = login(state, &pool_user, user.tenant, location).await?;
        }
        self.users.insert(user.name.clone(), pool_user.clone());
        Ok(json!({
            "accessToken": data.get("accessToken").cloned().unwrap_or(Value::Null),
            "refreshToken": data.get("refreshToken").cloned().unwrap_or(Value::Null),
            "userId": data.pointer("/user/id").cloned().unwrap_or(Value::Null),
            "phoneNumber": pool_user.phone,
            "email": pool_user.email,
            "imei": pool_user.device,
            "password": pool_user.password,
            "transactionId": pool_user.transaction_id,
            "idNumber": data.pointer("/user/idNumber").cloned().unwrap_or(Value::Null),
            "isDigitalIdentityVerified": data.get("isDigitalIdentityVerified").cloned().unwrap_or(Value::Null),
            "location": location.clone().unwrap_or(home),
        }))
    }

    /// Settles what the case left, then gives the users back: each request it created for a
    /// pool user that is still open is activated (or closed in the portal), and each pool user
    /// logs in at home again. Every failure is reported; the users go back regardless (the
    /// next checkout heals them).
    pub(crate) async fn settle(self, state: &mut State<'_>) -> Result<(), String> {
        let mut problems = Vec::new();
        for (id, owner) in std::mem::take(&mut state.created) {
            let Some(pool_user) = self.users.get(&owner) else {
                continue;
            };
            let tenant = tenant_of(pool_user);
            let home = home(pool_user);
            let settled = async {
                let data = login(state, pool_user, tenant, &home).await?;
                let token = token_of(&data)?;
                settle_request(state, pool_user, tenant, &token, &id, &home).await
            }
            .await;
            if let Err(problem) = settled {
                problems.push(format!("request {id} of `{owner}`: {problem}"));
            }
        }
        for (name, pool_user) in &self.users {
            if let Err(problem) =
                login(state, pool_user, tenant_of(pool_user), &home(pool_user)).await
            {
                problems.push(format!("`{name}` back home: {problem}"));
            }
        }
        drop(self.checkout);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "what the case left could not be settled (the next checkout retries): {}",
                problems.join("; ")
            ))
        }
    }
}

fn home(user: &PoolUserSpec) -> Value {
    json!({ "latitude": user.home.0, "longitude": user.home.1 })
}

/// A pool user's tenant as the case sees it: the email tenant, when a case takes users of it,
/// is that case's main tenant.
fn tenant_of(user: &PoolUserSpec) -> TenantRef {
    match user.tenant {
        PoolTenant::Other => TenantRef::Other,
        PoolTenant::Main | PoolTenant::EmailRequired => TenantRef::Main,
    }
}

pub(crate) fn token_of(data: &Value) -> Result<String, String> {
    data.get("accessToken")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "login answered no accessToken (is the device known?)".to_owned())
}

pub(crate) fn key(state: &State<'_>, tenant: TenantRef) -> Result<String, String> {
    Ok(state.tenant(tenant)?.api_key.expose_secret().to_owned())
}

/// Logs a pool user in at `location` (a known device: no SMS). Its `data`.
async fn login(
    state: &State<'_>,
    user: &PoolUserSpec,
    tenant: TenantRef,
    location: &Value,
) -> Result<Value, String> {
    let body = json!({
        "phoneNumber": user.phone,
        "password": user.password,
        "imei": user.device,
        "geoLocation": location,
    });
    let key = key(state, tenant)?;
    let data = state
        .call(FixtureCall {
            method: Method::POST,
            path: "/api/DigitalIdentity/Login",
            query: &[],
            api_key: &key,
            bearer: None,
            headers: &[],
            body: Some(&body),
        })
        .await
        .map_err(|error| format!("pool user {} could not log in: {error}", user.phone))?;
    token_of(&data)?;
    Ok(data)
}

/// Brings a pool user back to a usable state: verified, and with no open request an earlier,
/// interrupted run left behind.
async fn heal(
    state: &State<'_>,
    user: &PoolUserSpec,
    tenant: TenantRef,
    login: &Value,
) -> Result<(), String> {
    let token = token_of(login)?;
    let key = key(state, tenant)?;
    let get = |path: &'static str| FixtureCall {
        method: Method::GET,
        path,
        query: &[],
        api_key: &key,
        bearer: Some(&token),
        headers: &[],
        body: None,
    };
    let eligibility = state
        .call(get("/api/BusinessRequest/CheckEligibility"))
        .await?;
    if eligibility.get("isDigitalIdentityVerified") == Some(&Value::Bool(false)) {
        return Err(format!(
            "pool user {} is not KYC-verified: a pool holds verified users only",
            user.phone
        ));
    }
    if eligibility.get("hasPendingRequest") != Some(&Value::Bool(true)) {
        return Ok(());
    }
    let list = state
        .call(FixtureCall {
            query: &[("MaxResultCount", "50")],
            ..get("/api/BusinessRequest/CurrentListIds")
        })
        .await?;
    let open: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| {
            item.get("requeststatus")
                .and_then(Value::as_i64)
                .is_some_and(|status| OPEN_STATUSES.iter().any(|open| i64::from(*open) == status))
        })
        .filter_map(|item| item.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    for id in open {
        settle_request(state, user, tenant, &token, &id, &home(user))
            .await
            .map_err(|problem| {
                format!(
                    "pool user {} has an open request {id} left by an earlier run that could \
                     not be settled: {problem}",
                    user.phone
                )
            })?;
    }
    Ok(())
}

/// Activates an approved request (or closes it in the portal when it cannot be), closes one
/// pending approval in the portal; leaves any other alone.
async fn settle_request(
    state: &State<'_>,
    user: &PoolUserSpec,
    tenant: TenantRef,
    token: &str,
    id: &str,
    location: &Value,
) -> Result<(), String> {
    let key = key(state, tenant)?;
    let request = state
        .call(FixtureCall {
            method: Method::GET,
            path: &format!("/api/BusinessRequest/GetBusinessRequestById/{id}"),
            query: &[],
            api_key: &key,
            bearer: Some(token),
            headers: &[],
            body: None,
        })
        .await?;
    let status = request
        .get("requeststatus")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    match status {
        1 => portal(state, id, 3, tenant).await,
        2 => {
            let activated = match state.target.otp {
                OtpSource::None => Err("no OTP source".to_owned()),
                _ => activate_as(state, &user.phone, tenant, token, id, location).await,
            };
            match (activated, &state.target.portal) {
                (Ok(()), _) => Ok(()),
                (Err(_), Portal::Command(_)) => portal(state, id, 3, tenant).await,
                (Err(problem), _) => Err(problem),
            }
        }
        _ => Ok(()),
    }
}

/// Activates request `id` of user fixture `owner` to Customer Signed through the API, at
/// `location`.
pub(crate) async fn activate(
    state: &State<'_>,
    owner: &str,
    id: &str,
    location: &Value,
) -> Result<(), String> {
    let user = state
        .users
        .get(owner)
        .cloned()
        .ok_or_else(|| format!("no user `{owner}`"))?;
    activate_as(state, &user.phone, user.tenant, &user.token, id, location).await
}

async fn activate_as(
    state: &State<'_>,
    phone: &str,
    tenant: TenantRef,
    token: &str,
    id: &str,
    location: &Value,
) -> Result<(), String> {
    let key = key(state, tenant)?;
    let step = |name: &str, extra: Value| {
        let mut body = geo_now(location);
        if let (Some(map), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            map.insert("requestId".to_owned(), json!(id));
            map.extend(extra.clone());
        }
        (format!("/api/BusinessRequest/CustomerSign/{name}"), body)
    };
    let send = |(path, body): (String, Value)| {
        let key = key.clone();
        async move {
            state
                .call(FixtureCall {
                    method: Method::POST,
                    path: &path,
                    query: &[],
                    api_key: &key,
                    bearer: Some(token),
                    headers: &[],
                    body: Some(&body),
                })
                .await
        }
    };
    let requested = send(step("StepRequestOtp", json!({}))).await?;
    let otp_request = requested
        .get("otpRequestId")
        .map(value_text)
        .ok_or("StepRequestOtp answered no otpRequestId")?;
    let code = read_otp(
        state,
        OtpPurpose::Activation,
        OtpTo::Phone(phone),
        Some(id),
        tenant,
    )
    .await?
    .ok_or("the OTP source has no activation code for the request")?;
    send(step(
        "StepValidateOtp",
        json!({"otpRequestId": otp_request, "otpCode": code}),
    ))
    .await?;
    send(step(
        "StepValidatePayment",
        json!({"paymentGateway": "fawry"}),
    ))
    .await?;
    Ok(())
}

/// Gives request `id` a status as a provider's admin does: the control API or the portal
/// command.
pub(crate) async fn portal(
    state: &State<'_>,
    id: &str,
    status: i32,
    tenant: TenantRef,
) -> Result<(), String> {
    match &state.target.portal {
        Portal::ControlApi => {
            let key = key(state, tenant)?;
            set_status(state, &key, id, status).await.map(drop)
        }
        Portal::Command(spec) => {
            let name = state.tenant(tenant)?.name.clone();
            commands::set_status(spec, id, status, &name)
                .await
                .map_err(|error| error.to_string())
        }
        Portal::None => Err("the target has no portal command ([portal])".to_owned()),
    }
}

/// The code of the last OTP sent for `purpose` to `to` (and `request`), from the target's OTP
/// source; `None` when none was sent. The code becomes a secret of the case.
pub(crate) async fn read_otp(
    state: &State<'_>,
    purpose: OtpPurpose,
    to: OtpTo<'_>,
    request: Option<&str>,
    tenant: TenantRef,
) -> Result<Option<String>, String> {
    let code = match &state.target.otp {
        OtpSource::ControlApi => {
            let kit = state.kit(&key(state, tenant)?)?;
            let found = match to {
                OtpTo::Phone(phone) => kit.last_otp(phone).await,
                OtpTo::Email(email) => kit.last_email_otp(email).await,
            };
            match found {
                // The outbox answers 404 when nothing was sent there.
                Err(error) if error.status() == Some(404) => None,
                found => {
                    let sent = state.control(Method::GET, "/__sandbox/otp", found)?;
                    let same_purpose = sent.purpose.to_string() == purpose.name();
                    let same_request = request.is_none_or(|request| {
                        sent.request_id.map(|id| id.to_string()).as_deref() == Some(request)
                    });
                    (same_purpose && same_request).then(|| sent.code.into_exposed())
                }
            }
        }
        OtpSource::Command(spec) => {
            let name = state.tenant(tenant)?.name.clone();
            commands::otp_code(spec, purpose, to, request, &name)
                .await
                .map_err(|error| error.to_string())?
        }
        OtpSource::None => return Err("the target has no OTP source ([otp] command)".to_owned()),
    };
    if let Some(code) = &code {
        state.secrets.add(code, "otp");
    }
    Ok(code)
}
