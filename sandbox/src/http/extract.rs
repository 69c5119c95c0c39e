//! Extractors: who is calling (ApiKey and bearer token), the JSON body, query and path
//! parameters. Each turns bad input into an envelope error that names the field.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query};
use http::header::{AUTHORIZATION, HOST};
use http::request::Parts;
use uuid::Uuid;

use super::AppState;
use super::faults::ResolvedTenant;
use crate::auth::{self, TokenAudience};
use crate::error::{ApiError, ApiResult};

pub use super::body::{JsonBody, OptionalJsonBody};
use crate::store::Tenant;

// ---------------------------------------------------------------------- callers

fn tenant_of(parts: &Parts, state: &AppState) -> ApiResult<Arc<Tenant>> {
    // The fault layer (in front of every Vlens operation) already looked the ApiKey up.
    if let Some(ResolvedTenant(tenant)) = parts.extensions.get::<ResolvedTenant>() {
        return Ok(Arc::clone(tenant));
    }
    let key = parts
        .headers
        .get("apikey")
        .ok_or(ApiError::Unauthorized(
            "Unauthorized - missing ApiKey header",
        ))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Unauthorized - invalid API Key"))?;
    state
        .store
        .tenant_by_key(key)
        .ok_or(ApiError::Unauthorized("Unauthorized - invalid API Key"))
}

fn bearer_of(parts: &Parts, tenant: &Tenant) -> ApiResult<Option<auth::Bearer>> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or(ApiError::Unauthorized(
            "Unauthorized - the Authorization header is not `Bearer <token>`",
        ))?;
    Ok(Some(auth::verify_access(tenant, token)?))
}

/// Takes the tenant lock briefly; the handler takes it again for its own work. Two short
/// uncontended locks, kept so that every user-token operation refuses a deleted user (401)
/// in one place.
fn user_exists(tenant: &Tenant, user_id: i64) -> ApiResult<()> {
    if tenant.with_state(|state, _| state.users.contains_key(&user_id)) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(
            "Unauthorized - the token's user no longer exists",
        ))
    }
}

const MISSING_TOKEN: ApiError = ApiError::Unauthorized("Unauthorized - missing bearer token");
const USER_TOKEN_REQUIRED: ApiError =
    ApiError::Forbidden("Forbidden - this operation takes an end-user token");
const ADMIN_TOKEN_REQUIRED: ApiError =
    ApiError::Forbidden("Forbidden - this operation takes an admin token");

/// A caller with a valid ApiKey (the operations that take no token).
pub struct ApiKeyTenant(pub Arc<Tenant>);

impl FromRequestParts<AppState> for ApiKeyTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        tenant_of(parts, state).map(Self)
    }
}

/// An end user with a valid user token (`x-vlens-token: user`).
pub struct UserCaller {
    pub tenant: Arc<Tenant>,
    pub user_id: i64,
}

impl FromRequestParts<AppState> for UserCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let bearer = bearer_of(parts, &tenant)?.ok_or(MISSING_TOKEN)?;
        if bearer.kind != TokenAudience::User {
            return Err(USER_TOKEN_REQUIRED);
        }
        user_exists(&tenant, bearer.subject)?;
        Ok(Self {
            tenant,
            user_id: bearer.subject,
        })
    }
}

/// An admin with a valid admin token (`x-vlens-token: admin`).
pub struct AdminCaller {
    pub tenant: Arc<Tenant>,
}

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let bearer = bearer_of(parts, &tenant)?.ok_or(MISSING_TOKEN)?;
        if bearer.kind != TokenAudience::Admin {
            return Err(ADMIN_TOKEN_REQUIRED);
        }
        Ok(Self { tenant })
    }
}

/// A user or an admin (`x-vlens-token: user-or-admin`); `user_id` is None for the admin.
pub struct AnyCaller {
    pub tenant: Arc<Tenant>,
    pub user_id: Option<i64>,
}

impl FromRequestParts<AppState> for AnyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let bearer = bearer_of(parts, &tenant)?.ok_or(MISSING_TOKEN)?;
        let user_id = match bearer.kind {
            TokenAudience::User => {
                user_exists(&tenant, bearer.subject)?;
                Some(bearer.subject)
            }
            _ => None,
        };
        Ok(Self { tenant, user_id })
    }
}

/// A user token or the ApiKey alone (`x-vlens-token: user-optional`). A token, when sent, must
/// be a valid user token.
pub struct OptionalUser {
    pub tenant: Arc<Tenant>,
    pub user_id: Option<i64>,
}

