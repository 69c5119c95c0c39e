//! All state, in memory: tenants, each with its own lock, clock, keys and records.
//!
//! A tenant's records sit behind one `Mutex`; handlers take it for short synchronous critical
//! sections (never across an `.await`), which makes every status change atomic with the checks
//! before it (an OTP succeeds once, a request is activated once). The tenant table itself is
//! read-mostly and behind an `RwLock`; the request index (hosted pages) has its own.

mod index;
mod model;
mod otps;
mod records;
mod tenant;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use uuid::Uuid;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

pub use index::RequestIndex;
pub use model::*;
pub use otps::Spend;
pub use records::IdSide;
pub use tenant::{Tenant, TenantIdentity, TenantState};

use crate::config::Settings;
use crate::defaults;
use crate::error::ApiError;

struct Tenants {
    by_key: HashMap<String, Arc<Tenant>>,
    by_id: BTreeMap<i32, Arc<Tenant>>,
    next_id: i32,
    /// How many of them the control API made (the `caps.tenants` count).
    made: usize,
}

/// The sandbox's state.
pub struct Store {
    tenants: RwLock<Tenants>,
    /// Every key (JWT, SecurityHash, OAuth) is derived from this; from the seed when one is set.
    master_secret: [u8; 32],
    seed: Option<u64>,
    /// Draws the ApiKeys of tenants created through the control API.
    rng: Mutex<StdRng>,
    /// The configured policy every tenant follows.
    settings: Arc<Settings>,
    /// Which tenant holds each business request (for the hosted pages).
    requests: Arc<RequestIndex>,
    /// The wall clock's origin for tenants' idleness (a tenant's own clock can be moved).
    started: Instant,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("master_secret", &"[REDACTED]")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The built-in tenants `Default` (with `default_api_key`) and `Other`.
    pub fn new(default_api_key: &str, seed: Option<u64>, settings: Arc<Settings>) -> Self {
        let master_secret: [u8; 32] = match seed {
            Some(seed) => Sha256::new()
                .chain_update(b"vlens-sandbox master secret")
                .chain_update(seed.to_be_bytes())
                .finalize()
                .into(),
            None => rand::rng().random(),
        };
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let store = Self {
            tenants: RwLock::new(Tenants {
                by_key: HashMap::new(),
                by_id: BTreeMap::new(),
                next_id: defaults::OTHER_TENANT_ID + 1,
                made: 0,
            }),
            master_secret,
            seed,
            rng: Mutex::new(rng),
            settings,
            requests: Arc::new(RequestIndex::default()),
            started: Instant::now(),
        };
        store.insert(store.tenant(TenantIdentity {
            id: defaults::DEFAULT_TENANT_ID,
            name: defaults::DEFAULT_TENANCY_NAME.to_string(),
            api_key: default_api_key.to_string(),
            require_email_confirmation: false,
            made_by_control: false,
        }));
        store.insert(store.tenant(TenantIdentity {
            id: defaults::OTHER_TENANT_ID,
            name: defaults::OTHER_TENANCY_NAME.to_string(),
            api_key: defaults::OTHER_API_KEY.to_string(),
            require_email_confirmation: false,
            made_by_control: false,
        }));
        store
    }

    fn tenant(&self, identity: TenantIdentity) -> Tenant {
        Tenant::new(
            identity,
            &self.master_secret,
            self.seed,
            Arc::clone(&self.settings),
            Arc::clone(&self.requests),
        )
    }

