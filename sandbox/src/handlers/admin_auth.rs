//! Admin login and refresh (AU1, AU2).

use axum::Json;
use http::HeaderMap;
use vlens_client::types;
use vlens_client::{KnownErrorCode, Secret};

use crate::auth;
use crate::defaults::{
    ADMIN_PASSWORD, ADMIN_USER_ID, ADMIN_USER_NAME, REFRESH_TOKEN_LIFETIME_SECONDS,
};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiKeyTenant, JsonBody};
use crate::http::reply::ok;
use crate::store::Tenant;

const BAD_CREDENTIALS: ApiError =
    ApiError::Unauthorized("Unauthorized - invalid tenancy name, user name or password");

/// The admin's key in the failed-password counts.
const ADMIN_ACCOUNT: &str = "admin";

fn seconds(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The admin's user name or email address.
fn is_admin_login(tenant: &Tenant, name: &str) -> bool {
    name.eq_ignore_ascii_case(ADMIN_USER_NAME)
        || name.eq_ignore_ascii_case(&format!("admin@{}.sandbox", tenant.name.to_lowercase()))
}

/// AU1: the `TenancyName` header and the body's `tenancyName` must both name the ApiKey's
/// tenant (tenancy names compare case-insensitively, as ABP does).
pub async fn login(
    ApiKeyTenant(tenant): ApiKeyTenant,
    headers: HeaderMap,
    JsonBody(body): JsonBody<types::LoginInput>,
) -> ApiResult<Json<types::ApiOutputLogin>> {
    let header = headers
        .get("tenancyname")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| ApiError::field("TenancyName", "header is required"))?;
    // The spec's `maxLength: 32`; the generated type no longer checks it since passwords
    // became `Secret` (see the xtask's `mark_secrets`).
    if body.password.expose_secret().chars().count() > 32 {
        return Err(ApiError::field("password", "must be at most 32 characters"));
    }
    let names_tenant = |name: &str| name.trim().eq_ignore_ascii_case(&tenant.name);
    // A wrong tenancy or user name names no account: a 401 that counts for nobody.
    if !names_tenant(header)
        || !names_tenant(&body.tenancy_name)
        || !is_admin_login(&tenant, &body.user_name_or_email_address)
    {
        return Err(BAD_CREDENTIALS);
    }
    let output = tenant.with_state(|state, now| -> ApiResult<_> {
        // Before the password is compared: past the limit the right one waits too.
        state.check_login_allowed(ADMIN_ACCOUNT, "userNameOrEmailAddress", now)?;
        if body.password.expose_secret() != ADMIN_PASSWORD {
            state.password_failed(ADMIN_ACCOUNT, now);
            return Err(BAD_CREDENTIALS);
        }
        state.password_succeeded(ADMIN_ACCOUNT);
        Ok(types::LoginOutput {
            access_token: Secret::from(auth::access_token(&tenant, ADMIN_USER_ID, true, now)?),
            encrypted_access_token: None,
            expire_in_seconds: seconds(tenant.settings.lifetimes.access_token_seconds),
            refresh_token: Secret::from(auth::refresh_token(
                &tenant,
                state,
                ADMIN_USER_ID,
                true,
                now,
            )?),
            refresh_token_expire_in_seconds: seconds(REFRESH_TOKEN_LIFETIME_SECONDS),
            user_id: Some(ADMIN_USER_ID),
        })
    })?;
    Ok(ok!(ApiOutputLogin, output))
}

/// Rotates a refresh token of the given kind; shared by AU2 (admin) and UL2 (end user).
pub fn rotate(
    tenant: &Tenant,
    refresh_token: Option<&str>,
    admin: bool,
) -> ApiResult<Json<types::ApiOutputRefreshToken>> {
    let token = refresh_token
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::field("refreshToken", "is required"))?;
    let output = tenant.with_state(|state, now| -> ApiResult<_> {
        let subject = auth::spend_refresh_token(tenant, state, token, admin)
            .ok_or(KnownErrorCode::InvalidRefreshToken)?;
        if !admin && !state.users.contains_key(&subject) {
            return Err(KnownErrorCode::InvalidRefreshToken.into());
        }
        let next = auth::refresh_token(tenant, state, subject, admin, now)?;
        Ok(types::RefreshTokenOutput {
            access_token: Secret::from(auth::access_token(tenant, subject, admin, now)?),
            encrypted_access_token: None,
            expire_in_seconds: seconds(tenant.settings.lifetimes.access_token_seconds),
            new_refresh_token: Some(Secret::from(next.clone())),
            refresh_token: Some(Secret::from(next)),
        })
    })?;
    Ok(ok!(ApiOutputRefreshToken, output))
}

/// AU2.
pub async fn refresh(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::RefreshTokenInput>,
) -> ApiResult<Json<types::ApiOutputRefreshToken>> {
    rotate(
        &tenant,
        body.refresh_token.as_ref().map(Secret::expose_secret),
        true,
    )
}
