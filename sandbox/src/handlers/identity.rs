//! Identity verification (DI1-DI6): one transaction for ID front, ID back and liveness.

use axum::Json;
use vlens_client::KnownErrorCode;
use vlens_client::types::{self, VerificationServices};

use super::views;
use crate::defaults::MAX_IMAGE_BYTES;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AdminCaller, JsonBody, OptionalUser, QueryMap, UserCaller};
use crate::images::{self, Image};
use crate::store::{IdSide, Liveness, StoredImage, TenantState, Transaction};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Front,
    Back,
}

fn stored(image: &Image) -> StoredImage {
    StoredImage {
        bytes: image.bytes.clone(),
    }
}

fn services(liveness: bool) -> VerificationServices {
    VerificationServices {
        aml: liveness.then_some(types::AmlResult {
            aml_matched: Some(false),
            data: None,
        }),
        classification: (!liveness).then(|| types::ClassificationResult {
            doc_type: Some("national_id".to_string()),
        }),
        liveness: liveness.then_some(true),
        spoofing: Some(types::SpoofingResult { fake: Some(false) }),
        src: liveness.then_some(types::SrcResult {
            error_code: Some(0),
            error_key: None,
            error_message: None,
            is_valid: Some(true),
        }),
        validations: Some(types::ServiceValidations {
            validation_errors: Vec::new(),
        }),
    }
}

fn envelope(
    data: types::DigitalIdentityOutput,
    liveness: bool,
) -> Json<types::ApiOutputDigitalIdentity> {
    Json(types::ApiOutputDigitalIdentity {
        data: Some(data),
        error_code: None,
        error_message: None,
        error_descriptions: serde_json::Value::Null,
        services: Some(services(liveness)),
    })
}

/// The reply of every step, for transaction `tx`.
fn output(
    state: &TenantState,
    tx: &Transaction,
    side: Option<Side>,
    extracted: bool,
) -> types::DigitalIdentityOutput {
    let owner = tx.owner.and_then(|id| state.users.get(&id));
    let name = owner.map_or(("Sandbox".to_string(), "User".to_string()), |u| {
        (u.name.clone(), u.surname.clone())
    });
    let id_number = Some(tx.id_number.clone());
    let id_front_data = (side == Some(Side::Front)).then(|| {
        let personal = |value: String| extracted.then_some(value);
        types::IdFrontData {
            address: personal("Cairo, Egypt".to_string()),
            date_of_birth: personal("1990-01-01".to_string()),
            first_name_english: personal(name.0.clone()),
            gender: personal("Male".to_string()),
            id_number: id_number.clone().filter(|_| extracted),
            last_names_english: personal(name.1.clone()),
            name: personal(format!("{} {}", name.0, name.1)),
            name_english: personal(format!("{} {}", name.0, name.1)),
            transaction_id: tx.id,
        }
    });
    let id_back_data = (side == Some(Side::Back)).then(|| {
        let personal = |value: &str| extracted.then(|| value.to_string());
        types::IdBackData {
            gender: personal("Male"),
            husband_name: None,
            id_expiry: personal("2030-01-01"),
            id_number: id_number.clone().filter(|_| extracted),
            job: personal("Engineer"),
            job_title: personal("Software Engineer"),
            marital_status: personal("Single"),
            release_date: personal("2023-01-01"),
            religion: None,
            transaction_id: tx.id,
        }
    });
    types::DigitalIdentityOutput {
        device_info: None,
        id_back_data,
        id_front_data,
        is_digital_identity_verified: owner.is_some_and(|u| u.verified),
        is_verification_process_completed: tx.is_completed(),
        user: owner.map(views::user),
    }
}

/// The caller's transaction `id`: it must exist in this tenant and belong to the caller (an
/// ApiKey-only caller owns the unowned "OCR flow" transactions). Completed ones take no more
/// steps.
fn open_transaction(
    state: &mut TenantState,
    id: uuid::Uuid,
    caller: Option<i64>,
) -> ApiResult<&mut Transaction> {
    let tx = state
        .transactions
        .get_mut(&id)
        .filter(|tx| tx.owner == caller)
        .ok_or(KnownErrorCode::TransactionNotFound)?;
    if tx.is_completed() {
        return Err(KnownErrorCode::TransactionAlreadyCompleted.into());
    }
    Ok(tx)
}

