//! Who may do what: accounts with roles, login sessions and API tokens,
//! one authorisation layer for the REST API and the dashboard.
//!
//! - **No default credential.** While no owner exists, the gateway logs a
//!   one-time setup code (valid one hour, a new one at each start) that
//!   creates the owner account; the API token file made at first start is
//!   the owner's token.
//! - **Passwords** are hashed with argon2id (the `argon2` crate's defaults:
//!   19 MiB, 2 passes), 10 to 256 characters. Ten wrong passwords in a row
//!   lock the account for [`LOCKOUT_S`]; a client address may try at most
//!   [`ATTEMPTS_PER_WINDOW`] logins per [`ATTEMPT_WINDOW_S`].
//! - **Sessions and tokens** are random 32-byte secrets; the store keeps
//!   only their SHA-256. A session carries its own CSRF token, which every
//!   state-changing request made with the session cookie must present.
//! - **Roles** (joint responsibility): the owner may do everything; a
//!   member sees devices and alerts; an operator (ISP, IT support) sees
//!   devices and alerts and changes enforcement; an auditor sees assessment
//!   reports and labels only. [`Role::may`] is the whole matrix.
//!
//! Not yet: hiding the destinations of personal devices (phones, laptops)
//! from members and operators needs device categories, which the dashboard
//! brings.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use warden_store::accounts::{Accounts, SessionRow, TokenRow, UserRow};
use warden_store::SqliteStore;

/// Wrong passwords in a row that lock an account.
pub const MAX_FAILED: i64 = 10;
/// How long a locked account stays locked.
pub const LOCKOUT_S: i64 = 15 * 60;
/// Logins one client address may try per window.
pub const ATTEMPTS_PER_WINDOW: usize = 30;
pub const ATTEMPT_WINDOW_S: i64 = 300;
/// How long a session lasts.
pub const SESSION_S: i64 = 12 * 3600;
/// How long a setup code lasts.
pub const SETUP_S: i64 = 3600;
/// The session cookie's name.
pub const COOKIE: &str = "warden_session";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Member,
    Operator,
    Auditor,
    /// Lives in a rented home: sees what the landlord's devices do and may
    /// restrict them further (quarantine, block), but neither release,
    /// remove nor re-own them; the account ends at its end date, and what
    /// the records say the tenant did becomes "a former tenant".
    Tenant,
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The device list, device pages, MUD files, policies.
    SeeDevices,
    SeeAlerts,
    /// Release, MUD files and policies (and everything Restrict allows).
    Enforce,
    /// Quarantine and block: take access away, never give it.
    Restrict,
    /// Assessment reports and labels.
    SeeReports,
    /// Users, roles, tokens, settings, devices' categories.
    Administer,
    /// Where the household's personal devices (phones, computers,
    /// tablets, unplaced devices) talk to: their flows and the remotes in
    /// their alerts.
    SeePersonalTraffic,
    /// The operator's figures (`/metrics`): every device's MAC and drop
    /// counters, alerts by kind.
    SeeMetrics,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Member,
        Role::Operator,
        Role::Auditor,
        Role::Tenant,
    ];

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::Tenant => "tenant",
        }
    }

    /// The whole authorisation matrix.
    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Member => matches!(p, SeeDevices | SeeAlerts | SeeReports),
            Role::Operator => {
                matches!(
                    p,
                    SeeDevices | SeeAlerts | Enforce | Restrict | SeeReports | SeeMetrics
                )
            }
            Role::Auditor => matches!(p, SeeReports),
            Role::Tenant => matches!(p, SeeDevices | SeeAlerts | Restrict),
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: String,
    pub role: Role,
    /// The session's CSRF token when the request came with the session
    /// cookie (None: an API token, which no browser sends by itself).
    pub csrf: Option<String>,
}

impl Principal {
    pub fn may(&self, p: Permission) -> bool {
        self.role.may(p)
    }

    /// Who did something, as events and alerts record it: "name (role)".
    pub fn by(&self) -> String {
        format!("{} ({})", self.user, self.role.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("wrong name or password")]
    Wrong,
    #[error(
        "the account is locked after {MAX_FAILED} wrong passwords; try again after {0} (Unix time)"
    )]
    Locked(i64),
    #[error("too many login attempts from this address; wait a few minutes")]
    RateLimited,
    #[error("the setup code is wrong or has expired (a new one is logged at each start)")]
    BadSetupCode,
    #[error("an owner exists already")]
    OwnerExists,
    #[error("{0}")]
    Invalid(String),
    #[error("store: {0}")]
    Store(String),
}

