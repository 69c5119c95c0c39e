//! Providing a case's fixtures: its tenant, the admin token, users and business requests.
//!
//! On a sandbox everything is fresh for each case (the control API makes users and moves
//! statuses), so cases never share state. On a remote target the one env-given verified user
//! logs in (at the fixture's location, which makes it the reference point of the location
//! rule) and requests are created through the API; cases using that user take turns
//! ([`crate::runner::runs_alone`]), and cases that need it eligible are ignored
//! ([`crate::runner::calls_create`]).

use std::collections::BTreeSet;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::case::{
    Action, ApiKeyChoice, Body, Case, Check, Identity, ProductRef, RequestFixture, UserFixture,
};
use crate::runner::{State, UserState, fixture_call, geo_now, tenant};
use crate::target::{TargetKind, TenantCredentials};
use crate::template::value_text;
use crate::tnode::TNode;

/// Where users are registered unless a fixture says otherwise (Cairo, the sandbox's default).
pub const DEFAULT_LOCATION: (f64, f64) = (30.0444, 31.2357);

/// Every variable name a case reads anywhere.
pub fn variable_uses(case: &Case) -> BTreeSet<String> {
    let mut nodes: Vec<&TNode> = Vec::new();
    for user in &case.fixtures.users {
        nodes.extend(user.location.iter().chain(user.email.iter()));
    }
    for request in &case.fixtures.requests {
        nodes.extend(request.fields.iter().map(|(_, node)| node));
    }
    nodes.extend(case.vars.iter().map(|(_, node)| node));
    for step in &case.steps {
        nodes.extend(
            step.path
                .iter()
                .chain(&step.query)
                .chain(&step.headers)
                .map(|(_, node)| node),
        );
        if let Some(Body::Json(node) | Body::Raw(node)) = &step.body {
            nodes.push(node);
        }
        if let Action::Fetch { url } = &step.action {
            nodes.push(url);
        }
        if let Identity::Token(node) = &step.identity {
            nodes.push(node);
        }
        if let ApiKeyChoice::Value(node) = &step.api_key {
            nodes.push(node);
        }
        for check in &step.expect.json {
            if let Check::Equals(node) = &check.check {
                nodes.push(node);
            }
        }
    }
    nodes
        .into_iter()
        .flat_map(|node| {
            node.variables()
                .into_iter()
                .map(|(name, _)| name.to_owned())
        })
        .collect()
}

