//! All state, in memory: tenants, each with its own lock, clock, keys and records.
//!
//! A tenant's records sit behind one `Mutex`; handlers take it for short synchronous critical
//! sections (never across an `.await`), which makes every status change atomic with the checks
//! before it (an OTP succeeds once, a request is activated once). The tenant table itself is
//! read-mostly and behind an `RwLock`.

mod model;
mod otps;
mod tenant;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

pub use model::*;
pub use otps::Spend;
pub use tenant::{Tenant, TenantState};

use crate::config::Settings;
use crate::defaults;

struct Tenants {
    by_key: HashMap<String, Arc<Tenant>>,
    by_id: BTreeMap<i32, Arc<Tenant>>,
    next_id: i32,
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
            }),
            master_secret,
            seed,
            rng: Mutex::new(rng),
            settings,
        };
        store.insert(Tenant::new(
            defaults::DEFAULT_TENANT_ID,
            defaults::DEFAULT_TENANCY_NAME.to_string(),
            default_api_key.to_string(),
            false,
            &store.master_secret,
            seed,
            Arc::clone(&store.settings),
        ));
        store.insert(Tenant::new(
            defaults::OTHER_TENANT_ID,
            defaults::OTHER_TENANCY_NAME.to_string(),
            defaults::OTHER_API_KEY.to_string(),
            false,
            &store.master_secret,
            seed,
            Arc::clone(&store.settings),
        ));
        store
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

    /// The tenant this ApiKey names.
    pub fn tenant_by_key(&self, api_key: &str) -> Option<Arc<Tenant>> {
        self.tenants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .by_key
            .get(api_key)
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

    /// A new isolated tenant with its own ApiKey.
    pub fn create_tenant(&self, require_email_confirmation: bool) -> Arc<Tenant> {
        let key_bytes: [u8; 12] = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random();
        let id = {
            let mut tenants = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
            let id = tenants.next_id;
            tenants.next_id += 1;
            id
        };
        self.insert(Tenant::new(
            id,
            format!("Tenant{id}"),
            format!("sandbox-key-{id}-{}", hex::encode(key_bytes)),
            require_email_confirmation,
            &self.master_secret,
            self.seed,
            Arc::clone(&self.settings),
        ))
    }

    /// Drops expired OTPs, links, refresh tokens and OAuth verifications in every tenant.
    /// A tenant whose purge fails is logged and skipped; the others are still purged, and the
    /// purger (which calls this every 30 s) keeps running.
    pub fn purge_expired(&self) {
        each_tenant_isolated(&self.tenants(), |tenant| {
            tenant.with_state(|state, now| state.purge(now));
        });
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
    fn one_tenant_failing_does_not_stop_the_others() {
        let store = Store::new(defaults::DEFAULT_API_KEY, Some(1), test_settings());
        store.create_tenant(false);
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
