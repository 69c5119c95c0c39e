//! Products, eligibility, creation and reads of business requests (BR1-BR8).

use std::collections::BTreeMap;

use axum::Json;
use vlens_client::KnownErrorCode;
use vlens_client::types::{self, RequestStatus};

use super::views;
use crate::catalogue::{self, PRODUCTS};
use crate::error::{ApiError, ApiResult, FieldProblem};
use crate::http::extract::{AnyCaller, JsonBody, PathParam, QueryMap, UserCaller, parse_uuid};
use crate::http::reply::ok;
use crate::store::{Activation, BusinessRequestRecord};
use crate::validate::{self, Problems};

/// BR1.
pub async fn all_types(_caller: UserCaller) -> Json<types::ApiOutputRequestTypes> {
    ok!(
        ApiOutputRequestTypes,
        PRODUCTS.iter().map(|p| p.request_type()).collect()
    )
}

/// BR2.
pub async fn template_fields(
    _caller: UserCaller,
    query: QueryMap,
) -> ApiResult<Json<types::ApiOutputRequestTypeTemplate>> {
    let id = query.required_i32("requestTypeId")?;
    let localized = query.optional_bool("isLocalized")?;
    let product = catalogue::product(id).ok_or(KnownErrorCode::RequestTypeNotFound)?;
    Ok(ok!(
        ApiOutputRequestTypeTemplate,
        product.template(localized)
    ))
}

/// BR3.
pub async fn check_eligibility(caller: UserCaller) -> ApiResult<Json<types::ApiOutputEligibility>> {
    let eligibility = caller.tenant.with_state(|state, _| {
        views::caller(state, caller.user_id)
            .map(|user| views::eligibility(&caller.tenant, state, user))
    })?;
    Ok(ok!(ApiOutputEligibility, eligibility))
}

/// BR4.
pub async fn create(
    caller: UserCaller,
    PathParam(raw_type_id): PathParam,
    JsonBody(body): JsonBody<types::CreateBusinessRequestInput>,
) -> ApiResult<Json<types::ApiOutputCreateBusinessRequest>> {
    let type_id: i32 = raw_type_id
        .trim()
        .parse()
        .map_err(|_| ApiError::field("typeId", "must be a 32-bit integer"))?;
    let mut problems = Problems::new();
    problems.check(validate::geo("geoLocation", &body.geo_location));
    if let Some(count) = body.minimum_required_signatories
        && count < 1
    {
        problems.push(FieldProblem::new(
            "minimumRequiredSignatories",
            "must be at least 1",
        ));
    }
    problems.finish()?;
    let product = catalogue::product(type_id).ok_or(KnownErrorCode::RequestTypeNotFound)?;
    let tenant = &caller.tenant;
    let created = tenant.with_state(|state, now| -> ApiResult<types::CreatedBusinessRequest> {
        let user = views::caller(state, caller.user_id)?;
        let eligibility = views::eligibility(tenant, state, user);
        if !eligibility.is_eligible {
            let mut reasons = Vec::new();
            if !eligibility.is_digital_identity_verified {
                reasons.push(FieldProblem::new(
                    "isDigitalIdentityVerified",
                    "the user's identity is not verified",
                ));
            }
            if eligibility.has_pending_request {
                reasons.push(FieldProblem::new(
                    "hasPendingRequest",
                    "the user has a request in Pending Approval or Approved",
                ));
            }
            if tenant.require_email_confirmation && !eligibility.is_email_confirmed {
                reasons.push(FieldProblem::new(
                    "isEmailConfirmed",
                    "the tenant requires a confirmed email",
                ));
            }
            return Err(ApiError::business_with(
                KnownErrorCode::NotEligible,
                reasons,
            ));
        }
        let values: BTreeMap<String, String> =
            body.request_fields_values.clone().into_iter().collect();
        let problems = product.validate_values(&values);
        if !problems.is_empty() {
            return Err(ApiError::business_with(
                KnownErrorCode::InvalidFieldValue,
                problems,
            ));
        }
        // Before anything is spent (an id, a request number).
        state.room_for_request()?;
        let id = state.new_uuid();
        let status = if product.auto_approve {
            RequestStatus::APPROVED.0
        } else {
            RequestStatus::PENDING_APPROVAL.0
        };
        let number = state.next_request_number(now);
        state.add_request(BusinessRequestRecord {
            id,
            number: number.clone(),
            owner: caller.user_id,
            product_id: product.id,
            status,
            values,
            created_at: now,
            modified_at: None,
            activation: Activation::default(),
        })?;
        views::caller_mut(state, caller.user_id)?.requests.push(id);
        Ok(types::CreatedBusinessRequest {
            id,
            request_number: number,
            request_status_name: Some(views::status_name(status)),
            requeststatus: Some(RequestStatus(status)),
            type_name: product.name.to_string(),
        })
    })?;
    Ok(ok!(ApiOutputCreateBusinessRequest, created))
}

