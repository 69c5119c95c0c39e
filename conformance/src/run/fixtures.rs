//! Providing a case's fixtures as its [`Plan`] says: its tenant, the admin token, users and
//! business requests. On a sandbox everything is fresh for each case (the control API makes
//! users and moves statuses), so cases never share state; on a shared target users come from
//! the pool or are registered through the API, and statuses are reached through the API or
//! the portal ([`super::remote`]).

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::case::{Case, RequestFixture, UserFixture};
use crate::http::FixtureCall;
use crate::plan::{Plan, StatusPath, UserSource};
use crate::run::remote::{self, Lease};
use crate::run::state::{State, UserState};
use crate::target::TenantCredentials;
use crate::template::functions::generated_field_values;
use crate::template::value_text;

/// Where users are registered unless a fixture says otherwise (Cairo, the sandbox's default).
pub const DEFAULT_LOCATION: (f64, f64) = (30.0444, 31.2357);

impl State<'_> {
    /// Sends a fixture's call with this case's secrets.
    pub(crate) async fn call(&self, call: FixtureCall<'_>) -> Result<Value, String> {
        call.send(self.target, &self.secrets).await
    }
}

/// Sets up the case's fixtures and their variables. The returned lease holds the pool users
/// until the case is over.
pub(crate) async fn provide(
    state: &mut State<'_>,
    case: &Case,
    plan: &Plan,
) -> Result<Lease, String> {
    if plan.isolated_tenant {
        isolated_tenant(state, case).await?;
    }
    if plan.email_tenant {
        state.main = state
            .target
            .email_tenant
            .clone()
            .ok_or("the target has no tenant that requires a confirmed email")?;
    }
    state
        .vars
        .insert("tenant".to_owned(), state.main.variable());
    if let Some(other) = &state.other {
        state
            .vars
            .insert("other_tenant".to_owned(), other.variable());
    }
    let target = json!({ "baseUrl": state.target.base_url });
    state.vars.insert("target".to_owned(), target);
    state
        .vars
        .insert("products".to_owned(), state.target.products.variable());
    if plan.admin {
        admin(state).await?;
    }
    let mut lease = remote::checkout(state, plan).await?;
    for (user, user_plan) in case.fixtures.users.iter().zip(&plan.users) {
        let location = location(state, user)?;
        let variable = match &user_plan.source {
            UserSource::ControlApi => sandbox_user(state, user, &location).await?,
            UserSource::Pool(_) => lease.log_in(state, user, &location).await?,
            UserSource::Registered { verified } => {
                super::register::register(state, user, &location, *verified).await?
            }
        };
        add_user(state, user, variable, location)?;
    }
    for (request, request_plan) in case.fixtures.requests.iter().zip(&plan.requests) {
        provide_request(state, request, request_plan).await?;
    }
    Ok(lease)
}

async fn isolated_tenant(state: &mut State<'_>, case: &Case) -> Result<(), String> {
    let require_email_confirmation = case
        .fixtures
        .tenant
        .as_ref()
        .is_some_and(|settings| settings.require_email_confirmation);
    let body = json!({ "requireEmailConfirmation": require_email_confirmation });
    let key = state.main.api_key.expose_secret().to_owned();
    let data = state
        .call(FixtureCall {
            method: Method::POST,
            path: "/__sandbox/tenants",
            query: &[],
            api_key: &key,
            bearer: None,
            headers: &[],
            body: Some(&body),
        })
        .await?;
    let text = |key: &str| data.get(key).map(value_text).unwrap_or_default();
    state.main = TenantCredentials {
        name: text("tenancyName"),
        api_key: text("apiKey").into(),
        admin_user: Some(text("adminUserName")),
        admin_password: Some(text("adminPassword").into()),
    };
    state.secrets.add(&text("apiKey"), "api-key");
    state.secrets.add(&text("adminPassword"), "password");
    Ok(())
}

async fn admin(state: &mut State<'_>) -> Result<(), String> {
    let (Some(user), Some(password)) = (&state.main.admin_user, &state.main.admin_password) else {
        return Err("no admin credentials".to_owned());
    };
    let body = json!({
        "tenancyName": state.main.name,
        "userNameOrEmailAddress": user,
        "password": password.expose_secret(),
    });
    let key = state.main.api_key.expose_secret().to_owned();
    let name = state.main.name.clone();
    let user = user.clone();
    let data = state
        .call(FixtureCall {
            method: Method::POST,
            path: "/api/credentials/Login",
            query: &[],
            api_key: &key,
            bearer: None,
            headers: &[("TenancyName", &name)],
            body: Some(&body),
        })
        .await?;
    let token = data
        .get("accessToken")
        .and_then(Value::as_str)
        .ok_or("admin login returned no accessToken")?
        .to_owned();
    state.admin_token = Some(token.clone());
    state.vars.insert(
        "admin".to_owned(),
        json!({
            "token": token,
            "refreshToken": data.get("refreshToken").cloned().unwrap_or(Value::Null),
            "userName": user,
        }),
    );
    Ok(())
}

fn location(state: &State<'_>, user: &UserFixture) -> Result<Option<Value>, String> {
    user.location
        .as_ref()
        .map(|node| {
            state
                .evaluate(node)
                .map_err(|message| format!("user `{}` location: {message}", user.name))
        })
        .transpose()
}

