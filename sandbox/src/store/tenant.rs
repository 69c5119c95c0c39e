//! One tenant: its keys, clock and records.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::Sha256;
use uuid::Uuid;

use super::index::RequestIndex;
use super::model::*;
use crate::config::{RateLimits, Settings};
use crate::defaults::{EXPIRED_OTP_GRACE_SECONDS, MAX_CLOCK_OFFSET_SECONDS};
use crate::faults::{FaultReply, Faults};
use crate::otp::{Otp, Purpose};
use crate::security_hash::{LinkPurpose, security_hash};
use crate::throttle::Throttle;
use crate::time::after;

/// The keys of one tenant, all derived from the sandbox's master secret and the tenant id.
pub struct TenantKeys {
    pub jwt_encoding: EncodingKey,
    pub jwt_decoding: DecodingKey,
    pub oauth_encoding: EncodingKey,
    pub oauth_decoding: DecodingKey,
    pub link_key: [u8; 32],
}

fn derive(master: &[u8; 32], label: &str, tenant_id: i32) -> [u8; 32] {
    let mut mac = match Hmac::<Sha256>::new_from_slice(master) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts any key length"),
    };
    mac.update(label.as_bytes());
    mac.update(&tenant_id.to_be_bytes());
    mac.finalize().into_bytes().into()
}

/// Who a tenant is.
pub struct TenantIdentity {
    pub id: i32,
    pub name: String,
    pub api_key: String,
    /// CheckEligibility requires a confirmed email.
    pub require_email_confirmation: bool,
    /// Made through `POST /__sandbox/tenants` (counted by `caps.tenants`, dropped when idle).
    pub made_by_control: bool,
}

/// A tenant: ApiKey, admin, catalogue (shared), clock and records.
pub struct Tenant {
    pub id: i32,
    pub name: String,
    api_key: String,
    /// CheckEligibility requires a confirmed email.
    pub require_email_confirmation: bool,
    /// Made through the control API (built-in tenants are never dropped).
    pub made_by_control: bool,
    /// When a request last named its ApiKey, in the store's wall-clock seconds.
    last_used: AtomicI64,
    pub keys: TenantKeys,
    /// The sandbox's configured policy (lifetimes, limits, caps).
    pub settings: Arc<Settings>,
    /// Seconds the tenant's clock is ahead of the wall clock (`/__sandbox/clock`). Outside
    /// the lock so that token checks read it without locking.
    clock_offset: AtomicI64,
    /// How many operations have a fault armed (the faults' `armed()`), written under the lock
    /// whenever they change: the fault layer reads it on every Vlens request and takes the
    /// lock only when it is not 0.
    faults_armed: AtomicUsize,
    state: Mutex<TenantState>,
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("api_key", &"[REDACTED]")
            .field(
                "require_email_confirmation",
                &self.require_email_confirmation,
            )
            .finish_non_exhaustive()
    }
}

