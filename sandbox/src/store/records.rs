//! What a tenant keeps, under `SandboxConfig::caps`, so that no traffic grows memory without
//! bound (issue 8: 2,600 ApiKey-only ID fronts took 1.7 GB, never purged).
//!
//! - Lasting records (users, business requests, transactions and their image bytes) are refused
//!   past their cap: HTTP 507, with a message that names the cap and what frees it.
//! - Records that expire anyway (OTPs, links, refresh tokens, OAuth verifications) make room
//!   instead: at the cap, the tenth of them nearest their expiry is dropped, so a flood cannot
//!   lock newcomers out for the records' whole lifetime (seven days for a refresh token). A
//!   tenth at a time, so that the scan this takes (under the tenant's lock) runs once per tenth
//!   of the cap, not on every new record of a flood.
//! - An ApiKey-only ("OCR flow") transaction that is not completed expires, with its images,
//!   `lifetimes.incomplete_transaction_seconds` after it began.

use std::collections::HashMap;
use std::hash::Hash;

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vlens_client::KnownErrorCode;

use super::model::{
    BusinessRequestRecord, Liveness, OAuthVerification, RefreshRecord, StoredImage, Transaction,
};
use super::tenant::TenantState;
use crate::error::{ApiError, ApiResult};
use crate::time::after;

/// Which side of the national ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSide {
    Front,
    Back,
}

/// The 507 of a full tenant.
fn full(what: &str, cap: usize, knob: &str) -> ApiError {
    ApiError::InsufficientStorage(format!(
        "this tenant holds {cap} {what}, the sandbox's cap (SandboxConfig::caps.{knob}, \
         --max-{}); POST /__sandbox/reset forgets them",
        knob.replace('_', "-")
    ))
}

/// When `records` hold `cap` or more, the keys of the tenth of `cap` (at least one) nearest
/// their expiry; nothing below the cap.
fn nearest_expiries<K: Clone + Eq + Hash, V>(
    records: &HashMap<K, V>,
    cap: usize,
    expiry: impl Fn(&V) -> DateTime<Utc>,
) -> Vec<K> {
    if records.len() < cap {
        return Vec::new();
    }
    let count = (cap / 10).max(1) + (records.len() - cap);
    let mut by_expiry: Vec<(DateTime<Utc>, &K)> = records
        .iter()
        .map(|(key, record)| (expiry(record), key))
        .collect();
    if count < by_expiry.len() {
        by_expiry.select_nth_unstable_by_key(count, |(at, _)| *at);
        by_expiry.truncate(count);
    }
    by_expiry.into_iter().map(|(_, key)| key.clone()).collect()
}

impl TenantState {
    fn caps(&self) -> crate::config::Caps {
        self.settings.caps
    }

    // ------------------------------------------------------------------ lasting records

    /// Whether one more user fits (`caps.users`).
    pub fn room_for_user(&self) -> ApiResult<()> {
        let cap = self.caps().users;
        if self.users.len() >= cap {
            return Err(full("users", cap, "users"));
        }
        Ok(())
    }

    /// Whether one more business request fits (`caps.requests`).
    pub fn room_for_request(&self) -> ApiResult<()> {
        let cap = self.caps().requests;
        if self.requests.len() >= cap {
            return Err(full("business requests", cap, "requests"));
        }
        Ok(())
    }

    /// Stores a new business request, if one more fits, and indexes it for the hosted pages.
    pub fn add_request(&mut self, record: BusinessRequestRecord) -> ApiResult<()> {
        self.room_for_request()?;
        self.index.insert(record.id, self.tenant_id);
        self.requests.insert(record.id, record);
        Ok(())
    }

    /// Takes this tenant's requests out of the sandbox's index (a reset, a dropped tenant).
    pub fn unindex_requests(&mut self) {
        self.index.remove_all(self.requests.keys().copied());
    }

    /// Opens a new identity-verification transaction for `owner` (None: ApiKey only), if one
    /// more fits (`caps.transactions`); returns its id.
    pub fn new_transaction(&mut self, owner: Option<i64>, now: DateTime<Utc>) -> ApiResult<Uuid> {
        // No image yet: its bytes are charged when an ID side arrives.
        self.room_for_transaction(0)?;
        let id = self.new_uuid();
        let id_number = self.new_id_number();
        self.transactions.insert(
            id,
            Transaction {
                id,
                owner,
                front: None,
                back: None,
                liveness: None,
                id_number,
                created_at: now,
            },
        );
        Ok(id)
    }

    /// Whether one more transaction holding `image_bytes` fits (`caps.transactions`,
    /// `caps.image_bytes`).
    pub fn room_for_transaction(&self, image_bytes: usize) -> ApiResult<()> {
        let cap = self.caps().transactions;
        if self.transactions.len() >= cap {
            return Err(full(
                "identity-verification transactions",
                cap,
                "transactions",
            ));
        }
        let cap = self.caps().image_bytes;
        if self.image_bytes.saturating_add(image_bytes) > cap {
            return Err(full("bytes of images", cap, "image_bytes"));
        }
        Ok(())
    }

