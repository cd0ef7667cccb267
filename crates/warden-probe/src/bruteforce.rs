//! Does a login service slow down or lock out after failures (EN 303 645
//! provision 5.1-5)? A number of wrong passwords, one connection at a time,
//! each timed.
//!
//! Judged from what the attempts show:
//! - **lockout**: after at least one refusal, the service stops giving a
//!   login dialogue (refused, closed or silent connections);
//! - **growing delay**: the last three attempts take at least twice as
//!   long as the first three, and at least half a second more;
//! - otherwise **none**: the service answered every wrong password at an
//!   even pace. A fixed delay is reported with its length, but is not
//!   protection: an attacker opens connections in parallel.

use crate::creds::{Attempt, Credential};
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Clone, Serialize)]
pub struct Timed {
    pub n: usize,
    pub seconds: f64,
    /// rejected | error
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Protection {
    Lockout {
        after: usize,
    },
    GrowingDelay {
        first_s: f64,
        last_s: f64,
    },
    None {
        per_attempt_s: f64,
    },
    /// The service never answered a wrong password (nothing to judge).
    Unknown,
}

#[derive(Debug, Clone, Serialize)]
pub struct BruteForceResult {
    pub service: String,
    pub port: u16,
    pub user: String,
    pub attempts: Vec<Timed>,
    pub protection: Protection,
    /// An attempt the service accepted (a wrong password taken: any password works).
    pub accepted_wrong_password: bool,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Judges timed attempts (pure: the tests feed it made-up timings).
pub fn judge(attempts: &[Timed]) -> Protection {
    let first_rejection = attempts.iter().position(|a| a.outcome == "rejected");
    let Some(first) = first_rejection else {
        return Protection::Unknown;
    };
    if let Some(e) = attempts
        .iter()
        .skip(first + 1)
        .position(|a| a.outcome == "error")
    {
        return Protection::Lockout {
            after: first + 1 + e,
        };
    }
    let mut times: Vec<f64> = attempts
        .iter()
        .filter(|a| a.outcome == "rejected")
        .map(|a| a.seconds)
        .collect();
    if times.len() >= 6 {
        let k = times.len();
        let first = median(&mut times[..3].to_vec());
        let last = median(&mut times[k - 3..].to_vec());
        if last >= 2.0 * first && last >= first + 0.5 {
            return Protection::GrowingDelay {
                first_s: first,
                last_s: last,
            };
        }
    }
    Protection::None {
        per_attempt_s: median(&mut times),
    }
}

/// `n` wrong passwords for `user`, in sequence. `nonce` makes the passwords
/// ones no device has.
pub fn run(
    service: &str,
    port: u16,
    user: &str,
    n: usize,
    nonce: u64,
    attempt: &dyn Fn(&Credential) -> Attempt,
) -> BruteForceResult {
    let mut attempts = Vec::new();
    let mut accepted_wrong_password = false;
    for i in 0..n.min(100) {
        let c = Credential {
            user: user.to_string(),
            password: format!("warden-wrong-{nonce:x}-{i}"),
            list: "brute-force".into(),
        };
        let t0 = Instant::now();
        let a = attempt(&c);
        let seconds = t0.elapsed().as_secs_f64();
        let outcome = match a {
            Attempt::Rejected => "rejected",
            Attempt::Accepted => {
                accepted_wrong_password = true;
                break;
            }
            Attempt::Error(_) => "error",
        };
        attempts.push(Timed {
            n: i + 1,
            seconds,
            outcome: outcome.into(),
        });
    }
    BruteForceResult {
        service: service.to_string(),
        port,
        user: user.to_string(),
        protection: judge(&attempts),
        attempts,
        accepted_wrong_password,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[(f64, &str)]) -> Vec<Timed> {
        v.iter()
            .enumerate()
            .map(|(i, (s, o))| Timed {
                n: i + 1,
                seconds: *s,
                outcome: o.to_string(),
            })
            .collect()
    }

    #[test]
    fn lockout_growing_delay_and_none_are_told_apart() {
        let r = "rejected";
        let e = "error";
        assert_eq!(
            judge(&t(&[(0.1, r), (0.1, r), (0.1, r), (0.0, e), (0.0, e)])),
            Protection::Lockout { after: 3 }
        );
        assert!(matches!(
            judge(&t(&[
                (0.1, r),
                (0.1, r),
                (0.2, r),
                (0.8, r),
                (1.6, r),
                (3.2, r)
            ])),
            Protection::GrowingDelay { .. }
        ));
        // A fixed 3 s delay is not protection.
        assert_eq!(
            judge(&t(&[(3.0, r); 8])),
            Protection::None { per_attempt_s: 3.0 }
        );
        // Never a refusal: nothing to judge (errors before any refusal are not a lockout).
        assert_eq!(judge(&t(&[(0.0, e), (0.0, e)])), Protection::Unknown);
    }
}
