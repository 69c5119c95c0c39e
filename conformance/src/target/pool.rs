//! The pool of pre-verified users of a shared target, checked out exclusively — across the
//! threads of one run and across processes (`cargo nextest` runs a process per case) — with a
//! lock file per user. The operating system releases a lock when its holder exits, so a
//! crashed run leaves no user locked; what it leaves on the target is healed at the next
//! checkout (see `run::pool_users`).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::target::profile::{PoolTenant, PoolUserSpec};

/// How long a case waits for free pool users before it fails.
pub const CHECKOUT_PATIENCE: Duration = Duration::from_secs(300);

/// The pool of a target.
#[derive(Clone, Default)]
pub struct Pool {
    users: Vec<PoolUserSpec>,
    lock_dir: PathBuf,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("users", &self.users.len())
            .field("lock_dir", &self.lock_dir)
            .finish()
    }
}

/// What a case asks of one pool user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// Its tenant.
    pub tenant: PoolTenant,
    /// It must have an email (confirmed or not, as given).
    pub email: Option<bool>,
}

impl Wanted {
    fn fits(&self, user: &PoolUserSpec) -> bool {
        user.tenant == self.tenant
            && self
                .email
                .is_none_or(|confirmed| user.email.is_some() && user.email_confirmed == confirmed)
    }
}

/// Users held by one case; dropping it gives them back.
pub struct Checkout {
    /// The users, in the order asked for.
    pub users: Vec<PoolUserSpec>,
    _locks: Vec<File>,
}

impl std::fmt::Debug for Checkout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let phones: Vec<&str> = self.users.iter().map(|u| u.phone.as_str()).collect();
        f.debug_struct("Checkout").field("users", &phones).finish()
    }
}

/// Why no users could be checked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    /// The pool has too few users of a kind, whatever is free.
    #[error("the pool has {have} user(s) of {kind}, the case needs {need}")]
    TooFew {
        /// Which kind.
        kind: String,
        /// How many the pool has.
        have: usize,
        /// How many the case needs.
        need: usize,
    },
    /// Other cases kept them too long.
    #[error("no pool users were free within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The lock directory cannot be used.
    #[error("cannot lock pool users in {dir}: {message}")]
    Locks {
        /// The directory.
        dir: String,
        /// Why.
        message: String,
    },
}

impl Pool {
    /// A pool of `users` whose locks live in `lock_dir` (one directory per target, shared by
    /// every process that runs against it).
    pub fn new(users: Vec<PoolUserSpec>, lock_dir: PathBuf) -> Pool {
        Pool { users, lock_dir }
    }

    /// The pool's users.
    pub fn users(&self) -> &[PoolUserSpec] {
        &self.users
    }

    /// How many users fit `wanted`.
    pub fn count(&self, wanted: Wanted) -> usize {
        self.users.iter().filter(|user| wanted.fits(user)).count()
    }

    /// Whether the pool could ever give all of `wanted` at once.
    pub fn can_give(&self, wanted: &[Wanted]) -> Result<(), CheckoutError> {
        for kind in wanted {
            let need = wanted.iter().filter(|w| *w == kind).count();
            let have = self.count(*kind);
            if have < need {
                return Err(CheckoutError::TooFew {
                    kind: describe(*kind),
                    have,
                    need,
                });
            }
        }
        Ok(())
    }