    /// Stores a complete transaction (the control API's verified users), if it fits.
    pub fn add_transaction(&mut self, transaction: Transaction) -> ApiResult<()> {
        self.room_for_transaction(transaction.image_bytes())?;
        self.charge_images(0, transaction.image_bytes())?;
        self.transactions.insert(transaction.id, transaction);
        Ok(())
    }

    /// Whether `bytes` more image bytes fit: a cheap check before decoding a new transaction's
    /// image, so that a flood past the cap is refused without a decoded copy of each image.
    pub fn room_for_images(&self, bytes: usize) -> ApiResult<()> {
        let cap = self.caps().image_bytes;
        if self.image_bytes.saturating_add(bytes) > cap {
            return Err(full("bytes of images", cap, "image_bytes"));
        }
        Ok(())
    }

    /// Accounts for images of `added` bytes replacing `removed` bytes, if the total still fits
    /// (`caps.image_bytes`).
    fn charge_images(&mut self, removed: usize, added: usize) -> ApiResult<()> {
        let total = self
            .image_bytes
            .saturating_sub(removed)
            .saturating_add(added);
        let cap = self.caps().image_bytes;
        if total > cap {
            return Err(full("bytes of images", cap, "image_bytes"));
        }
        self.image_bytes = total;
        Ok(())
    }

    /// Sets one side of transaction `id`'s ID card.
    pub fn put_id_side(&mut self, id: Uuid, side: IdSide, image: StoredImage) -> ApiResult<()> {
        let old = self
            .transactions
            .get(&id)
            .ok_or(KnownErrorCode::TransactionNotFound)?;
        let removed = match side {
            IdSide::Front => old.front.as_ref(),
            IdSide::Back => old.back.as_ref(),
        }
        .map_or(0, |image| image.bytes.len());
        self.charge_images(removed, image.bytes.len())?;
        if let Some(tx) = self.transactions.get_mut(&id) {
            match side {
                IdSide::Front => tx.front = Some(image),
                IdSide::Back => tx.back = Some(image),
            }
        }
        Ok(())
    }

    /// Sets transaction `id`'s liveness frames (which completes it).
    pub fn put_liveness(&mut self, id: Uuid, liveness: Liveness) -> ApiResult<()> {
        let old = self
            .transactions
            .get(&id)
            .ok_or(KnownErrorCode::TransactionNotFound)?;
        let removed = old.liveness.as_ref().map_or(0, Liveness::image_bytes);
        self.charge_images(removed, liveness.image_bytes())?;
        if let Some(tx) = self.transactions.get_mut(&id) {
            tx.liveness = Some(liveness);
        }
        Ok(())
    }

    /// Drops the ApiKey-only transactions left incomplete for
    /// `lifetimes.incomplete_transaction_seconds`, with their images.
    pub(super) fn purge_incomplete_transactions(&mut self, now: DateTime<Utc>) {
        let lifetime = self.settings.lifetimes.incomplete_transaction_seconds;
        let mut freed = 0;
        self.transactions.retain(|_, tx| {
            let expired =
                tx.owner.is_none() && !tx.is_completed() && after(tx.created_at, lifetime) <= now;
            if expired {
                freed += tx.image_bytes();
            }
            !expired
        });
        self.image_bytes = self.image_bytes.saturating_sub(freed);
    }

    // ------------------------------------------------------------------ expiring records

    /// Room for one more OTP (`caps.short_lived`).
    pub(super) fn make_room_for_otp(&mut self) {
        for id in nearest_expiries(&self.otps, self.caps().short_lived, |otp| otp.expires_at) {
            self.forget_otp(id);
        }
    }

    /// Room for one more signing or payment link.
    pub(super) fn make_room_for_link(&mut self) {
        for hash in nearest_expiries(&self.links, self.caps().short_lived, |l| l.expires_at) {
            self.links.remove(&hash);
        }
    }

    /// Stores a live refresh token by its `jti`, making room first.
    pub fn add_refresh_token(&mut self, jti: String, record: RefreshRecord) {
        let cap = self.caps().short_lived;
        for old in nearest_expiries(&self.refresh_tokens, cap, |token| token.expires_at) {
            self.refresh_tokens.remove(&old);
        }
        self.refresh_tokens.insert(jti, record);
    }

    /// Stores an OAuth verification, making room first.
    pub fn add_oauth_verification(&mut self, id: Uuid, verification: OAuthVerification) {
        let cap = self.caps().short_lived;
        for old in nearest_expiries(&self.oauth_verifications, cap, |v| v.expires_at) {
            self.oauth_verifications.remove(&old);
        }
        self.oauth_verifications.insert(id, verification);
    }