impl Tenant {
    pub fn new(
        identity: TenantIdentity,
        master: &[u8; 32],
        seed: Option<u64>,
        settings: Arc<Settings>,
        requests: Arc<RequestIndex>,
    ) -> Self {
        let TenantIdentity {
            id,
            name,
            api_key,
            require_email_confirmation,
            made_by_control,
        } = identity;
        let jwt = derive(master, "jwt", id);
        let oauth = derive(master, "oauth", id);
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed ^ (u64::from(id.unsigned_abs()) << 32)),
            None => StdRng::from_os_rng(),
        };
        Self {
            id,
            name,
            api_key,
            require_email_confirmation,
            made_by_control,
            last_used: AtomicI64::new(0),
            keys: TenantKeys {
                jwt_encoding: EncodingKey::from_secret(&jwt),
                jwt_decoding: DecodingKey::from_secret(&jwt),
                oauth_encoding: EncodingKey::from_secret(&oauth),
                oauth_decoding: DecodingKey::from_secret(&oauth),
                link_key: derive(master, "security-hash", id),
            },
            clock_offset: AtomicI64::new(0),
            faults_armed: AtomicUsize::new(0),
            state: Mutex::new(TenantState::new(id, rng, Arc::clone(&settings), requests)),
            settings,
        }
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Marks the tenant used at `wall_seconds` (one relaxed store on every request).
    pub fn touch(&self, wall_seconds: i64) {
        self.last_used.store(wall_seconds, Ordering::Relaxed);
    }

    /// When it was last used.
    pub fn last_used(&self) -> i64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// The tenant's time: the wall clock plus the offset `/__sandbox/clock` added.
    pub fn now(&self) -> DateTime<Utc> {
        after(Utc::now(), self.clock_offset.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `seconds` (at least 0), unless that would put it more than
    /// [`MAX_CLOCK_OFFSET_SECONDS`] ahead of the wall clock: then nothing moves and the error
    /// is the offset it would have reached. Checked and stored in one atomic step.
    pub fn advance_clock(&self, seconds: i64) -> Result<DateTime<Utc>, i64> {
        self.clock_offset
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |offset| {
                offset
                    .checked_add(seconds)
                    .filter(|total| (0..=MAX_CLOCK_OFFSET_SECONDS).contains(total))
            })
            .map_err(|offset| offset.saturating_add(seconds))?;
        Ok(self.now())
    }

    /// Runs `f` on the records under the tenant's lock, with the tenant's time.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut TenantState, DateTime<Utc>) -> R) -> R {
        let now = self.now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state, now)
    }

    /// Forgets users, requests, OTPs, transactions, tokens, injected faults and the clock
    /// offset. Id counters and the random stream go on, so an id or token from before the reset
    /// never names a new record.
    pub fn reset(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.clear();
        self.faults_armed.store(0, Ordering::Release);
        self.clock_offset.store(0, Ordering::Relaxed);
    }

    /// Arms `count` faults for `operation` (see [`Faults::inject`]).
    pub fn inject_fault(&self, operation: &'static str, reply: FaultReply, count: u32) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.faults.inject(operation, reply, count);
        self.faults_armed
            .store(state.faults.armed(), Ordering::Release);
    }

    /// Whether any fault is armed: one atomic load, no lock.
    pub fn has_faults_armed(&self) -> bool {
        self.faults_armed.load(Ordering::Acquire) != 0
    }

    /// Consumes a fault armed for a request of `operation` (see [`Faults::take`]). Nothing
    /// armed, the common case, costs one atomic load and no lock.
    pub fn take_fault(&self, operation: &str) -> Option<FaultReply> {
        if !self.has_faults_armed() {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = state.faults.take(operation);
        self.faults_armed
            .store(state.faults.armed(), Ordering::Release);
        taken
    }
}

/// A tenant's records.
pub struct TenantState {
    pub rng: StdRng,
    pub(super) settings: Arc<Settings>,
    /// The tenant's id, under which its requests are indexed.
    pub(super) tenant_id: i32,
    /// The sandbox's request index (shared by every tenant).
    pub(super) index: Arc<RequestIndex>,
    /// Decoded bytes of every image the transactions hold (`caps.image_bytes`).
    pub(super) image_bytes: usize,
    next_user_id: i64,
    next_request_number: u64,
    next_link_nonce: u64,
    pub users: HashMap<i64, User>,
    users_by_phone: HashMap<String, i64>,
    users_by_email: HashMap<String, i64>,
    /// Added to, and given images, only through the methods of `records.rs`, which keep the
    /// cap and `image_bytes` (a field stays public for reads and ownership changes).
    pub transactions: HashMap<Uuid, Transaction>,
    /// Added to only through [`TenantState::add_request`], which keeps the cap and the index.
    pub requests: HashMap<Uuid, BusinessRequestRecord>,
    pub otps: HashMap<Uuid, Otp>,
    /// The live OTP per (purpose, phone/email/request): a newer one supersedes it.
    pub(super) latest_otp: HashMap<(Purpose, String), Uuid>,
    /// The last OTP sent to each phone number or email (the control API's outbox).
    pub(super) outbox: HashMap<String, Uuid>,
    /// This tenant's limits: the configured ones until `/__sandbox/rate-limits` sets others.
    pub(super) rate_limits: RateLimits,
    /// Counts of OTPs, wrong codes and wrong passwords in their windows.
    pub(super) throttle: Throttle,
    /// Signing and payment links by SecurityHash (made by [`TenantState::issue_link`] only).
    pub links: HashMap<String, Link>,
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    pub oauth_verifications: HashMap<Uuid, OAuthVerification>,
    /// Server errors armed through `/__sandbox/faults`; private, so that they change only
    /// through `Tenant`, which keeps `faults_armed` in step.
    faults: Faults,
}