fn store_err(e: impl std::fmt::Display) -> AuthError {
    AuthError::Store(e.to_string())
}

/// A secret's SHA-256 (what the store keeps of tokens and sessions).
pub fn sha256_hex(s: &str) -> String {
    crate::fetch::sha256_hex(s.as_bytes())
}

fn random_secret() -> Result<String, AuthError> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| AuthError::Store(format!("random: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hash_password(pw: &str) -> Result<String, AuthError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| AuthError::Store(format!("random: {e}")))?;
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| AuthError::Store(format!("salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Store(format!("argon2: {e}")))
}

fn password_ok(pw: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc)
        .and_then(|h| argon2::Argon2::default().verify_password(pw.as_bytes(), &h))
        .is_ok()
}

/// A user name: 1 to 64 letters, digits, `.`, `-`, `_` or `@`.
pub fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
}

fn check_new(name: &str, password: &str) -> Result<(), AuthError> {
    if !valid_name(name) {
        return Err(AuthError::Invalid(
            "name: 1 to 64 letters, digits, '.', '-', '_' or '@'".into(),
        ));
    }
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(AuthError::Invalid("password: 10 to 256 characters".into()));
    }
    Ok(())
}

/// The accounts of one gateway.
pub struct Auth {
    store: Arc<Mutex<SqliteStore>>,
    /// SHA-256 of the token in STATE-DIR/api-token: the owner's.
    file_token_sha: String,
    setup: Mutex<Option<(String, i64)>>,
    attempts: Mutex<HashMap<IpAddr, Vec<i64>>>,
}

impl Auth {
    pub fn new(store: SqliteStore, file_token: &str) -> Auth {
        Auth {
            store: Arc::new(Mutex::new(store)),
            file_token_sha: sha256_hex(file_token),
            setup: Mutex::new(None),
            attempts: Mutex::new(HashMap::new()),
        }
    }