/// Sets up the case's fixtures and their variables.
pub(crate) async fn provide(state: &mut State<'_>, case: &Case) -> Result<(), String> {
    let fixtures = &case.fixtures;
    if fixtures.isolated_tenant {
        let body = json!({ "requireEmailConfirmation": fixtures.require_email_confirmation });
        let key = state.main.api_key.expose_secret().to_owned();
        let data = fixture_call(
            state,
            Method::POST,
            "/__sandbox/tenants",
            &key,
            None,
            &[],
            Some(&body),
        )
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
    let uses = variable_uses(case);
    let needs_admin = fixtures.admin
        || uses.contains("admin")
        || case.steps.iter().any(|step| step.identity == Identity::Admin)
        || case.steps.iter().any(|step| {
            step.identity == Identity::Default
                && matches!(&step.action, Action::Call { operation, .. }
                    if vlens_openapi::vlens().operation(operation).and_then(|op| op.token.as_deref()) == Some("admin"))
        });
    if needs_admin {
        admin(state).await?;
    }
    for user in &fixtures.users {
        provide_user(state, user).await?;
    }
    for request in &fixtures.requests {
        provide_request(state, request).await?;
    }
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
    let data = fixture_call(
        state,
        Method::POST,
        "/api/credentials/Login",
        &key,
        None,
        &[("TenancyName", &name)],
        Some(&body),
    )
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

fn location(state: &State<'_>, user: &UserFixture) -> Result<Value, String> {
    match &user.location {
        Some(node) => node.evaluate(state).map_err(|e| {
            format!(
                "{}:{}: user `{}` location: {}",
                state.file, e.at, user.name, e.message
            )
        }),
        None => Ok(json!({ "latitude": DEFAULT_LOCATION.0, "longitude": DEFAULT_LOCATION.1 })),
    }
}

async fn provide_user(state: &mut State<'_>, user: &UserFixture) -> Result<(), String> {
    let location = location(state, user)?;
    let key = tenant(state, user.tenant)?
        .api_key
        .expose_secret()
        .to_owned();
    let mut variable = if state.target.kind == TargetKind::Remote {
        remote_user(state, &key, &location).await?
    } else {
        let mut body = Map::new();
        body.insert("verified".to_owned(), json!(user.verified));
        body.insert("geoLocation".to_owned(), location.clone());
        if let Some(email) = &user.email {
            let email = email.evaluate(state).map_err(|e| {
                format!(
                    "{}:{}: user `{}` email: {}",
                    state.file, e.at, user.name, e.message
                )
            })?;
            body.insert("email".to_owned(), email);
            body.insert("emailConfirmed".to_owned(), json!(user.email_confirmed));
        }
        let password = user
            .password
            .then(|| format!("Pw-{}", uuid::Uuid::new_v4().simple()));
        if let Some(password) = &password {
            state.secrets.add(password, "password");
            body.insert("password".to_owned(), json!(password));
        }
        let mut data = fixture_call(
            state,
            Method::POST,
            "/__sandbox/users",
            &key,
            None,
            &[],
            Some(&Value::Object(body)),
        )
        .await?;
        if let (Some(password), Some(map)) = (password, data.as_object_mut()) {
            map.insert("password".to_owned(), json!(password));
        }
        data
    };
    let token = variable
        .get("accessToken")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("user `{}`: no accessToken", user.name))?
        .to_owned();
    if let Some(map) = variable.as_object_mut() {
        map.insert("token".to_owned(), json!(token));
        map.insert("location".to_owned(), location);
        map.entry("email").or_insert(Value::Null);
    }
    state.users.insert(
        user.name.clone(),
        UserState {
            token,
            tenant: user.tenant,
        },
    );
    state.vars.insert(user.name.clone(), variable);
    Ok(())
}

/// Logs the env-given user in at `location` (a known device, so no SMS code).
async fn remote_user(state: &State<'_>, key: &str, location: &Value) -> Result<Value, String> {
    let user = state
        .target
        .remote_user
        .as_ref()
        .ok_or("no verified test user is configured")?;
    let body = json!({
        "phoneNumber": user.phone,
        "password": user.password.expose_secret(),
        "imei": user.imei,
        "geoLocation": location,
    });
    let data = fixture_call(
        state,
        Method::POST,
        "/api/DigitalIdentity/Login",
        key,
        None,
        &[],
        Some(&body),
    )
    .await?;
    Ok(json!({
        "accessToken": data.get("accessToken").cloned().unwrap_or(Value::Null),
        "refreshToken": data.get("refreshToken").cloned().unwrap_or(Value::Null),
        "userId": data.pointer("/user/id").cloned().unwrap_or(Value::Null),
        "phoneNumber": user.phone,
        "imei": user.imei,
        "transactionId": user.transaction_id,
        "isDigitalIdentityVerified": data.get("isDigitalIdentityVerified").cloned().unwrap_or(Value::Null),
    }))
}

async fn provide_request(state: &mut State<'_>, request: &RequestFixture) -> Result<(), String> {
    let owner = state
        .users
        .get(&request.owner)
        .cloned()
        .ok_or_else(|| format!("request `{}`: no owner `{}`", request.name, request.owner))?;
    let type_id = match request.product {
        ProductRef::AutoApproved => state.target.products.auto_approved,
        ProductRef::NeedsApproval => state.target.products.needs_approval,
        ProductRef::Id(id) => Some(id),
    }
    .ok_or("no product id for this target")?;
    let key = tenant(state, owner.tenant)?
        .api_key
        .expose_secret()
        .to_owned();
    let template = fixture_call(
        state,
        Method::GET,
        &format!(
            "/api/BusinessRequest/GetBusinessRequestTypeTemplateFields?requestTypeId={type_id}"
        ),
        &key,
        Some(&owner.token),
        &[],
        None,
    )
    .await?;
    let mut values = generated_field_values(&template);
    for (name, node) in &request.fields {
        let value = node.evaluate(state).map_err(|e| {
            format!(
                "{}:{}: request `{}` field `{name}`: {}",
                state.file, e.at, request.name, e.message
            )
        })?;
        values.insert(name.clone(), json!(value_text(&value)));
    }
    let location = state
        .vars
        .get(&request.owner)
        .and_then(|user| user.get("location"))
        .cloned()
        .unwrap_or(json!({ "latitude": DEFAULT_LOCATION.0, "longitude": DEFAULT_LOCATION.1 }));
    let mut body = geo_now(&location);
    if let Some(map) = body.as_object_mut() {
        map.insert("requestFieldsValues".to_owned(), Value::Object(values));
    }
    let created = fixture_call(
        state,
        Method::POST,
        &format!("/api/BusinessRequest/Create/{type_id}"),
        &key,
        Some(&owner.token),
        &[],
        Some(&body),
    )
    .await?;
    let id = created
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("request `{}`: Create returned no id", request.name))?
        .to_owned();
    let mut status = created.get("requeststatus").cloned().unwrap_or(Value::Null);
    if let Some(wanted) = request.status
        && status.as_i64() != Some(i64::from(wanted))
    {
        let changed = fixture_call(
            state,
            Method::POST,
            &format!("/__sandbox/requests/{id}/status"),
            &key,
            None,
            &[],
            Some(&json!({ "status": wanted })),
        )
        .await?;
        status = changed
            .get("requeststatus")
            .cloned()
            .unwrap_or(json!(wanted));
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

/// The value of every date field of a generated request: fixed and far ahead, like the dates
/// the cases write, so that a snapshot of a request does not change with the day it runs on.
pub const FIXTURE_DATE: &str = "2030-01-01";

/// Values for a product's template: the first choice of each dropdown, [`FIXTURE_DATE`], a
/// plausible text; tables (the provider's) and fields with a default are left out.
pub fn generated_field_values(template: &Value) -> Map<String, Value> {
    let mut values = Map::new();
    let fields = template
        .get("requestsFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for field in fields {
        let Some(key) = field.get("key").and_then(Value::as_str) else {
            continue;
        };
        let kind = field.get("type").and_then(Value::as_str).unwrap_or("text");
        let has_default = field.get("defaultValue").and_then(Value::as_str).is_some();
        if kind == "table" || has_default {
            continue;
        }
        let value = match kind {
            "dropdown" => field
                .pointer("/availableValues/0")
                .and_then(Value::as_str)
                .or_else(|| {
                    field
                        .pointer("/availableValuesItems/0/name")
                        .and_then(Value::as_str)
                })
                .unwrap_or("1")
                .to_owned(),
            "date" => FIXTURE_DATE.to_owned(),
            _ => {
                let lower = key.to_ascii_lowercase();
                if lower.contains("name") {
                    "Conformance Test".to_owned()
                } else if ["amount", "income", "value", "price"]
                    .iter()
                    .any(|w| lower.contains(w))
                {
                    "10000".to_owned()
                } else {
                    "conformance".to_owned()
                }
            }
        };
        values.insert(key.to_owned(), json!(value));
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_values_skip_tables_and_defaults() {
        let template = json!({"requestsFields": [
            {"key": "fullName", "type": "text"},
            {"key": "loanAmount", "type": "text"},
            {"key": "purpose", "type": "dropdown", "availableValues": ["Car", "Home"]},
            {"key": "start", "type": "date"},
            {"key": "term", "type": "dropdown", "availableValues": ["12"], "defaultValue": "12"},
            {"key": "plan", "type": "table"}
        ]});
        let values = generated_field_values(&template);
        assert_eq!(values["fullName"], "Conformance Test");
        assert_eq!(values["loanAmount"], "10000");
        assert_eq!(values["purpose"], "Car");
        // The same on every day the suite runs (snapshots record it), and a real date.
        assert_eq!(values["start"], FIXTURE_DATE);
        assert!(chrono::NaiveDate::parse_from_str(FIXTURE_DATE, "%Y-%m-%d").is_ok());
        assert!(!values.contains_key("term"));
        assert!(!values.contains_key("plan"));
    }
}
