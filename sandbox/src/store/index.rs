//! Which tenant holds a business request: the hosted pages (`/sign`, the contract PDF, the
//! payment page) carry no ApiKey, only a request id and a SecurityHash, and look their tenant
//! up here instead of scanning every tenant under its lock (issue 8: with 50,000 tenants a
//! bogus `/sign` ran at 83 req/s and slowed every other request).
//!
//! Lock order: a tenant's lock, then this index's (a request is indexed inside the critical
//! section that creates it); readers take only this one, release it, then the tenant's.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use uuid::Uuid;

/// Request id → tenant id.
#[derive(Debug, Default)]
pub struct RequestIndex(RwLock<HashMap<Uuid, i32>>);

impl RequestIndex {
    pub fn insert(&self, request: Uuid, tenant: i32) {
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request, tenant);
    }

    /// Forgets requests that are gone (a tenant reset or dropped).
    pub fn remove_all(&self, requests: impl IntoIterator<Item = Uuid>) {
        let mut index = self.0.write().unwrap_or_else(PoisonError::into_inner);
        for request in requests {
            index.remove(&request);
        }
    }

    /// The tenant that holds `request`.
    pub fn tenant_of(&self, request: Uuid) -> Option<i32> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&request)
            .copied()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}