async fn verify_side(
    caller: OptionalUser,
    body: types::VerifyIdInput,
    side: Side,
) -> ApiResult<Json<types::ApiOutputDigitalIdentity>> {
    if body.transaction_id.is_none() {
        // A new transaction stores this image whole: past the cap, refuse before decoding it
        // (base64 is 4 characters per 3 bytes).
        let estimate = body.image.len() / 4 * 3;
        caller
            .tenant
            .with_state(|state, _| state.room_for_images(estimate.min(MAX_IMAGE_BYTES)))?;
    }
    let decoded = images::decode_all(&[("image", body.image.as_str())])?;
    let extracted = body.get_extracted_data.unwrap_or(false);
    let data = caller.tenant.with_state(|state, now| -> ApiResult<_> {
        if let Some(id) = body.transaction_id {
            open_transaction(state, id, caller.user_id)?;
        }
        images::check_content(&decoded)?;
        let id = match body.transaction_id {
            Some(id) => id,
            None => state.new_transaction(caller.user_id, now)?,
        };
        let image = decoded.first().map(stored).ok_or(ApiError::Internal)?;
        let id_side = match side {
            Side::Front => IdSide::Front,
            Side::Back => IdSide::Back,
        };
        if let Err(full) = state.put_id_side(id, id_side, image) {
            // A transaction opened for this call does not outlive its refusal.
            if body.transaction_id.is_none() {
                state.transactions.remove(&id);
            }
            return Err(full);
        }
        let tx = state
            .transactions
            .get(&id)
            .ok_or(KnownErrorCode::TransactionNotFound)?;
        Ok(output(state, tx, Some(side), extracted))
    })?;
    Ok(envelope(data, false))
}

/// DI1.
pub async fn id_front(
    caller: OptionalUser,
    JsonBody(body): JsonBody<types::VerifyIdInput>,
) -> ApiResult<Json<types::ApiOutputDigitalIdentity>> {
    verify_side(caller, body, Side::Front).await
}

/// DI2.
pub async fn id_back(
    caller: OptionalUser,
    JsonBody(body): JsonBody<types::VerifyIdInput>,
) -> ApiResult<Json<types::ApiOutputDigitalIdentity>> {
    verify_side(caller, body, Side::Back).await
}

/// Marks `user_id` verified by transaction `tx_id`.
fn mark_verified(state: &mut TenantState, user_id: i64, tx_id: uuid::Uuid) {
    let id_number = state
        .transactions
        .get(&tx_id)
        .map(|tx| tx.id_number.clone());
    if let Some(user) = state.users.get_mut(&user_id) {
        user.verified = true;
        user.kyc_transaction = Some(tx_id);
        user.id_number = id_number;
    }
}

/// DI3.
pub async fn liveness(
    caller: OptionalUser,
    JsonBody(body): JsonBody<types::LivenessInput>,
) -> ApiResult<Json<types::ApiOutputDigitalIdentity>> {
    let mut fields = vec![
        ("face_1", body.face_1.as_str()),
        ("face_2", body.face_2.as_str()),
        ("face_3", body.face_3.as_str()),
    ];
    if let Some(image) = &body.image {
        fields.push(("image", image.as_str()));
    }
    let decoded = images::decode_all(&fields)?;
    let data = caller.tenant.with_state(|state, _| -> ApiResult<_> {
        let tx = open_transaction(state, body.transaction_id, caller.user_id)?;
        if tx.front.is_none() || tx.back.is_none() {
            return Err(KnownErrorCode::IdSidesRequired.into());
        }
        images::check_content(&decoded)?;
        // decode_all returned one image per field: the three faces, then the optional image.
        let [face_1, face_2, face_3, extra @ ..] = decoded.as_slice() else {
            return Err(ApiError::Internal);
        };
        images::check_frames_distinct(&decoded[..decoded.len().min(3)])?;
        state.put_liveness(
            body.transaction_id,
            Liveness {
                faces: [stored(face_1), stored(face_2), stored(face_3)],
                image: extra.first().map(stored),
            },
        )?;
        if let Some(user_id) = caller.user_id {
            mark_verified(state, user_id, body.transaction_id);
        }
        let tx = state
            .transactions
            .get(&body.transaction_id)
            .ok_or(KnownErrorCode::TransactionNotFound)?;
        Ok(output(state, tx, None, false))
    })?;
    Ok(envelope(data, true))
}

