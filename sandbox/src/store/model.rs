//! The records a tenant keeps.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vlens_client::types::GeoLocation;

use vlens_client::Secret;

use crate::security_hash::LinkPurpose;

/// An end user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
    pub email_confirmed: bool,
    /// None: the account logs in by phone OTP only.
    pub password: Option<Secret>,
    pub name: String,
    pub surname: String,
    pub id_number: Option<String>,
    /// Identity verification passed (ID front, back and liveness on one transaction).
    pub verified: bool,
    /// The completed KYC transaction.
    pub kyc_transaction: Option<Uuid>,
    /// The last active device location: registration, then each login and re-validation.
    pub last_location: Option<GeoLocation>,
    /// Devices (imei) the user has logged in or registered on.
    pub devices: HashSet<String>,
    /// The user's business requests, oldest first.
    pub requests: Vec<Uuid>,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.name, self.surname)
    }
}

/// An image kept for DI4/DI5.
#[derive(Debug, Clone)]
pub struct StoredImage {
    pub bytes: Vec<u8>,
}

impl StoredImage {
    pub fn extension(&self) -> &'static str {
        if crate::images::is_jpeg_or_png(&self.bytes) && self.bytes.starts_with(&[0xFF, 0xD8]) {
            "jpg"
        } else {
            "png"
        }
    }
}

/// The liveness frames.
#[derive(Debug, Clone)]
pub struct Liveness {
    pub faces: [StoredImage; 3],
    pub image: Option<StoredImage>,
}

impl Liveness {
    /// Decoded bytes of its frames.
    pub fn image_bytes(&self) -> usize {
        self.faces
            .iter()
            .chain(self.image.as_ref())
            .map(|image| image.bytes.len())
            .sum()
    }
}

/// An identity-verification transaction: ID front, ID back, then liveness.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub id: Uuid,
    /// The user it belongs to; None for an ApiKey-only ("OCR flow") transaction.
    pub owner: Option<i64>,
    pub front: Option<StoredImage>,
    pub back: Option<StoredImage>,
    pub liveness: Option<Liveness>,
    /// The national id number "read" from the card.
    pub id_number: String,
    pub created_at: DateTime<Utc>,
}

impl Transaction {
    pub fn is_completed(&self) -> bool {
        self.liveness.is_some()
    }

    /// Decoded bytes of every image it holds (`caps.image_bytes`).
    pub fn image_bytes(&self) -> usize {
        let sides: usize = [&self.front, &self.back]
            .into_iter()
            .flatten()
            .map(|image| image.bytes.len())
            .sum();
        sides + self.liveness.as_ref().map_or(0, Liveness::image_bytes)
    }

    /// Every image with its DI4 file name, in DI4's order.
    pub fn files(&self) -> Vec<(&'static str, String, &StoredImage)> {
        let mut slots: Vec<(&'static str, Option<&StoredImage>)> = vec![
            ("id_front", self.front.as_ref()),
            ("id_back", self.back.as_ref()),
        ];
        if let Some(liveness) = &self.liveness {
            slots.push(("liveness", liveness.image.as_ref()));
            slots.push(("liveness_face_01", Some(&liveness.faces[0])));
            slots.push(("liveness_face_02", Some(&liveness.faces[1])));
            slots.push(("liveness_face_03", Some(&liveness.faces[2])));
        }
        slots
            .into_iter()
            .filter_map(|(label, image)| {
                let image = image?;
                Some((
                    label,
                    format!("{}_{label}.{}", self.id, image.extension()),
                    image,
                ))
            })
            .collect()
    }
}

/// Where a request's activation stands.
#[derive(Debug, Clone, Default)]
pub struct Activation {
    /// The latest activation OTP sent for this request.
    pub latest_otp: Option<Uuid>,
    /// That OTP was validated: StepValidatePayment may run.
    pub otp_validated: bool,
}

/// A business request.
#[derive(Debug, Clone)]
pub struct BusinessRequestRecord {
    pub id: Uuid,
    pub number: String,
    pub owner: i64,
    pub product_id: i32,
    pub status: i32,
    pub values: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub activation: Activation,
}

#[cfg(test)]
impl BusinessRequestRecord {
    /// An approved Personal Loan of user 100 made at `now`, for the store's and the hosted
    /// pages' own tests.
    pub fn approved_loan(id: Uuid, now: DateTime<Utc>) -> BusinessRequestRecord {
        BusinessRequestRecord {
            id,
            number: "REQ-2026-00001".to_string(),
            owner: 100,
            product_id: crate::defaults::PERSONAL_LOAN_TYPE_ID,
            status: 2,
            values: BTreeMap::new(),
            created_at: now,
            modified_at: None,
            activation: Activation::default(),
        }
    }
}

/// An issued signing or payment link, kept by its SecurityHash.
#[derive(Debug, Clone)]
pub struct Link {
    pub request_id: Uuid,
    pub purpose: LinkPurpose,
    pub expires_at: DateTime<Utc>,
}

impl Link {
    /// Whether this link opens `purpose` for `request_id` at `now`.
    pub fn opens(&self, purpose: LinkPurpose, request_id: Uuid, now: DateTime<Utc>) -> bool {
        self.purpose == purpose && self.request_id == request_id && self.expires_at > now
    }
}

/// A live refresh token (by its `jti`); removed when used, so refresh tokens rotate.
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub subject: i64,
    pub admin: bool,
    pub expires_at: DateTime<Utc>,
}

/// A verified OAuth ID token, to be spent on one Register.
#[derive(Debug, Clone)]
pub struct OAuthVerification {
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}
