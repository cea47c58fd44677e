//! Rate limits, counted in the database so that every replica sees the same counts: fixed
//! windows per bucket (a client address, an account, or both). Over a limit, callers answer 429
//! with `Retry-After`.
//!
//! Log-ins count failures only, per address and per account, and an account's limit refuses
//! only addresses that failed for it: a correct password from anywhere else is never slowed by
//! others' failures. Past a higher ceiling of failures for the account from anywhere, a guess
//! from an address that never logged in to it is evaluated at most once a minute (the owner,
//! from an address they logged in from before or with a second factor, is not slowed).
//!
//! An IPv6 client counts by its network (`BERTH_IPV6_LIMIT_PREFIX`, a /64), not its address:
//! one subscriber holds 2^64 of them.

use crate::{
    clock::{self, HOUR, MINUTE},
    error::CoreError,
    hub::Hub,
    store,
};

/// At most `max` events per `window` seconds in one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub name: &'static str,
    pub max: i64,
    pub window: i64,
    /// Keyed by client address: scaled by `BERTH_ADDRESS_LIMIT_SCALE`.
    pub per_address: bool,
}

impl Limit {
    /// The limit on this hub.
    pub fn max_on(self, hub: &Hub) -> i64 {
        if self.per_address {
            self.max * hub.config.address_limit_scale
        } else {
            self.max
        }
    }
}

/// Failed log-ins (web and registry) from one address.
pub const FAILED_LOGINS_PER_ADDRESS: Limit = Limit {
    name: "login-fail-ip",
    max: 20,
    window: 10 * MINUTE,
    per_address: true,
};
/// Failed log-ins for one account, from anywhere.
pub const FAILED_LOGINS_PER_ACCOUNT: Limit = Limit {
    name: "login-fail-account",
    max: 10,
    window: 15 * MINUTE,
    per_address: false,
};
/// Failed log-ins for one account from anywhere (the same count as
/// [`FAILED_LOGINS_PER_ACCOUNT`]) past which new addresses are slowed to
/// [`SLOWED_LOGINS_PER_ACCOUNT`].
pub const FAILED_LOGINS_ACCOUNT_CEILING: Limit = Limit {
    max: 20,
    ..FAILED_LOGINS_PER_ACCOUNT
};
/// Guesses evaluated for an account past its ceiling, from addresses that never logged in to it.
pub const SLOWED_LOGINS_PER_ACCOUNT: Limit = Limit {
    name: "login-slowed-account",
    max: 1,
    window: MINUTE,
    per_address: false,
};
/// Wrong second-factor codes for one account from one client (an address, an IPv6 network):
/// someone who knows the password locks only their own address out, not the owner's.
pub const FAILED_CODES_PER_CLIENT: Limit = Limit {
    name: "code-fail-client",
    max: 5,
    window: 15 * MINUTE,
    per_address: false,
};
/// Wrong codes for one account from addresses that never logged in to it, in all.
pub const FAILED_CODES_ACCOUNT_CEILING: Limit = Limit {
    name: "code-fail-account",
    max: 20,
    window: 15 * MINUTE,
    per_address: false,
};
/// Wrong recovery codes for one account from one client: counted apart, so a recovery code
/// still works where authenticator codes are used up (each is 40 random bits).
pub const FAILED_RECOVERY_CODES_PER_CLIENT: Limit = Limit {
    name: "recovery-fail-client",
    max: 10,
    window: 15 * MINUTE,
    per_address: false,
};
/// Sign-ups from one address.
pub const SIGNUPS_PER_ADDRESS: Limit = Limit {
    name: "signup-ip",
    max: 10,
    window: HOUR,
    per_address: true,
};
/// Calls of build trigger URLs that name no trigger or carry a wrong signature, from one address
/// (guessing trigger tokens or secrets).
pub const BAD_TRIGGERS_PER_ADDRESS: Limit = Limit {
    name: "bad-trigger-ip",
    max: 30,
    window: 10 * 60,
    per_address: true,
};
/// Password-reset requests from one address.
pub const RESETS_PER_ADDRESS: Limit = Limit {
    name: "reset-ip",
    max: 10,
    window: HOUR,
    per_address: true,
};
/// Confirmation mails asked for from one address.
pub const RESENDS_PER_ADDRESS: Limit = Limit {
    name: "resend-ip",
    max: 10,
    window: HOUR,
    per_address: true,
};

/// Invitation mails sent by one organization.
pub const INVITATIONS_PER_ORG: Limit = Limit {
    name: "invite-org",
    max: 50,
    window: HOUR,
    per_address: false,
};

/// Over a limit: try again in `retry_after` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; try again in {retry_after} s")]
pub struct Limited {
    pub retry_after: i64,
}

fn window_start(limit: Limit, now: i64) -> i64 {
    now - now.rem_euclid(limit.window)
}

/// The client a per-address limit counts: an IPv4 address as it is, an IPv6 address by its
/// network of `BERTH_IPV6_LIMIT_PREFIX` bits (an IPv4 address mapped into IPv6 as IPv4).
/// Anything that is not an address is its own key.
pub fn client_key(hub: &Hub, address: &str) -> String {
    use std::net::IpAddr;
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u32::from(hub.config.ipv6_limit_prefix.clamp(1, 128));
                let net = std::net::Ipv6Addr::from(u128::from(v6) & (u128::MAX << (128 - bits)));
                format!("{net}/{bits}")
            }
        },
        _ => address.to_string(),
    }
}

fn bucket(hub: &Hub, limit: Limit, key: &str) -> String {
    if limit.per_address {
        format!("{}:{}", limit.name, client_key(hub, key))
    } else {
        format!("{}:{key}", limit.name)
    }
}

/// Whether the bucket is already at its limit (nothing is counted).
pub async fn check(hub: &Hub, limit: Limit, key: &str) -> Result<Result<(), Limited>, CoreError> {
    let now = clock::now();
    let start = window_start(limit, now);
    let count = store::rate::count(hub.db.pool(), &bucket(hub, limit, key), start).await?;
    Ok(if count >= limit.max_on(hub) {
        Err(Limited {
            retry_after: (start + limit.window - now).max(1),
        })
    } else {
        Ok(())
    })
}

/// How many events the bucket holds in the current window.
pub async fn count(hub: &Hub, limit: Limit, key: &str) -> Result<i64, CoreError> {
    let start = window_start(limit, clock::now());
    Ok(store::rate::count(hub.db.pool(), &bucket(hub, limit, key), start).await?)
}

/// Counts one event; refuses it when it goes over the limit.
pub async fn hit(hub: &Hub, limit: Limit, key: &str) -> Result<Result<(), Limited>, CoreError> {
    let now = clock::now();
    let start = window_start(limit, now);
    let count = store::rate::increment(hub.db.pool(), &bucket(hub, limit, key), start).await?;
    Ok(if count > limit.max_on(hub) {
        Err(Limited {
            retry_after: (start + limit.window - now).max(1),
        })
    } else {
        Ok(())
    })
}

/// Takes back one event counted by [`hit`] in the current window (an attempt that turned out
/// right: the slot it held is free again).
pub async fn give_back(hub: &Hub, limit: Limit, key: &str) -> Result<(), CoreError> {
    let start = window_start(limit, clock::now());
    Ok(store::rate::decrement(hub.db.pool(), &bucket(hub, limit, key), start).await?)
}

/// Forgets windows that ended more than a day ago.
pub async fn prune(hub: &Hub) -> Result<u64, CoreError> {
    Ok(store::rate::prune(hub.db.pool(), clock::now() - clock::DAY).await?)
}