    /// Seconds since the store began, on the wall clock: tenants' last use.
    fn wall_seconds(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_secs()).unwrap_or(i64::MAX)
    }

    fn insert(&self, tenant: Tenant) -> Arc<Tenant> {
        let tenant = Arc::new(tenant);
        let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
        tenants
            .by_key
            .insert(tenant.api_key().to_string(), Arc::clone(&tenant));
        tenants.by_id.insert(tenant.id, Arc::clone(&tenant));
        tenant
    }

    /// The tenant this ApiKey names; marks it used (an idle tenant made through the control
    /// API is dropped).
    pub fn tenant_by_key(&self, api_key: &str) -> Option<Arc<Tenant>> {
        let tenant = self
            .tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .by_key
            .get(api_key)
            .cloned()?;
        tenant.touch(self.wall_seconds());
        Some(tenant)
    }

    /// The tenant that holds business request `request` (through the index: no tenant's lock
    /// is taken).
    pub fn tenant_of_request(&self, request: Uuid) -> Option<Arc<Tenant>> {
        let id = self.requests.tenant_of(request)?;
        self.tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .by_id
            .get(&id)
            .cloned()
    }

    /// Every tenant.
    pub fn tenants(&self) -> Vec<Arc<Tenant>> {
        self.tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .by_id
            .values()
            .cloned()
            .collect()
    }

    /// A new isolated tenant with its own ApiKey, unless the control API already made
    /// `caps.tenants` of them (HTTP 507).
    pub fn create_tenant(&self, require_email_confirmation: bool) -> Result<Arc<Tenant>, ApiError> {
        let key_bytes: [u8; 12] = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random();
        let id = {
            let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
            let cap = self.settings.caps.tenants;
            if tenants.made >= cap {
                return Err(ApiError::InsufficientStorage(format!(
                    "the sandbox holds {cap} tenants made through the control API, its cap \
                     (SandboxConfig::caps.tenants, --max-tenants); a tenant unused for {} \
                     seconds is dropped",
                    self.settings.lifetimes.idle_tenant_seconds
                )));
            }
            tenants.made += 1;
            let id = tenants.next_id;
            tenants.next_id += 1;
            id
        };
        let tenant = self.tenant(TenantIdentity {
            id,
            name: format!("Tenant{id}"),
            api_key: format!("sandbox-key-{id}-{}", hex::encode(key_bytes)),
            require_email_confirmation,
            made_by_control: true,
        });
        tenant.touch(self.wall_seconds());
        Ok(self.insert(tenant))
    }

    /// Drops what expired in every tenant (see [`TenantState::purge`]), and the tenants made
    /// through the control API that no request named for `lifetimes.idle_tenant_seconds`.
    /// A tenant whose purge fails is logged and skipped; the others are still purged, and the
    /// purger (which calls this every 30 s) keeps running.
    pub fn purge_expired(&self) {
        self.drop_idle_tenants(self.wall_seconds());
        each_tenant_isolated(&self.tenants(), |tenant| {
            tenant.with_state(|state, now| state.purge(now));
        });
    }

    /// Drops the control-API tenants last used before `now` (store wall-clock seconds) minus
    /// the idle lifetime.
    fn drop_idle_tenants(&self, now: i64) {
        let idle_since = now.saturating_sub(self.settings.lifetimes.idle_tenant_seconds);
        let dropped: Vec<Arc<Tenant>> = {
            let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
            let idle: Vec<i32> = tenants
                .by_id
                .values()
                .filter(|tenant| tenant.made_by_control && tenant.last_used() < idle_since)
                .map(|tenant| tenant.id)
                .collect();
            idle.iter()
                .filter_map(|id| {
                    let tenant = tenants.by_id.remove(id)?;
                    tenants.by_key.remove(tenant.api_key());
                    tenants.made = tenants.made.saturating_sub(1);
                    Some(tenant)
                })
                .collect()
        };
        // Outside the table's lock: each dropped tenant's requests leave the index.
        for tenant in dropped {
            tracing::info!(tenant = tenant.id, "dropped an idle tenant");
            tenant.with_state(|state, _| state.unindex_requests());
        }
    }
}