impl TenantState {
    fn new(tenant_id: i32, rng: StdRng, settings: Arc<Settings>, index: Arc<RequestIndex>) -> Self {
        Self {
            rng,
            tenant_id,
            index,
            image_bytes: 0,
            // Id 1 is the admin.
            next_user_id: 100,
            next_request_number: 1,
            next_link_nonce: 1,
            users: HashMap::new(),
            users_by_phone: HashMap::new(),
            users_by_email: HashMap::new(),
            transactions: HashMap::new(),
            requests: HashMap::new(),
            otps: HashMap::new(),
            latest_otp: HashMap::new(),
            outbox: HashMap::new(),
            rate_limits: settings.rate_limits,
            throttle: Throttle::default(),
            links: HashMap::new(),
            refresh_tokens: HashMap::new(),
            oauth_verifications: HashMap::new(),
            faults: Faults::default(),
            settings,
        }
    }

    fn clear(&mut self) {
        self.unindex_requests();
        self.image_bytes = 0;
        self.users.clear();
        self.users_by_phone.clear();
        self.users_by_email.clear();
        self.transactions.clear();
        self.requests.clear();
        self.otps.clear();
        self.latest_otp.clear();
        self.outbox.clear();
        self.links.clear();
        self.refresh_tokens.clear();
        self.oauth_verifications.clear();
        self.faults.clear();
        self.throttle.clear();
        self.rate_limits = self.settings.rate_limits;
    }

    /// A random (v4) uuid from the tenant's seeded stream.
    pub fn new_uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }

    /// A random token id.
    pub fn new_jti(&mut self) -> String {
        hex::encode(self.rng.random::<[u8; 16]>())
    }

    /// Issues a link of `purpose` for `request_id`, live for the configured link lifetime
    /// from `now`, keyed with the tenant's `link_key`; returns its SecurityHash.
    pub fn issue_link(
        &mut self,
        link_key: &[u8; 32],
        purpose: LinkPurpose,
        request_id: Uuid,
        now: DateTime<Utc>,
    ) -> String {
        let nonce = self.next_link_nonce;
        self.next_link_nonce = self.next_link_nonce.wrapping_add(1);
        let hash = security_hash(link_key, purpose, request_id, nonce);
        self.make_room_for_link();
        self.links.insert(
            hash.clone(),
            Link {
                request_id,
                purpose,
                expires_at: after(now, self.settings.lifetimes.link_seconds),
            },
        );
        hash
    }

    /// The next request number of the year: `REQ-2026-00001`.
    pub fn next_request_number(&mut self, now: DateTime<Utc>) -> String {
        let number = self.next_request_number;
        self.next_request_number += 1;
        format!("REQ-{}-{number:05}", now.format("%Y"))
    }

    // ------------------------------------------------------------------ users

    /// Stores a new user, giving it the next id.
    pub fn insert_user(&mut self, mut user: User) -> i64 {
        let id = self.next_user_id;
        self.next_user_id += 1;
        user.id = id;
        self.users_by_phone.insert(user.phone.clone(), id);
        if let Some(email) = &user.email {
            self.users_by_email.insert(email.to_lowercase(), id);
        }
        self.users.insert(id, user);
        id
    }

    pub fn user_by_phone(&self, phone: &str) -> Option<&User> {
        self.users_by_phone
            .get(phone)
            .and_then(|id| self.users.get(id))
    }

    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users_by_email
            .get(&email.to_lowercase())
            .and_then(|id| self.users.get(id))
    }

    pub fn phone_exists(&self, phone: &str) -> bool {
        self.users_by_phone.contains_key(phone)
    }

    pub fn email_exists(&self, email: &str) -> bool {
        self.users_by_email.contains_key(&email.to_lowercase())
    }

    /// A 14-digit national id number.
    pub fn new_id_number(&mut self) -> String {
        let century = if self.rng.random_bool(0.5) { '2' } else { '3' };
        let rest: String = (0..13)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect();
        format!("{century}{rest}")
    }

    // ------------------------------------------------------------------ purge

    /// Drops what has expired. OTPs stay a grace period past expiry so that a late attempt
    /// still answers OtpExpired rather than OtpRequestNotFound.
    pub fn purge(&mut self, now: DateTime<Utc>) {
        self.otps
            .retain(|_, otp| after(otp.expires_at, EXPIRED_OTP_GRACE_SECONDS) > now);
        let otps = &self.otps;
        self.latest_otp.retain(|_, id| otps.contains_key(id));
        self.outbox.retain(|_, id| otps.contains_key(id));
        self.links.retain(|_, link| link.expires_at > now);
        self.refresh_tokens
            .retain(|_, token| token.expires_at > now);
        self.oauth_verifications
            .retain(|_, verification| verification.expires_at > now);
        self.throttle.purge(now);
        self.purge_incomplete_transactions(now);
    }
}