    /// The image bytes held, counted afresh (for tests of the accounting).
    #[cfg(test)]
    pub fn counted_image_bytes(&self) -> (usize, usize) {
        let recount = self
            .transactions
            .values()
            .map(Transaction::image_bytes)
            .sum();
        (self.image_bytes, recount)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeDelta;

    use super::*;
    use crate::store::{Store, Tenant};
    use crate::{SandboxConfig, defaults};

    fn tenant_with(config: SandboxConfig) -> Arc<Tenant> {
        let store = Store::new(
            defaults::DEFAULT_API_KEY,
            Some(1),
            Arc::new(config.settings()),
        );
        store
            .tenant_by_key(defaults::DEFAULT_API_KEY)
            .expect("the Default tenant")
    }

    fn image(bytes: usize) -> StoredImage {
        StoredImage {
            bytes: vec![0; bytes],
        }
    }

    fn frames(bytes: usize) -> Liveness {
        Liveness {
            faces: [image(bytes), image(bytes), image(bytes)],
            image: None,
        }
    }

    #[test]
    fn image_bytes_are_counted_exactly_and_capped() {
        let mut config = SandboxConfig::default();
        config.caps.image_bytes = 1_000;
        let tenant = tenant_with(config);
        tenant.with_state(|state, now| {
            let tx = state.new_transaction(None, now).expect("room");
            state
                .put_id_side(tx, IdSide::Front, image(300))
                .expect("fits");
            // Replacing a side frees the old image.
            state
                .put_id_side(tx, IdSide::Front, image(200))
                .expect("fits");
            state
                .put_id_side(tx, IdSide::Back, image(200))
                .expect("fits");
            assert_eq!(state.counted_image_bytes(), (400, 400));
            let refused = state.put_liveness(tx, frames(201));
            assert!(matches!(refused, Err(ApiError::InsufficientStorage(_))));
            assert_eq!(
                state.counted_image_bytes(),
                (400, 400),
                "a refusal stores nothing"
            );
            state
                .put_liveness(tx, frames(200))
                .expect("exactly the cap");
            assert_eq!(state.counted_image_bytes(), (1_000, 1_000));
        });
    }

    #[test]
    fn incomplete_api_key_only_transactions_expire_with_their_images() {
        let tenant = tenant_with(SandboxConfig::default());
        tenant.with_state(|state, now| {
            let unowned = state.new_transaction(None, now).expect("room");
            state
                .put_id_side(unowned, IdSide::Front, image(100))
                .expect("fits");
            let owned = state.new_transaction(Some(100), now).expect("room");
            state
                .put_id_side(owned, IdSide::Front, image(100))
                .expect("fits");
            let complete = state.new_transaction(None, now).expect("room");
            state.put_liveness(complete, frames(10)).expect("fits");
            let lifetime = defaults::INCOMPLETE_TRANSACTION_LIFETIME_SECONDS;
            state.purge(now + TimeDelta::seconds(lifetime - 1));
            assert_eq!(state.transactions.len(), 3);
            state.purge(now + TimeDelta::seconds(lifetime));
            assert!(!state.transactions.contains_key(&unowned));
            assert!(state.transactions.contains_key(&owned));
            assert!(state.transactions.contains_key(&complete));
            assert_eq!(state.counted_image_bytes(), (130, 130));
        });
    }

    #[test]
    fn a_reset_takes_the_tenants_requests_out_of_the_index() {
        let tenant = tenant_with(SandboxConfig::default());
        let index = tenant.with_state(|state, now| {
            let id = state.new_uuid();
            state
                .add_request(BusinessRequestRecord::approved_loan(id, now))
                .expect("room");
            assert_eq!(state.index.tenant_of(id), Some(defaults::DEFAULT_TENANT_ID));
            Arc::clone(&state.index)
        });
        assert_eq!(index.len(), 1);
        tenant.reset();
        assert_eq!(index.len(), 0);
    }

    #[test]
    fn expiring_records_make_room_by_dropping_the_nearest_expiry() {
        let mut config = SandboxConfig::default();
        config.caps.short_lived = 2;
        config.rate_limits = crate::RateLimits::off();
        let tenant = tenant_with(config);
        tenant.with_state(|state, now| {
            let key = [7; 32];
            let request = Uuid::from_u128(1);
            let first = state.issue_link(
                &key,
                crate::security_hash::LinkPurpose::Signing,
                request,
                now,
            );
            let later = now + TimeDelta::seconds(1);
            let second = state.issue_link(
                &key,
                crate::security_hash::LinkPurpose::Signing,
                request,
                later,
            );
            let third = state.issue_link(
                &key,
                crate::security_hash::LinkPurpose::Signing,
                request,
                later,
            );
            assert_eq!(state.links.len(), 2);
            assert!(!state.links.contains_key(&first), "the nearest expiry went");
            assert!(state.links.contains_key(&second) && state.links.contains_key(&third));
            for (second, phone) in ["+201000000001", "+201000000002", "+201000000003"]
                .into_iter()
                .enumerate()
            {
                let at = now + TimeDelta::seconds(i64::try_from(second).unwrap_or(0));
                state
                    .issue_otp(crate::otp::Purpose::RegisterPhone, phone, None, at)
                    .expect("no limit");
            }
            assert_eq!(state.otp_count(), 2);
            assert!(
                state.outbox("+201000000001").is_none(),
                "the oldest OTP went"
            );
            assert!(state.outbox("+201000000003").is_some());
        });
    }
}
