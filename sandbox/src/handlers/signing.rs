//! The WebView signing link and the contract PDF URL (BR13, BR14).

use axum::Json;
use vlens_client::KnownErrorCode;
use vlens_client::types;

use super::views;
use crate::error::ApiResult;
use crate::http::extract::{AnyCaller, BaseUrl, JsonBody, QueryMap, UserCaller};
use crate::http::reply::ok;
use crate::security_hash::LinkPurpose;
use crate::validate;

/// BR13: `<base>/sign?RequestId=<uuid>&SecurityHash=<40 hex>`, valid 15 minutes.
pub async fn generate_sign_contract_link(
    caller: UserCaller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody<types::CustomerSignInput>,
) -> ApiResult<Json<types::ApiOutputString>> {
    validate::location(&body.geo_location)?;
    let tenant = &caller.tenant;
    let (request_id, hash) = tenant.with_state(|state, now| -> ApiResult<_> {
        let request_id = views::own_request_id(state, caller.user_id, body.request_id)?;
        let hash = state.issue_link(&tenant.keys.link_key, LinkPurpose::Signing, request_id, now);
        Ok((request_id, hash))
    })?;
    Ok(ok!(
        ApiOutputString,
        format!("{base}/sign?RequestId={request_id}&SecurityHash={hash}")
    ))
}

/// BR14: checks the hash and answers the PDF's URL.
pub async fn view_contract_pdf(
    caller: AnyCaller,
    BaseUrl(base): BaseUrl,
    query: QueryMap,
) -> ApiResult<Json<types::ApiOutputString>> {
    let request_id = query.required_uuid("RequestId")?;
    let hash = query.required("SecurityHash")?.trim().to_string();
    caller.tenant.with_state(|state, now| -> ApiResult<()> {
        state
            .requests
            .get(&request_id)
            .filter(|record| caller.user_id.is_none_or(|user| record.owner == user))
            .ok_or(KnownErrorCode::RequestNotFound)?;
        state
            .links
            .get(&hash)
            .filter(|link| link.opens(LinkPurpose::Signing, request_id, now))
            .ok_or(KnownErrorCode::InvalidSecurityHash)?;
        Ok(())
    })?;
    Ok(ok!(
        ApiOutputString,
        format!("{base}/__sandbox/contracts/{request_id}.pdf?SecurityHash={hash}")
    ))
}