impl FromRequestParts<AppState> for OptionalUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let tenant = tenant_of(parts, state)?;
        let user_id = match bearer_of(parts, &tenant)? {
            None => None,
            Some(bearer) if bearer.kind == TokenAudience::User => {
                user_exists(&tenant, bearer.subject)?;
                Some(bearer.subject)
            }
            Some(_) => return Err(USER_TOKEN_REQUIRED),
        };
        Ok(Self { tenant, user_id })
    }
}

// ---------------------------------------------------------------------- query and path

/// The query string as name/value pairs, with typed getters that name the parameter.
/// Names match exactly, else case-insensitively (ASP.NET binds query names that way).
pub struct QueryMap(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> ApiResult<Self> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| Self(pairs))
            .map_err(|_| ApiError::field("query", "cannot be parsed"))
    }
}

impl QueryMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
            })
            .map(|(_, value)| value.as_str())
    }

    pub fn required(&self, name: &str) -> ApiResult<&str> {
        self.get(name)
            .filter(|value| !value.trim().is_empty())
            .ok_or_else(|| ApiError::field(name, "is required"))
    }

    pub fn required_uuid(&self, name: &str) -> ApiResult<Uuid> {
        parse_uuid(name, self.required(name)?)
    }

    pub fn required_i32(&self, name: &str) -> ApiResult<i32> {
        self.required(name)?
            .trim()
            .parse()
            .map_err(|_| ApiError::field(name, "must be a 32-bit integer"))
    }

    /// An optional integer in `min..=max`.
    pub fn optional_i32(&self, name: &str, min: i32, max: i32) -> ApiResult<Option<i32>> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.trim().parse::<i32>() {
            Ok(value) if (min..=max).contains(&value) => Ok(Some(value)),
            _ => Err(ApiError::field(
                name,
                format!("must be an integer from {min} to {max}"),
            )),
        }
    }

    pub fn optional_bool(&self, name: &str) -> ApiResult<bool> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(value) if value == "true" => Ok(true),
            Some(value) if value == "false" => Ok(false),
            Some(_) => Err(ApiError::field(name, "must be true or false")),
        }
    }
}

/// A uuid in a path or query parameter, or a 400 naming it. Only the canonical form: lowercase,
/// hyphenated, 8-4-4-4-12, as the docs write every id. The uuid crate also reads uppercase,
/// `{...}`, `urn:uuid:...` and the bare 32 digits; those are refused (issue 8), so that an id in
/// a URL has exactly one spelling.
pub fn parse_uuid(name: &str, raw: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(raw)
        .ok()
        .filter(|id| id.hyphenated().to_string() == raw)
        .ok_or_else(|| {
            ApiError::field(
                name,
                "must be a uuid in lowercase hyphenated form, such as \
                 81f404b3-d7dc-4f08-b4fe-934853c86282",
            )
        })
}

/// The single path parameter, as text (each handler parses it and names it).
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|_| ApiError::field("path", "has an invalid parameter"))
    }
}

// ---------------------------------------------------------------------- base URL

/// The base URL of the links in replies (signing, contract PDF, payment page), without a
/// trailing slash: `SandboxConfig::public_base_url`, which is the bound address unless the
/// sandbox was told otherwise. The `Host` header is used only when asked
/// ([`PublicBaseUrl::FromHostHeader`](crate::PublicBaseUrl)): otherwise a request with
/// `Host: evil.example` would receive a link with a real SecurityHash pointing at that host.
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match &state.links {
            LinkBase::Fixed(base) => Ok(Self(base.clone())),
            LinkBase::FromHost { fallback } => {
                // Only a well-formed authority is put into URLs; anything else falls back to the
                // bound address.
                let host = parts
                    .headers
                    .get(HOST)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.parse::<http::uri::Authority>().ok())
                    .filter(|authority| !authority.as_str().contains('@'))
                    .map(|authority| format!("http://{}", authority.as_str()));
                Ok(Self(host.unwrap_or_else(|| fallback.clone())))
            }
        }
    }
}

/// Where links point, resolved at start.
#[derive(Debug, Clone)]
pub enum LinkBase {
    /// Always this base (the bound address, or the configured public URL).
    Fixed(String),
    /// `http://<Host>` of each request, else `fallback` (the bound address).
    FromHost { fallback: String },
}