/// DI6.
pub async fn link_transaction(
    caller: UserCaller,
    JsonBody(body): JsonBody<types::LinkTransactionInput>,
) -> ApiResult<Json<types::ApiOutputDigitalIdentity>> {
    let data = caller.tenant.with_state(|state, _| -> ApiResult<_> {
        let tx = state
            .transactions
            .get_mut(&body.transaction_id)
            .ok_or(KnownErrorCode::TransactionNotFound)?;
        match tx.owner {
            Some(owner) if owner != caller.user_id => {
                return Err(KnownErrorCode::TransactionAlreadyCompleted.into());
            }
            _ => {}
        }
        if !tx.is_completed() {
            return Err(KnownErrorCode::TransactionNotCompleted.into());
        }
        tx.owner = Some(caller.user_id);
        mark_verified(state, caller.user_id, body.transaction_id);
        let tx = state
            .transactions
            .get(&body.transaction_id)
            .ok_or(KnownErrorCode::TransactionNotFound)?;
        Ok(output(
            state,
            tx,
            None,
            body.get_extracted_data.unwrap_or(false),
        ))
    })?;
    Ok(envelope(data, true))
}

/// DI4.
pub async fn user_images(
    caller: AdminCaller,
    query: QueryMap,
) -> ApiResult<Json<types::ApiOutputIdentityImages>> {
    let who = query.required("emailOrPhoneNumber")?.trim().to_string();
    let images = caller.tenant.with_state(|state, _| -> ApiResult<_> {
        let user = state
            .user_by_phone(&who)
            .or_else(|| state.user_by_email(&who))
            .ok_or(KnownErrorCode::UserNotFound)?;
        let tx = user
            .kyc_transaction
            .and_then(|id| state.transactions.get(&id))
            .or_else(|| {
                state
                    .transactions
                    .values()
                    .filter(|tx| tx.owner == Some(user.id))
                    .max_by_key(|tx| tx.created_at)
            });
        let mut images = types::IdentityImages::default();
        if let Some(tx) = tx {
            images.transaction_id = Some(tx.id);
            for (label, name, _) in tx.files() {
                let slot = match label {
                    "id_front" => &mut images.id_front_image,
                    "id_back" => &mut images.id_back_image,
                    "liveness" => &mut images.liveness_image,
                    "liveness_face_01" => &mut images.liveness_face01_image,
                    "liveness_face_02" => &mut images.liveness_face02_image,
                    _ => &mut images.liveness_face03_image,
                };
                *slot = Some(name);
            }
        }
        Ok(images)
    })?;
    Ok(crate::http::reply::ok!(ApiOutputIdentityImages, images))
}

/// DI5.
pub async fn step_image(
    caller: AdminCaller,
    query: QueryMap,
) -> ApiResult<Json<types::ApiOutputStepImage>> {
    let tx_id = query.required_uuid("TransactionId")?;
    let file = query.required("FileName")?.trim().to_string();
    if let Some(impersonated) = query.optional_i32("ImpersonatedTenantId", i32::MIN, i32::MAX)?
        && impersonated != caller.tenant.id
    {
        return Err(ApiError::Forbidden(
            "Forbidden - ImpersonatedTenantId must be the caller's own tenant",
        ));
    }
    let image = caller.tenant.with_state(|state, _| -> ApiResult<_> {
        let tx = state
            .transactions
            .get(&tx_id)
            .ok_or(KnownErrorCode::TransactionNotFound)?;
        tx.files()
            .into_iter()
            .find(|(_, name, _)| *name == file)
            .map(|(_, _, image)| images::encode(&image.bytes))
            .ok_or_else(|| KnownErrorCode::ImageNotFound.into())
    })?;
    Ok(crate::http::reply::ok!(
        ApiOutputStepImage,
        types::StepImage { image }
    ))
}