/// A user made by a sandbox's control API.
async fn sandbox_user(
    state: &mut State<'_>,
    user: &UserFixture,
    location: &Option<Value>,
) -> Result<Value, String> {
    let key = state
        .tenant(user.tenant)?
        .api_key
        .expose_secret()
        .to_owned();
    let mut body = Map::new();
    body.insert("verified".to_owned(), json!(user.verified));
    body.insert(
        "geoLocation".to_owned(),
        location.clone().unwrap_or_else(default_location),
    );
    if let Some(email) = &user.email {
        let email = state
            .evaluate(email)
            .map_err(|message| format!("user `{}` email: {message}", user.name))?;
        body.insert("email".to_owned(), email);
        body.insert("emailConfirmed".to_owned(), json!(user.email_confirmed));
    }
    let password = user
        .password
        .then(|| format!("Pw-{}", &uuid::Uuid::new_v4().simple().to_string()[..24]));
    if let Some(password) = &password {
        state.secrets.add(password, "password");
        body.insert("password".to_owned(), json!(password));
    }
    let mut data = state
        .call(FixtureCall {
            method: Method::POST,
            path: "/__sandbox/users",
            query: &[],
            api_key: &key,
            bearer: None,
            headers: &[],
            body: Some(&Value::Object(body)),
        })
        .await?;
    if let (Some(password), Some(map)) = (password, data.as_object_mut()) {
        map.insert("password".to_owned(), json!(password));
    }
    Ok(data)
}

/// The location a user fixture is registered or logged in at when the case does not say.
pub(crate) fn default_location() -> Value {
    json!({ "latitude": DEFAULT_LOCATION.0, "longitude": DEFAULT_LOCATION.1 })
}

/// Makes `variable` the user's variable and remembers its token.
fn add_user(
    state: &mut State<'_>,
    user: &UserFixture,
    mut variable: Value,
    location: Option<Value>,
) -> Result<(), String> {
    let token = variable
        .get("accessToken")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("user `{}`: no accessToken", user.name))?
        .to_owned();
    let text = |key: &str| variable.get(key).and_then(Value::as_str).map(str::to_owned);
    let phone = text("phoneNumber").unwrap_or_default();
    let email = text("email");
    if let Some(map) = variable.as_object_mut() {
        map.insert("token".to_owned(), json!(token));
        if let Some(location) = location {
            map.insert("location".to_owned(), location);
        }
        map.entry("location").or_insert_with(default_location);
        map.entry("email").or_insert(Value::Null);
    }
    state.users.insert(
        user.name.clone(),
        UserState {
            token,
            tenant: user.tenant,
            phone,
            email,
        },
    );
    state.vars.insert(user.name.clone(), variable);
    Ok(())
}

async fn provide_request(
    state: &mut State<'_>,
    request: &RequestFixture,
    plan: &crate::plan::RequestPlan,
) -> Result<(), String> {
    let owner = state
        .users
        .get(&request.owner)
        .cloned()
        .ok_or_else(|| format!("request `{}`: no owner `{}`", request.name, request.owner))?;
    let type_id = plan.product.ok_or("no product id for this target")?;
    let key = state
        .tenant(owner.tenant)?
        .api_key
        .expose_secret()
        .to_owned();
    let template = state
        .call(FixtureCall {
            method: Method::GET,
            path: "/api/BusinessRequest/GetBusinessRequestTypeTemplateFields",
            query: &[("requestTypeId", &type_id.to_string())],
            api_key: &key,
            bearer: Some(&owner.token),
            headers: &[],
            body: None,
        })
        .await?;
    let mut values = generated_field_values(&template);
    for (name, node) in &request.fields {
        let value = state
            .evaluate(node)
            .map_err(|message| format!("request `{}` field `{name}`: {message}", request.name))?;
        values.insert(name.clone(), json!(value_text(&value)));
    }
    let location = owner_location(state, &request.owner);
    let mut body = geo_now(&location);
    if let Some(map) = body.as_object_mut() {
        map.insert("requestFieldsValues".to_owned(), Value::Object(values));
    }
    let created = state
        .call(FixtureCall {
            method: Method::POST,
            path: &format!("/api/BusinessRequest/Create/{type_id}"),
            query: &[],
            api_key: &key,
            bearer: Some(&owner.token),
            headers: &[],
            body: Some(&body),
        })
        .await?;
    let id = created
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("request `{}`: Create returned no id", request.name))?
        .to_owned();
    state.created.push((id.clone(), request.owner.clone()));
    let mut status = created.get("requeststatus").cloned().unwrap_or(Value::Null);
    for (path, wanted) in &plan.path {
        match path {
            StatusPath::Created => {}
            StatusPath::ControlApi => {
                let changed = state
                    .call(FixtureCall {
                        method: Method::POST,
                        path: &format!("/__sandbox/requests/{id}/status"),
                        query: &[],
                        api_key: &key,
                        bearer: None,
                        headers: &[],
                        body: Some(&json!({ "status": wanted })),
                    })
                    .await?;
                status = changed
                    .get("requeststatus")
                    .cloned()
                    .unwrap_or(json!(wanted));
            }
            StatusPath::Activation => {
                remote::activate(state, &request.owner, &id, &location).await?;
                status = json!(wanted);
            }
            StatusPath::Portal => {
                remote::portal(state, &id, *wanted, owner.tenant).await?;
                status = json!(wanted);
            }
        }
    }
    state.vars.insert(
        request.name.clone(),
        json!({
            "id": id,
            "requestNumber": created.get("requestNumber").cloned().unwrap_or(Value::Null),
            "typeId": type_id,
            "status": status,
        }),
    );
    Ok(())
}

/// Where a user fixture is (its `location` variable).
pub(crate) fn owner_location(state: &State<'_>, owner: &str) -> Value {
    state
        .vars
        .get(owner)
        .and_then(|user| user.get("location"))
        .cloned()
        .unwrap_or_else(default_location)
}

/// `{geoLocation, userDeviceUtcTime: now}`: the common part of a Create or CustomerSign body.
pub(crate) fn geo_now(location: &Value) -> Value {
    json!({
        "geoLocation": location,
        "userDeviceUtcTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}