/// Request `id` rendered in full, if `viewer` (a user; None for the admin) may see it.
fn visible_request(
    state: &crate::store::TenantState,
    id: uuid::Uuid,
    viewer: Option<i64>,
    minimal: bool,
) -> ApiResult<types::BusinessRequest> {
    let record = state
        .requests
        .get(&id)
        .filter(|record| viewer.is_none_or(|user| record.owner == user))
        .ok_or(KnownErrorCode::RequestNotFound)?;
    Ok(views::business_request(
        record,
        state.users.get(&record.owner),
        minimal,
    ))
}

/// BR5: the latest created request.
pub async fn current(
    caller: UserCaller,
    query: QueryMap,
) -> ApiResult<Json<types::ApiOutputBusinessRequest>> {
    let minimal = query.optional_bool("minimal")?;
    let request = caller.tenant.with_state(|state, _| -> ApiResult<_> {
        let id = views::own_request_id(state, caller.user_id, None)?;
        visible_request(state, id, Some(caller.user_id), minimal)
    })?;
    Ok(ok!(ApiOutputBusinessRequest, request))
}

/// SkipCount and MaxResultCount (defaults 0 and 10, at most 1000).
fn paging(query: &QueryMap) -> ApiResult<(usize, usize)> {
    let skip = query.optional_i32("SkipCount", 0, i32::MAX)?.unwrap_or(0);
    let max = query.optional_i32("MaxResultCount", 1, 1000)?.unwrap_or(10);
    Ok((
        usize::try_from(skip).unwrap_or(0),
        usize::try_from(max).unwrap_or(10),
    ))
}

fn count(n: usize) -> Option<i32> {
    Some(i32::try_from(n).unwrap_or(i32::MAX))
}

/// One page of the caller's requests, newest first, rendered by `render`, and the total.
fn page_of<T>(
    caller: &UserCaller,
    query: &QueryMap,
    render: impl Fn(&BusinessRequestRecord, &crate::store::User) -> T,
) -> ApiResult<(Vec<T>, usize)> {
    let (skip, max) = paging(query)?;
    caller.tenant.with_state(|state, _| {
        let user = views::caller(state, caller.user_id)?;
        let page = user
            .requests
            .iter()
            .rev()
            .skip(skip)
            .take(max)
            .filter_map(|id| state.requests.get(id))
            .map(|record| render(record, user))
            .collect();
        Ok((page, user.requests.len()))
    })
}

/// BR6: newest first, paged.
pub async fn current_list(
    caller: UserCaller,
    query: QueryMap,
) -> ApiResult<Json<types::ApiOutputBusinessRequestList>> {
    let (page, total) = page_of(&caller, &query, |record, user| {
        views::business_request(record, Some(user), false)
    })?;
    Ok(Json(types::ApiOutputBusinessRequestList {
        returned_count: count(page.len()),
        total_count: count(total),
        data: Some(page),
        error_code: None,
        error_message: None,
        error_descriptions: serde_json::Value::Null,
    }))
}

/// BR7: newest first, paged.
pub async fn current_list_ids(
    caller: UserCaller,
    query: QueryMap,
) -> ApiResult<Json<types::ApiOutputBusinessRequestSummaryList>> {
    let (page, total) = page_of(&caller, &query, |record, user| {
        views::summary(record, Some(user))
    })?;
    Ok(Json(types::ApiOutputBusinessRequestSummaryList {
        returned_count: count(page.len()),
        total_count: count(total),
        data: Some(page),
        error_code: None,
        error_message: None,
        error_descriptions: serde_json::Value::Null,
    }))
}

/// BR8: a user sees their own requests, an admin every request of the tenant.
pub async fn by_id(
    caller: AnyCaller,
    PathParam(raw_id): PathParam,
) -> ApiResult<Json<types::ApiOutputBusinessRequest>> {
    let id = parse_uuid("id", &raw_id)?;
    let request = caller.tenant.with_state(|state, _| -> ApiResult<_> {
        visible_request(state, id, caller.user_id, false)
    })?;
    Ok(ok!(ApiOutputBusinessRequest, request))
}
