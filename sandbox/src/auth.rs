//! Tokens: JWT access and refresh tokens, iframe session and invitation tokens, and the OAuth
//! ID tokens the control API mints.
//!
//! HS256 with a key per tenant (derived from the sandbox's secret), so a token of another
//! tenant fails its signature check. Expiry is checked against the tenant's clock, not the
//! wall clock, so that `/__sandbox/clock` can expire tokens; jsonwebtoken's own `exp` check
//! (wall clock) is therefore switched off.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use vlens_client::types::SessionPermissions;

use crate::defaults::{REFRESH_TOKEN_LIFETIME_SECONDS, SESSION_TOKEN_LIFETIME_SECONDS};
use crate::error::ApiError;
use crate::store::{RefreshRecord, Tenant, TenantState};
use crate::time::after;

/// What a sandbox token is for (its `kind` claim). Not `vlens_client::TokenKind`, which is
/// the bearer token an operation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAudience {
    User,
    Admin,
    UserRefresh,
    AdminRefresh,
    Session,
    Invitation,
}

/// The claims of access and refresh tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The tenant id.
    pub tid: i32,
    /// The user id (the admin is user 1).
    pub sub: i64,
    pub kind: TokenAudience,
    pub iat: i64,
    pub exp: i64,
    /// Refresh tokens only: the id under which the store keeps it live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// A verified access token.
#[derive(Debug, Clone, Copy)]
pub struct Bearer {
    pub subject: i64,
    pub kind: TokenAudience,
}

fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
}

fn sign<T: Serialize>(tenant: &Tenant, claims: &T) -> Result<String, ApiError> {
    crate::jwt::ensure_provider();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &tenant.keys.jwt_encoding,
    )
    .map_err(|error| {
        tracing::error!(%error, "cannot sign a token");
        ApiError::Internal
    })
}

/// A new access token.
pub fn access_token(
    tenant: &Tenant,
    subject: i64,
    admin: bool,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    sign(
        tenant,
        &Claims {
            tid: tenant.id,
            sub: subject,
            kind: if admin {
                TokenAudience::Admin
            } else {
                TokenAudience::User
            },
            iat: now.timestamp(),
            exp: after(now, tenant.settings.lifetimes.access_token_seconds).timestamp(),
            jti: None,
        },
    )
}

/// A new refresh token, recorded as live in `state`.
pub fn refresh_token(
    tenant: &Tenant,
    state: &mut TenantState,
    subject: i64,
    admin: bool,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let jti = state.new_jti();
    let expires_at = after(now, REFRESH_TOKEN_LIFETIME_SECONDS);
    let token = sign(
        tenant,
        &Claims {
            tid: tenant.id,
            sub: subject,
            kind: if admin {
                TokenAudience::AdminRefresh
            } else {
                TokenAudience::UserRefresh
            },
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: Some(jti.clone()),
        },
    )?;
    state.add_refresh_token(
        jti,
        RefreshRecord {
            subject,
            admin,
            expires_at,
        },
    );
    Ok(token)
}

/// Why a bearer token was refused (all are 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Invalid => {
                ApiError::Unauthorized("Unauthorized - the bearer token is invalid")
            }
            TokenError::Expired => {
                ApiError::Unauthorized("Unauthorized - the bearer token has expired")
            }
        }
    }
}

/// Verifies a token's signature, tenant and expiry (against the tenant's clock).
pub fn verify(tenant: &Tenant, token: &str) -> Result<Claims, TokenError> {
    crate::jwt::ensure_provider();
    let claims = jsonwebtoken::decode::<Claims>(token, &tenant.keys.jwt_decoding, &validation())
        .map_err(|_| TokenError::Invalid)?
        .claims;
    if claims.tid != tenant.id {
        return Err(TokenError::Invalid);
    }
    if tenant.now().timestamp() >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// Verifies an access token (user or admin).
pub fn verify_access(tenant: &Tenant, token: &str) -> Result<Bearer, TokenError> {
    let claims = verify(tenant, token)?;
    match claims.kind {
        TokenAudience::User | TokenAudience::Admin => Ok(Bearer {
            subject: claims.sub,
            kind: claims.kind,
        }),
        _ => Err(TokenError::Invalid),
    }
}

/// Spends a refresh token of the wanted kind: it must verify and still be live; it is no
/// longer live afterwards. Returns the subject.
pub fn spend_refresh_token(
    tenant: &Tenant,
    state: &mut TenantState,
    token: &str,
    admin: bool,
) -> Option<i64> {
    let claims = verify(tenant, token).ok()?;
    let wanted = if admin {
        TokenAudience::AdminRefresh
    } else {
        TokenAudience::UserRefresh
    };
    if claims.kind != wanted {
        return None;
    }
    let record = state.refresh_tokens.remove(claims.jti.as_deref()?)?;
    (record.subject == claims.sub && record.admin == admin).then_some(claims.sub)
}

/// The claims of iframe session and invitation tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionClaims {
    pub tid: i32,
    pub kind: TokenAudience,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<SessionPermissions>,
    /// Invitations: prefilled values by request type id, then field key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values:
        Option<std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>>,
    /// Admin that created the invitation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inviter: Option<i64>,
}

/// A session or invitation token for these claims (their times are set here).
pub fn session_token(
    tenant: &Tenant,
    mut claims: SessionClaims,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    claims.tid = tenant.id;
    claims.iat = now.timestamp();
    claims.exp = after(now, SESSION_TOKEN_LIFETIME_SECONDS).timestamp();
    sign(tenant, &claims)
}

/// The claims of an OAuth ID token minted by the control API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub aud: String,
    pub email: String,
    pub email_verified: bool,
    pub iat: i64,
    pub exp: i64,
    pub tid: i32,
}

/// The `iss` of each provider.
pub fn provider_issuer(provider: &str) -> &'static str {
    match provider {
        "Microsoft" => "https://login.microsoftonline.com/sandbox/v2.0",
        _ => "https://accounts.google.com",
    }
}

/// Mints an OAuth ID token for `provider`.
pub fn mint_id_token(
    tenant: &Tenant,
    provider: &str,
    email: &str,
    lifetime_seconds: i64,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let claims = IdTokenClaims {
        iss: provider_issuer(provider).to_string(),
        aud: "vlens-sandbox".to_string(),
        email: email.to_string(),
        email_verified: true,
        iat: now.timestamp(),
        exp: after(now, lifetime_seconds).timestamp(),
        tid: tenant.id,
    };
    crate::jwt::ensure_provider();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &tenant.keys.oauth_encoding,
    )
    .map_err(|error| {
        tracing::error!(%error, "cannot sign an ID token");
        ApiError::Internal
    })
}

/// Verifies an ID token for `provider`; the error is the `validationResult` to show.
pub fn verify_id_token(
    tenant: &Tenant,
    provider: &str,
    token: &str,
) -> Result<IdTokenClaims, &'static str> {
    crate::jwt::ensure_provider();
    let claims =
        jsonwebtoken::decode::<IdTokenClaims>(token, &tenant.keys.oauth_decoding, &validation())
            .map_err(|_| "Token is malformed or its signature is invalid")?
            .claims;
    if claims.tid != tenant.id {
        return Err("Token was issued for another tenant");
    }
    if claims.iss != provider_issuer(provider) {
        return Err("Token was issued by another provider");
    }
    if tenant.now().timestamp() >= claims.exp {
        return Err("Token has expired");
    }
    Ok(claims)
}