/// Runs `job` on every tenant; a panic in one tenant's job is caught and logged, and the next
/// tenant's job runs. Returns how many failed. (The tenant lock ignores poisoning, so a tenant
/// whose job panicked stays usable.)
fn each_tenant_isolated(tenants: &[Arc<Tenant>], job: impl Fn(&Tenant)) -> usize {
    let mut failed = 0;
    for tenant in tenants {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(tenant)));
        if let Err(panic) = outcome {
            failed += 1;
            let reason = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("a panic");
            tracing::error!(
                tenant = tenant.id,
                reason,
                "purging this tenant failed; the purger goes on"
            );
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    pub(crate) fn test_settings() -> Arc<Settings> {
        Arc::new(crate::SandboxConfig::default().settings())
    }

    #[test]
    fn idle_control_tenants_are_dropped_and_the_built_in_ones_stay() {
        let mut config = crate::SandboxConfig::default();
        config.caps.tenants = 1;
        let store = Store::new(
            defaults::DEFAULT_API_KEY,
            Some(1),
            Arc::new(config.settings()),
        );
        let made = store
            .create_tenant(false)
            .expect("the first is within the cap");
        assert!(matches!(
            store.create_tenant(false),
            Err(ApiError::InsufficientStorage(_))
        ));
        // Used now: not idle yet, nor when the idle lifetime has just run out.
        store.purge_expired();
        let idle = defaults::IDLE_TENANT_LIFETIME_SECONDS;
        let before_use = store.wall_seconds();
        assert!(store.tenant_by_key(made.api_key()).is_some(), "a use");
        store.drop_idle_tenants(before_use + idle);
        let after_use = store.wall_seconds();
        assert!(store.tenant_by_key(made.api_key()).is_some(), "another use");
        // A second past the idle lifetime after the last use: dropped.
        store.drop_idle_tenants(store.wall_seconds().max(after_use) + idle + 1);
        assert!(store.tenant_by_key(made.api_key()).is_none());
        assert_eq!(store.tenants().len(), 2, "Default and Other stay");
        // The cap counts the tenants held, not the tenants ever made.
        store.create_tenant(false).expect("room again");
    }

    #[test]
    fn one_tenant_failing_does_not_stop_the_others() {
        let store = Store::new(defaults::DEFAULT_API_KEY, Some(1), test_settings());
        store.create_tenant(false).expect("within the cap");
        let tenants = store.tenants();
        assert_eq!(tenants.len(), 3);
        let done = AtomicUsize::new(0);
        let failed = each_tenant_isolated(&tenants, |tenant| {
            if tenant.id == defaults::DEFAULT_TENANT_ID {
                panic!("a broken tenant (on purpose, in a test)");
            }
            done.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(failed, 1);
        assert_eq!(done.load(Ordering::Relaxed), 2);
        // The failed tenant still works afterwards.
        tenants[0].with_state(|state, now| state.purge(now));
    }

    /// The fault layer runs on every Vlens request: with nothing armed it must not wait for
    /// the tenant lock (here held by another thread) but answer at once.
    #[test]
    fn with_no_fault_armed_taking_one_takes_no_lock() {
        use std::sync::mpsc;
        use std::thread;
        use std::time::Duration;

        let store = Store::new(defaults::DEFAULT_API_KEY, Some(1), test_settings());
        let tenant = store
            .tenant_by_key(defaults::DEFAULT_API_KEY)
            .expect("the Default tenant");
        let (held, is_held) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let holder = {
            let tenant = Arc::clone(&tenant);
            thread::spawn(move || {
                tenant.with_state(|_, _| {
                    let _ = held.send(());
                    let _ = released.recv();
                });
            })
        };
        is_held.recv().expect("the lock is held");
        let (done, answer) = mpsc::channel();
        {
            let tenant = Arc::clone(&tenant);
            thread::spawn(move || {
                let _ = done.send(tenant.take_fault("check-eligibility"));
            });
        }
        let taken = answer.recv_timeout(Duration::from_secs(10));
        let _ = release.send(());
        holder.join().expect("the holder ends");
        assert_eq!(taken, Ok(None), "take_fault waited for the tenant lock");

        // Armed, a fault is taken (under the lock) and the counter goes back to nothing.
        let reply = crate::faults::FaultReply {
            status: http::StatusCode::SERVICE_UNAVAILABLE,
            retry_after_seconds: None,
        };
        tenant.inject_fault("check-eligibility", reply, 1);
        assert!(tenant.has_faults_armed());
        assert_eq!(tenant.take_fault("login"), None);
        assert_eq!(tenant.take_fault("check-eligibility"), Some(reply));
        assert!(!tenant.has_faults_armed());
    }
}