    fn db(&self) -> std::sync::MutexGuard<'_, SqliteStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn has_owner(&self) -> bool {
        self.db()
            .users()
            .map(|u| u.iter().any(|u| u.role == "owner"))
            .unwrap_or(false)
    }

    /// While no owner exists: a one-time code (made now, valid
    /// [`SETUP_S`]) that creates the owner account. None once one exists.
    pub fn setup_code(&self, now: i64) -> Result<Option<(String, i64)>, AuthError> {
        if self.has_owner() {
            return Ok(None);
        }
        let mut s = self.setup.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((code, until)) = s.as_ref().filter(|(_, until)| *until > now) {
            return Ok(Some((code.clone(), *until)));
        }
        let code = random_secret()?[..24].to_string();
        *s = Some((code.clone(), now + SETUP_S));
        Ok(Some((code, now + SETUP_S)))
    }

    /// Creates the owner with the setup code; the API token file becomes
    /// one of the owner's tokens.
    pub fn create_owner(
        &self,
        code: &str,
        name: &str,
        password: &str,
        now: i64,
    ) -> Result<(), AuthError> {
        {
            let mut s = self.setup.lock().unwrap_or_else(|e| e.into_inner());
            match s.as_ref() {
                Some((c, until)) if *until > now && same_secret(c, code) => {}
                _ => return Err(AuthError::BadSetupCode),
            }
            if self.has_owner() {
                return Err(AuthError::OwnerExists);
            }
            check_new(name, password)?;
            *s = None; // used once
        }
        self.add_user(name, Role::Owner, password, None, now)?;
        self.db()
            .add_token(&TokenRow {
                token_sha256: self.file_token_sha.clone(),
                user: name.into(),
                role: Role::Owner.name().into(),
                label: "api-token file".into(),
                created: now,
            })
            .map_err(store_err)
    }

    fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
        until: Option<i64>,
        now: i64,
    ) -> Result<(), AuthError> {
        check_new(name, password)?;
        match (role, until) {
            (Role::Tenant, Some(u)) if u > now => {}
            (Role::Tenant, _) => {
                return Err(AuthError::Invalid(
                    "until: a tenant's account needs an end in the future (Unix time)".into(),
                ))
            }
            (_, Some(_)) => {
                return Err(AuthError::Invalid(
                    "until: only a tenant's account has an end".into(),
                ))
            }
            _ => {}
        }
        let phc = hash_password(password)?;
        let added = self
            .db()
            .add_user(&UserRow {
                name: name.into(),
                role: role.name().into(),
                password_phc: phc,
                failed: 0,
                locked_until: 0,
                created: now,
                until,
            })
            .map_err(store_err)?;
        if added {
            Ok(())
        } else {
            Err(AuthError::Invalid(format!("the name {name} is taken")))
        }
    }

    /// A user made by someone allowed to administer.
    pub fn create_user(
        &self,
        by: &Principal,
        name: &str,
        role: Role,
        password: &str,
        until: Option<i64>,
        now: i64,
    ) -> Result<(), AuthError> {
        if !by.may(Permission::Administer) {
            return Err(AuthError::Invalid("only the owner makes accounts".into()));
        }
        self.add_user(name, role, password, until, now)
    }

    /// Every account (name, role, locked until), for the settings page.
    pub fn users(&self) -> Result<Vec<(String, String, i64)>, AuthError> {
        Ok(self
            .db()
            .users()
            .map_err(store_err)?
            .into_iter()
            .map(|u| (u.name, u.role, u.locked_until))
            .collect())
    }

    /// A new API token for `by`'s account with `role` (never more than
    /// `by`'s own); the secret is shown once.
    pub fn create_token(
        &self,
        by: &Principal,
        role: Role,
        label: &str,
        now: i64,
    ) -> Result<String, AuthError> {
        if !by.may(Permission::Administer) {
            return Err(AuthError::Invalid("only the owner makes tokens".into()));
        }
        let t = random_secret()?;
        self.db()
            .add_token(&TokenRow {
                token_sha256: sha256_hex(&t),
                user: by.user.clone(),
                role: role.name().into(),
                label: label
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(100)
                    .collect(),
                created: now,
            })
            .map_err(store_err)?;
        Ok(t)
    }

    /// Checks a password; on success a new session: (cookie secret, CSRF token).
    pub fn login(
        &self,
        name: &str,
        password: &str,
        client: IpAddr,
        now: i64,
    ) -> Result<(String, String), AuthError> {
        {
            let mut a = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
            if a.len() > 4096 {
                a.retain(|_, v| v.iter().any(|t| now - t < ATTEMPT_WINDOW_S));
            }
            let v = a.entry(client).or_default();
            v.retain(|t| now - t < ATTEMPT_WINDOW_S);
            if v.len() >= ATTEMPTS_PER_WINDOW {
                return Err(AuthError::RateLimited);
            }
            v.push(now);
        }
        let user = self.db().user(name).map_err(store_err)?;
        let Some(u) = user else {
            // The same work as a real check, so timing tells no names.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy =
                DUMMY.get_or_init(|| hash_password("not a password at all").unwrap_or_default());
            let _ = password_ok(password, dummy);
            return Err(AuthError::Wrong);
        };
        if u.locked_until > now {
            return Err(AuthError::Locked(u.locked_until));
        }
        if u.until.is_some_and(|t| t <= now) {
            return Err(AuthError::Wrong);
        }
        if !password_ok(password, &u.password_phc) {
            let failed = u.failed + 1;
            let until = if failed >= MAX_FAILED {
                now + LOCKOUT_S
            } else {
                0
            };
            self.db()
                .set_login_state(name, if until > 0 { 0 } else { failed }, until)
                .map_err(store_err)?;
            return Err(if until > 0 {
                AuthError::Locked(until)
            } else {
                AuthError::Wrong
            });
        }
        let (secret, csrf) = (random_secret()?, random_secret()?);
        let mut db = self.db();
        db.set_login_state(name, 0, 0).map_err(store_err)?;
        db.add_session(&SessionRow {
            token_sha256: sha256_hex(&secret),
            user: u.name,
            csrf: csrf.clone(),
            created: now,
            expires: now + SESSION_S,
        })
        .map_err(store_err)?;
        Ok((secret, csrf))
    }

    /// A tenancy's last day (YYYY-MM-DD) as the Unix time it ends:
    /// midnight UTC after that day.
    pub fn tenancy_end(day: &str) -> Result<i64, AuthError> {
        let d = warden_lifecycle::support::parse_date(day)
            .filter(|_| day.len() == 10)
            .ok_or_else(|| {
                AuthError::Invalid(format!("until: {day:?} is not a date (YYYY-MM-DD)"))
            })?;
        Ok(d.midnight().assume_utc().unix_timestamp() + 86_400)
    }

    /// Ends the tenancies whose end has come (see
    /// [`warden_store::SqliteStore::end_tenancies`]); the names.
    pub fn end_tenancies(&self, now: i64) -> Vec<String> {
        self.db().end_tenancies(now).unwrap_or_default()
    }

    pub fn logout(&self, session_secret: &str) {
        let _ = self.db().remove_session(&sha256_hex(session_secret));
    }

    /// Who sent a request with these headers: a bearer token, or the
    /// session cookie. None: nobody we know.
    pub fn principal(&self, headers: &axum::http::HeaderMap, now: i64) -> Option<Principal> {
        if let Some(t) = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            let sha = sha256_hex(t.trim());
            if same_secret(&sha, &self.file_token_sha) {
                let user = self
                    .db()
                    .token(&sha)
                    .ok()
                    .flatten()
                    .map(|r| r.user)
                    .unwrap_or_else(|| "owner".into());
                return Some(Principal {
                    user,
                    role: Role::Owner,
                    csrf: None,
                });
            }
            let row = self.db().token(&sha).ok().flatten()?;
            return Some(Principal {
                user: row.user,
                role: Role::parse(&row.role)?,
                csrf: None,
            });
        }
        let secret = cookie(headers, COOKIE)?;
        let db = self.db();
        let s = db.session(&sha256_hex(&secret), now).ok().flatten()?;
        let u = db.user(&s.user).ok().flatten()?;
        if u.until.is_some_and(|t| t <= now) {
            return None; // the tenancy has ended
        }
        Some(Principal {
            user: u.name,
            role: Role::parse(&u.role)?,
            csrf: Some(s.csrf),
        })
    }
}

