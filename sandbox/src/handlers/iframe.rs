//! Iframe session and invitation tokens (IS1, IS2): signed JWTs living one hour.

use std::collections::BTreeMap;

use axum::Json;
use base64::Engine;
use vlens_client::KnownErrorCode;
use vlens_client::types;

use crate::auth::{self, SessionClaims, TokenAudience};
use crate::catalogue;
use crate::error::{ApiError, ApiResult, FieldProblem};
use crate::http::extract::{AdminCaller, ApiKeyTenant, JsonBody};
use crate::http::reply::ok;
use crate::validate::{self, Problems};

/// `userPublicKey` must be a PEM public key: the encryption itself is undocumented, so the key
/// is only checked and the token returned unencrypted (the spec's decision).
fn check_public_key(pem: &str) -> Result<(), FieldProblem> {
    let pem = pem.trim();
    let body = ["PUBLIC KEY", "RSA PUBLIC KEY"].iter().find_map(|label| {
        pem.strip_prefix(&format!("-----BEGIN {label}-----"))?
            .strip_suffix(&format!("-----END {label}-----"))
    });
    let decodes = body.is_some_and(|body| {
        let compact: String = body.split_whitespace().collect();
        !compact.is_empty()
            && base64::engine::general_purpose::STANDARD
                .decode(compact)
                .is_ok()
    });
    if decodes {
        Ok(())
    } else {
        Err(FieldProblem::new(
            "userPublicKey",
            "must be a PEM public key (-----BEGIN PUBLIC KEY-----)",
        ))
    }
}

fn check_contact(problems: &mut Problems, phone: Option<&str>, email: Option<&str>, prefix: &str) {
    if let Some(phone) = phone {
        problems.check(validate::phone(&format!("{prefix}phoneNumber"), phone));
    }
    if let Some(email) = email {
        problems.check(validate::email(&format!("{prefix}email"), email));
    }
}

/// Every allowed contract type must be a product.
fn check_permissions(
    permissions: Option<&types::SessionPermissions>,
    prefix: &str,
) -> ApiResult<()> {
    let unknown: Vec<FieldProblem> = permissions
        .and_then(|p| p.allowed_contract_type_ids.as_ref())
        .into_iter()
        .flatten()
        .filter(|id| catalogue::product(**id).is_none())
        .map(|id| {
            FieldProblem::new(
                format!("{prefix}sessionPermissions.allowedContractTypeIds"),
                format!("{id} is not a request type of this tenant"),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::business_with(
            KnownErrorCode::RequestTypeNotFound,
            unknown,
        ))
    }
}

fn session_claims(kind: TokenAudience, jti: String) -> SessionClaims {
    SessionClaims {
        tid: 0,
        kind,
        iat: 0,
        exp: 0,
        jti,
        phone: None,
        email: None,
        permissions: None,
        values: None,
        inviter: None,
    }
}

/// IS1.
pub async fn create_auth_session(
    ApiKeyTenant(tenant): ApiKeyTenant,
    JsonBody(body): JsonBody<types::SessionInput>,
) -> ApiResult<Json<types::ApiOutputString>> {
    let mut problems = Problems::new();
    check_contact(
        &mut problems,
        body.phone_number.as_deref(),
        body.email.as_deref(),
        "",
    );
    if let Some(key) = &body.user_public_key {
        problems.check(check_public_key(key));
    }
    problems.finish()?;
    check_permissions(body.session_permissions.as_ref(), "")?;
    let token = tenant.with_state(|state, now| {
        let mut claims = session_claims(TokenAudience::Session, state.new_jti());
        claims.phone = body.phone_number.clone();
        claims.email = body.email.clone();
        claims.permissions = body.session_permissions.clone();
        auth::session_token(&tenant, claims, now)
    })?;
    Ok(ok!(ApiOutputString, token))
}

/// IS2: prefilled values keyed by request type id, then field key, checked against the
/// catalogue (unknown type: RequestTypeNotFound; unknown key or bad value: InvalidFieldValue).
pub async fn create_invitation(
    caller: AdminCaller,
    JsonBody(body): JsonBody<types::CreateInvitationInput>,
) -> ApiResult<Json<types::ApiOutputString>> {
    let session = body.session_input;
    let mut problems = Problems::new();
    check_contact(
        &mut problems,
        session.phone_number.as_deref(),
        session.email.as_deref(),
        "SessionInput.",
    );
    problems.finish()?;
    check_permissions(session.session_permissions.as_ref(), "SessionInput.")?;
    let values = session.request_fields_values.clone().unwrap_or_default();
    let mut unknown_types = Vec::new();
    let mut bad_values = Vec::new();
    for (type_key, fields) in &values {
        let product = type_key
            .trim()
            .parse::<i32>()
            .ok()
            .and_then(catalogue::product);
        match product {
            None => unknown_types.push(FieldProblem::new(
                format!("SessionInput.RequestFieldsValues.{type_key}"),
                "is not a request type of this tenant",
            )),
            Some(product) => {
                let fields: BTreeMap<String, String> = fields.clone().into_iter().collect();
                bad_values.extend(product.validate_known_values(
                    &fields,
                    &format!("SessionInput.RequestFieldsValues.{type_key}."),
                ));
            }
        }
    }
    if !unknown_types.is_empty() {
        return Err(ApiError::business_with(
            KnownErrorCode::RequestTypeNotFound,
            unknown_types,
        ));
    }
    if !bad_values.is_empty() {
        return Err(ApiError::business_with(
            KnownErrorCode::InvalidFieldValue,
            bad_values,
        ));
    }
    let tenant = &caller.tenant;
    let token = tenant.with_state(|state, now| {
        let mut claims = session_claims(TokenAudience::Invitation, state.new_jti());
        claims.phone = session.phone_number.clone();
        claims.email = session.email.clone();
        claims.permissions = session.session_permissions.clone();
        claims.values = Some(
            values
                .into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect(),
        );
        claims.inviter = Some(crate::defaults::ADMIN_USER_ID);
        auth::session_token(tenant, claims, now)
    })?;
    Ok(ok!(ApiOutputString, token))
}
