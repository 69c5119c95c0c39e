//! Providing a case's fixtures as its [`Plan`] says: its tenant, the admin token, users and
//! business requests. On a sandbox everything is fresh for each case (the control API makes
//! users and moves statuses), so cases never share state; on a shared target users come from
//! the pool or are registered through the API, and statuses are reached through the API or
//! the portal ([`super::remote`]).

use reqwest::Method;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Value, json};
use vlens_client::types::{GeoLocation, RequestStatus};
use vlens_sandbox::control::{CreateTenantInput, CreateUserInput};
use vlens_sandbox::kit::{Kit, KitError};

use crate::case::{Case, RequestFixture, UserFixture};
use crate::http::{FixtureCall, control_kit, control_outcome};
use crate::plan::{Plan, StatusPath, UserSource};
use crate::run::remote::{self, Lease};
use crate::run::state::{State, UserState};
use crate::target::TenantCredentials;
use crate::template::generated_field_values;
use crate::template::value_text;

/// Where users are registered unless a fixture says otherwise (Cairo, the sandbox's default).
pub const DEFAULT_LOCATION: (f64, f64) = (30.0444, 31.2357);

impl State<'_> {
    /// Sends a fixture's call with this case's secrets.
    pub(crate) async fn call(&self, call: FixtureCall<'_>) -> Result<Value, String> {
        call.send(self.target, &self.secrets).await
    }

    /// The sandbox's test kit for the tenant of `api_key`: the control API's fixtures.
    pub(crate) fn kit(&self, api_key: &str) -> Result<Kit, String> {
        control_kit(self.target, api_key)
    }

    /// A kit call's data, or its failure worded as a fixture call's (`method` and `path` name
    /// the control operation); the reply's secrets become this case's.
    pub(crate) fn control<T: Serialize>(
        &self,
        method: Method,
        path: &str,
        result: Result<T, KitError>,
    ) -> Result<T, String> {
        control_outcome(method, path, result, &self.secrets)
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
    let input = CreateTenantInput::new().require_email_confirmation(require_email_confirmation);
    let kit = state.kit(state.main.api_key.expose_secret())?;
    let made = kit
        .isolated_tenant_with(&input)
        .await
        .map(|tenant| tenant.tenant().cloned());
    let tenant = state
        .control(Method::POST, "/__sandbox/tenants", made)?
        .ok_or("the control API made a tenant without credentials")?;
    let (api_key, password) = (tenant.api_key.expose_secret(), &tenant.admin_password);
    state.main = TenantCredentials {
        name: tenant.tenancy_name.clone(),
        api_key: api_key.into(),
        admin_user: Some(tenant.admin_user_name.clone()),
        admin_password: Some(password.expose_secret().into()),
    };
    state.secrets.add(api_key, "api-key");
    state.secrets.add(password.expose_secret(), "password");
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
    let kit = state.kit(state.tenant(user.tenant)?.api_key.expose_secret())?;
    let location = location.clone().unwrap_or_else(default_location);
    let location: GeoLocation = serde_json::from_value(location).map_err(|error| {
        format!(
            "user `{}` location: not a {{latitude, longitude}}: {error}",
            user.name
        )
    })?;
    let mut input = CreateUserInput::new()
        .verified(user.verified)
        .geo_location(location);
    if let Some(email) = &user.email {
        let email = state
            .evaluate(email)
            .map_err(|message| format!("user `{}` email: {message}", user.name))?;
        input = input
            .email(value_text(&email))
            .email_confirmed(user.email_confirmed);
    }
    let password = user
        .password
        .then(|| format!("Pw-{}", &uuid::Uuid::new_v4().simple().to_string()[..24]));
    if let Some(password) = &password {
        state.secrets.add(password, "password");
        input = input.password(password);
    }
    let created = state.control(Method::POST, "/__sandbox/users", kit.user(&input).await)?;
    // The variable is the reply's `data`, as the control API sent it.
    let mut data =
        serde_json::to_value(&created).map_err(|error| format!("user `{}`: {error}", user.name))?;
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
                let changed = set_status(state, &key, &id, *wanted).await?;
                status = json!(changed.requeststatus);
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

/// Gives request `id` of the tenant of `api_key` a status through the control API.
pub(crate) async fn set_status(
    state: &State<'_>,
    api_key: &str,
    id: &str,
    status: i32,
) -> Result<vlens_sandbox::control::RequestStatusChange, String> {
    let path = format!("/__sandbox/requests/{id}/status");
    let request = uuid::Uuid::parse_str(id)
        .map_err(|_| format!("POST {path}: `{id}` is not a business request's id (a uuid)"))?;
    let kit = state.kit(api_key)?;
    let changed = kit.set_status(request, RequestStatus(status)).await;
    state.control(Method::POST, &path, changed)
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
