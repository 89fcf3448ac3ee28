//! The throttles counted in this process's memory (governor's GCRA, keyed): the store on SQLite,
//! where one process serves the database, and the fallback of the shared store when its
//! statement fails. The rules are described in [`super`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{LINK_MISS_FACTOR, WINDOW};

pub struct MemoryThrottle {
    by_account: DefaultKeyedRateLimiter<String>,
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    codes_by_account: DefaultKeyedRateLimiter<uuid::Uuid>,
    codes_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Homework links refused (unknown, expired, revoked, malformed), per address.
    link_misses_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that used up their link misses: every link open waits until then.
    links_blocked: Mutex<HashMap<IpAddr, Instant>>,
    /// Accounts and addresses that used up their password tries, until when: lets a check that
    /// counts only wrong passwords refuse before checking, without using a try.
    passwords_blocked: Mutex<HashMap<Trier, Instant>>,
    clock: DefaultClock,
}

/// Whom a password try counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Trier {
    Account(String),
    Address(IpAddr),
}

impl MemoryThrottle {
    fn quota(burst: NonZeroU32) -> Quota {
        Quota::with_period(WINDOW / burst.get())
            .unwrap_or_else(|| Quota::per_minute(burst))
            .allow_burst(burst)
    }

    pub fn new(attempts: u32) -> Self {
        let burst = NonZeroU32::new(attempts.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Self::quota(burst);
        Self {
            by_account: RateLimiter::dashmap(quota),
            by_ip: RateLimiter::dashmap(quota),
            codes_by_account: RateLimiter::dashmap(quota),
            codes_by_ip: RateLimiter::dashmap(quota),
            link_misses_by_ip: RateLimiter::dashmap(Self::quota(
                burst.saturating_mul(NonZeroU32::new(LINK_MISS_FACTOR).unwrap_or(NonZeroU32::MIN)),
            )),
            links_blocked: Mutex::new(HashMap::new()),
            passwords_blocked: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    /// Count one attempt. `Err(wait)` when the account or the address has used up its tries.
    pub fn attempt(&self, email: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        let email = email.trim().to_lowercase();
        let account = self.by_account.check_key(&email);
        let address = match ip {
            Some(ip) => self.by_ip.check_key(&ip),
            None => Ok(()),
        };
        let now = self.clock.now();
        if let Err(n) = &account {
            self.block(Trier::Account(email), n.wait_time_from(now));
        }
        if let (Some(ip), Err(n)) = (ip, &address) {
            self.block(Trier::Address(ip), n.wait_time_from(now));
        }
        self.outcome([account.err(), address.err()])
    }

    /// Count a wrong password given to confirm an action (a note signature) against the
    /// sign-in tries of the account and the address. `Err(wait)` when it was one too many.
    pub fn password_missed(&self, email: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        self.attempt(email, ip)
    }

    /// `Err(wait)` while the account or the address has no password try left, without using
    /// one: checked before a password whose wrong tries alone count.
    pub fn password_blocked(&self, email: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let keys = [
            Some(Trier::Account(email.trim().to_lowercase())),
            ip.map(Trier::Address),
        ];
        let Ok(blocked) = self.passwords_blocked.lock() else {
            return Ok(());
        };
        let wait = keys
            .iter()
            .flatten()
            .filter_map(|k| blocked.get(k))
            .filter(|until| **until > now)
            .map(|until| *until - now)
            .max();
        match wait {
            Some(wait) => Err(wait.max(Duration::from_secs(1))),
            None => Ok(()),
        }
    }

    fn block(&self, who: Trier, wait: Duration) {
        if let Ok(mut blocked) = self.passwords_blocked.lock() {
            let now = Instant::now();
            blocked.retain(|_, until| *until > now);
            blocked.insert(who, now + wait.max(Duration::from_secs(1)));
        }
    }

    /// Count one TOTP or recovery code try of this counselor. `Err(wait)` when the account or
    /// the address has used up its tries.
    pub fn attempt_code(
        &self,
        counselor_id: uuid::Uuid,
        ip: Option<IpAddr>,
    ) -> Result<(), Duration> {
        let account = self.codes_by_account.check_key(&counselor_id);
        let address = match ip {
            Some(ip) => self.codes_by_ip.check_key(&ip),
            None => Ok(()),
        };
        self.outcome([account.err(), address.err()])
    }

    /// `Err(wait)` while this address may open no homework link at all (it used up its refused
    /// links): valid and invalid links then get the same 429, so guessing learns nothing.
    pub fn link_open(&self, ip: Option<IpAddr>) -> Result<(), Duration> {
        let Some(ip) = ip else { return Ok(()) };
        let now = Instant::now();
        match self
            .links_blocked
            .lock()
            .ok()
            .and_then(|b| b.get(&ip).copied())
        {
            Some(until) if until > now => Err((until - now).max(Duration::from_secs(1))),
            _ => Ok(()),
        }
    }

    /// Count a refused homework link from this address; past the limit, block link opens from
    /// it until the window allows another.
    pub fn link_missed(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        if let Err(not_until) = self.link_misses_by_ip.check_key(&ip) {
            let wait = not_until
                .wait_time_from(self.clock.now())
                .max(Duration::from_secs(1));
            if let Ok(mut blocked) = self.links_blocked.lock() {
                let now = Instant::now();
                blocked.retain(|_, until| *until > now);
                blocked.insert(ip, now + wait);
            }
        }
    }

    /// Forget the keys whose tries are all back (they behave like new ones), so that many
    /// addresses seen once do not pile up in memory.
    pub fn sweep(&self) {
        self.by_account.retain_recent();
        self.by_ip.retain_recent();
        self.codes_by_account.retain_recent();
        self.codes_by_ip.retain_recent();
        self.link_misses_by_ip.retain_recent();
        let now = Instant::now();
        if let Ok(mut blocked) = self.links_blocked.lock() {
            blocked.retain(|_, until| *until > now);
        }
        if let Ok(mut blocked) = self.passwords_blocked.lock() {
            blocked.retain(|_, until| *until > now);
        }
    }

    fn outcome(
        &self,
        refusals: [Option<governor::NotUntil<<DefaultClock as Clock>::Instant>>; 2],
    ) -> Result<(), Duration> {
        let now = self.clock.now();
        let waits = refusals
            .into_iter()
            .flatten()
            .map(|n| n.wait_time_from(now));
        match waits.max() {
            Some(wait) => Err(wait.max(Duration::from_secs(1))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_links_block_every_link_open_from_that_address() {
        let t = MemoryThrottle::new(2);
        let ip: IpAddr = [10, 0, 0, 9].into();
        for _ in 0..(2 * LINK_MISS_FACTOR) {
            assert!(t.link_open(Some(ip)).is_ok());
            t.link_missed(Some(ip));
        }
        assert!(
            t.link_open(Some(ip)).is_ok(),
            "the limit is reached, not passed"
        );
        t.link_missed(Some(ip));
        let wait = t.link_open(Some(ip)).expect_err("blocked");
        assert!(wait >= Duration::from_secs(1) && wait <= WINDOW);
        assert!(
            t.link_open(Some([10, 0, 0, 8].into())).is_ok(),
            "other addresses are not"
        );
        assert!(t.link_open(None).is_ok());
    }

    #[test]
    fn limits_per_account_and_per_address() {
        let t = MemoryThrottle::new(3);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(t.attempt("a@x.org", Some(ip)).is_ok());
        }
        let wait = t.attempt("A@X.org", None).expect_err("account limit");
        assert!(wait <= WINDOW && wait >= Duration::from_secs(1));
        // The address is used up too, even for another account.
        assert!(t.attempt("b@x.org", Some(ip)).is_err());
        assert!(t.attempt("b@x.org", Some([10, 0, 0, 2].into())).is_ok());
    }

    #[test]
    fn only_wrong_signature_passwords_count_and_they_share_the_sign_in_tries() {
        let t = MemoryThrottle::new(3);
        let ip: IpAddr = [10, 0, 0, 4].into();
        // Right passwords never reach the throttle: only the check before them does.
        for _ in 0..10 {
            assert!(t.password_blocked("d@x.org", Some(ip)).is_ok());
        }
        assert!(t.attempt("d@x.org", Some(ip)).is_ok(), "a sign-in");
        assert!(t.password_missed("D@x.org", Some(ip)).is_ok());
        assert!(t.password_missed("d@x.org", None).is_ok());
        assert!(
            t.password_blocked("d@x.org", None).is_ok(),
            "not used up yet"
        );
        let wait = t
            .password_missed("d@x.org", None)
            .expect_err("one too many");
        assert!(wait >= Duration::from_secs(1) && wait <= WINDOW);
        assert!(t.password_blocked("d@x.org", None).is_err());
        assert!(
            t.attempt("d@x.org", None).is_err(),
            "sign-in is throttled too"
        );
        assert!(
            t.password_blocked("e@x.org", Some([10, 0, 0, 5].into()))
                .is_ok(),
            "others are not"
        );
    }

    #[test]
    fn codes_have_their_own_buckets() {
        let t = MemoryThrottle::new(2);
        let ip: IpAddr = [10, 0, 0, 3].into();
        let who = uuid::Uuid::new_v4();
        assert!(t.attempt_code(who, Some(ip)).is_ok());
        assert!(t.attempt_code(who, Some(ip)).is_ok());
        assert!(t.attempt_code(who, None).is_err());
        assert!(t.attempt_code(uuid::Uuid::new_v4(), Some(ip)).is_err());
        // Password tries are untouched.
        assert!(t.attempt("c@x.org", Some(ip)).is_ok());
    }
}