/// The Set-Cookie value of a new session: HttpOnly, SameSite=Strict, for
/// [`SESSION_S`], and Secure when the request came over TLS.
pub fn session_cookie(secret: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_S}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The Set-Cookie value that ends the session in the browser.
pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The value of cookie `name` in the request's Cookie headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(SqliteStore::open_in_memory().unwrap(), "file-token-secret")
    }

    fn owner(a: &Auth) -> Principal {
        let (code, _) = a.setup_code(0).unwrap().unwrap();
        a.create_owner(&code, "alice", "correct horse battery", 0)
            .unwrap();
        Principal {
            user: "alice".into(),
            role: Role::Owner,
            csrf: None,
        }
    }

    #[test]
    fn the_matrix() {
        use Permission::*;
        assert!(Role::Owner.may(Administer));
        assert!(Role::Operator.may(Enforce) && !Role::Operator.may(Administer));
        assert!(!Role::Member.may(Enforce) && Role::Member.may(SeeDevices));
        assert!(Role::Auditor.may(SeeReports));
        for p in [SeeDevices, SeeAlerts, Enforce, Administer, SeeMetrics] {
            assert!(!Role::Auditor.may(p), "{p:?}");
        }
        assert!(Role::Operator.may(SeeMetrics) && !Role::Member.may(SeeMetrics));
    }

    #[test]
    fn a_tenant_restricts_but_never_releases_and_the_account_ends_on_its_day() {
        use Permission::*;
        assert!(Role::Tenant.may(SeeDevices) && Role::Tenant.may(Restrict));
        for p in [
            Enforce,
            Administer,
            SeePersonalTraffic,
            SeeReports,
            SeeMetrics,
        ] {
            assert!(!Role::Tenant.may(p), "{p:?}");
        }
        assert!(Role::Operator.may(Restrict) && !Role::Member.may(Restrict));
        let a = auth();
        let o = owner(&a);
        let end = Auth::tenancy_end("1970-01-02").unwrap();
        assert_eq!(end, 2 * 86_400, "midnight after the last day");
        assert!(a
            .create_user(&o, "tim", Role::Tenant, "rented flat key 12", None, 10)
            .is_err());
        assert!(
            a.create_user(&o, "tia", Role::Member, "rented flat key 12", Some(end), 10)
                .is_err(),
            "only tenants end"
        );
        a.create_user(&o, "tom", Role::Tenant, "rented flat key 12", Some(end), 10)
            .unwrap();
        let (secret, _) = a
            .login(
                "tom",
                "rented flat key 12",
                "192.0.2.1".parse().unwrap(),
                100,
            )
            .unwrap();
        let mut h = axum::http::HeaderMap::new();
        h.insert("cookie", format!("{COOKIE}={secret}").parse().unwrap());
        assert_eq!(a.principal(&h, 100).unwrap().role, Role::Tenant);
        assert!(a.principal(&h, end).is_none(), "the tenancy has ended");
        assert_eq!(a.end_tenancies(end - 1), Vec::<String>::new());
        assert_eq!(a.end_tenancies(end), vec!["tom".to_string()]);
        assert!(a
            .login(
                "tom",
                "rented flat key 12",
                "192.0.2.1".parse().unwrap(),
                end
            )
            .is_err());
    }

    #[test]
    fn the_setup_code_works_once_and_only_while_valid() {
        let a = auth();
        let (code, until) = a.setup_code(100).unwrap().unwrap();
        assert_eq!(until, 100 + SETUP_S);
        assert_eq!(
            a.create_owner("nope", "alice", "correct horse battery", 101),
            Err(AuthError::BadSetupCode)
        );
        assert_eq!(
            a.create_owner(&code, "alice", "correct horse battery", until),
            Err(AuthError::BadSetupCode),
            "expired"
        );
        let (code, _) = a.setup_code(until).unwrap().unwrap();
        assert!(matches!(
            a.create_owner(&code, "alice", "short", until + 1),
            Err(AuthError::Invalid(_))
        ));
        a.create_owner(&code, "alice", "correct horse battery", until + 1)
            .unwrap();
        assert_eq!(
            a.create_owner(&code, "mallory", "correct horse battery", until + 2),
            Err(AuthError::BadSetupCode)
        );
        assert_eq!(a.setup_code(until + 3).unwrap(), None);
    }

    #[test]
    fn ten_wrong_passwords_lock_the_account() {
        let a = auth();
        owner(&a);
        let ip: IpAddr = "10.0.0.5".parse().unwrap();
        for i in 0..9 {
            assert_eq!(
                a.login("alice", "wrong password", ip, i),
                Err(AuthError::Wrong)
            );
        }
        assert_eq!(
            a.login("alice", "wrong password", ip, 9),
            Err(AuthError::Locked(9 + LOCKOUT_S))
        );
        // Locked even with the right password, until the lockout ends.
        assert!(matches!(
            a.login("alice", "correct horse battery", ip, 10),
            Err(AuthError::Locked(_))
        ));
        let (secret, csrf) = a
            .login("alice", "correct horse battery", ip, 9 + LOCKOUT_S)
            .unwrap();
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "cookie",
            format!("theme=dark; {COOKIE}={secret}").parse().unwrap(),
        );
        let p = a.principal(&h, 9 + LOCKOUT_S + 1).unwrap();
        assert_eq!(
            (p.user.as_str(), p.role, p.csrf),
            ("alice", Role::Owner, Some(csrf))
        );
        assert!(
            a.principal(&h, 9 + LOCKOUT_S + SESSION_S).is_none(),
            "expired"
        );
        a.logout(&secret);
        assert!(a.principal(&h, 9 + LOCKOUT_S + 2).is_none(), "logged out");
    }

    #[test]
    fn one_address_cannot_guess_forever() {
        let a = auth();
        owner(&a);
        let ip: IpAddr = "10.0.0.6".parse().unwrap();
        for i in 0..ATTEMPTS_PER_WINDOW {
            let _ = a.login("nobody", "whatever pass", ip, i as i64);
        }
        assert_eq!(
            a.login("alice", "correct horse battery", ip, 40),
            Err(AuthError::RateLimited)
        );
        assert!(a
            .login(
                "alice",
                "correct horse battery",
                "10.0.0.7".parse().unwrap(),
                40
            )
            .is_ok());
    }

    #[test]
    fn tokens_carry_a_role_and_the_file_token_is_the_owners() {
        let a = auth();
        let o = owner(&a);
        let bearer = |t: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert("authorization", format!("Bearer {t}").parse().unwrap());
            a.principal(&h, 1)
        };
        assert_eq!(bearer("file-token-secret").unwrap().role, Role::Owner);
        assert_eq!(bearer("file-token-secret").unwrap().user, "alice");
        let t = a
            .create_token(&o, Role::Member, "kitchen tablet", 1)
            .unwrap();
        let p = bearer(&t).unwrap();
        assert_eq!((p.role, p.csrf), (Role::Member, None));
        assert!(bearer("not a token").is_none());
        a.create_user(&o, "bob", Role::Auditor, "another long one", None, 1)
            .unwrap();
        let bob = Principal {
            user: "bob".into(),
            role: Role::Auditor,
            csrf: None,
        };
        assert!(a.create_token(&bob, Role::Owner, "x", 1).is_err());
        assert!(a
            .create_user(&bob, "eve", Role::Owner, "another long one", None, 1)
            .is_err());
    }
}