    /// Takes a distinct free user for each of `wanted`, waiting (up to `patience`) while other
    /// cases hold them. All or nothing: a case never holds some users while it waits for
    /// others, so two cases cannot wait on each other.
    pub async fn checkout(
        &self,
        wanted: &[Wanted],
        patience: Duration,
    ) -> Result<Checkout, CheckoutError> {
        self.can_give(wanted)?;
        std::fs::create_dir_all(&self.lock_dir).map_err(|error| CheckoutError::Locks {
            dir: self.lock_dir.display().to_string(),
            message: error.to_string(),
        })?;
        let deadline = Instant::now() + patience;
        let mut pause = Duration::from_millis(5);
        loop {
            if let Some(checkout) = self.try_checkout(wanted)? {
                return Ok(checkout);
            }
            if Instant::now() >= deadline {
                return Err(CheckoutError::Timeout(patience));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    fn try_checkout(&self, wanted: &[Wanted]) -> Result<Option<Checkout>, CheckoutError> {
        let mut chosen: Vec<usize> = Vec::new();
        let mut locks = Vec::new();
        for kind in wanted {
            let mut found = None;
            for (index, user) in self.users.iter().enumerate() {
                if chosen.contains(&index) || !kind.fits(user) {
                    continue;
                }
                if let Some(lock) = self.try_lock(index)? {
                    found = Some((index, lock));
                    break;
                }
            }
            match found {
                Some((index, lock)) => {
                    chosen.push(index);
                    locks.push(lock);
                }
                // Dropping `locks` gives back what this attempt took.
                None => return Ok(None),
            }
        }
        Ok(Some(Checkout {
            users: chosen.iter().map(|&i| self.users[i].clone()).collect(),
            _locks: locks,
        }))
    }

    fn try_lock(&self, index: usize) -> Result<Option<File>, CheckoutError> {
        let user = &self.users[index];
        let name: String = user
            .phone
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let path = self.lock_dir.join(format!("{name}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| CheckoutError::Locks {
                dir: self.lock_dir.display().to_string(),
                message: format!("{}: {error}", path.display()),
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(error)) => Err(CheckoutError::Locks {
                dir: self.lock_dir.display().to_string(),
                message: format!("{}: {error}", path.display()),
            }),
        }
    }
}

fn describe(wanted: Wanted) -> String {
    let tenant = match wanted.tenant {
        PoolTenant::Main => "the main tenant",
        PoolTenant::Other => "the other tenant",
        PoolTenant::EmailRequired => "the email tenant",
    };
    match wanted.email {
        None => tenant.to_owned(),
        Some(true) => format!("{tenant} with a confirmed email"),
        Some(false) => format!("{tenant} with an unconfirmed email"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(phone: &str, other: bool) -> PoolUserSpec {
        PoolUserSpec {
            phone: phone.to_owned(),
            password: "p".to_owned(),
            device: "d".to_owned(),
            transaction_id: None,
            home: (30.0, 31.0),
            email: None,
            email_confirmed: true,
            tenant: if other {
                PoolTenant::Other
            } else {
                PoolTenant::Main
            },
        }
    }

    const MAIN: Wanted = Wanted {
        tenant: PoolTenant::Main,
        email: None,
    };

    #[tokio::test]
    async fn users_are_exclusive_until_given_back() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::new(
            vec![user("+201", false), user("+202", false), user("+203", true)],
            dir.path().to_owned(),
        );
        let short = Duration::from_millis(50);
        let first = pool.checkout(&[MAIN], short).await.unwrap();
        let second = pool.checkout(&[MAIN], short).await.unwrap();
        assert_ne!(first.users[0].phone, second.users[0].phone);
        // Both main-tenant users are out: a third waits, then gives up.
        let third = pool.checkout(&[MAIN], short).await;
        assert!(matches!(third, Err(CheckoutError::Timeout(_))), "{third:?}");
        // A second pool over the same directory (another process) sees the same locks.
        let elsewhere = Pool::new(pool.users().to_vec(), dir.path().to_owned());
        assert!(elsewhere.checkout(&[MAIN], short).await.is_err());
        drop(first);
        assert!(elsewhere.checkout(&[MAIN], short).await.is_ok());
        let other = Wanted {
            tenant: PoolTenant::Other,
            email: None,
        };
        assert_eq!(
            pool.checkout(&[other, other], short).await.unwrap_err(),
            CheckoutError::TooFew {
                kind: "the other tenant".to_owned(),
                have: 1,
                need: 2
            }
        );
    }

    #[tokio::test]
    async fn a_case_takes_all_its_users_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::new(
            vec![user("+201", false), user("+202", false)],
            dir.path().to_owned(),
        );
        let short = Duration::from_millis(30);
        let one = pool.checkout(&[MAIN], short).await.unwrap();
        // Needs two, one is free: it must not keep the free one while it waits.
        assert!(pool.checkout(&[MAIN, MAIN], short).await.is_err());
        let free = pool.checkout(&[MAIN], short).await;
        assert!(free.is_ok(), "the free user was left locked: {free:?}");
        drop(one);
    }
}
