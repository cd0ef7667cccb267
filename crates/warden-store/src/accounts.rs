//! Accounts for the gateway's API and dashboard: users with a role and an
//! argon2id password hash (PHC string; hashing is the caller's), login
//! sessions and API tokens, both kept only as SHA-256 digests of the secret
//! the client holds, so a copy of the database opens no session.

use crate::{Result, SqliteStore};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub password_phc: String,
    /// Wrong passwords in a row.
    pub failed: i64,
    /// Unix seconds until which logins are refused (0: not locked).
    pub locked_until: i64,
    pub created: i64,
    /// A tenant's account ends at this Unix time (None: no end).
    pub until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_sha256: String,
    pub user: String,
    pub csrf: String,
    pub created: i64,
    pub expires: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token_sha256: String,
    pub user: String,
    pub role: String,
    pub label: String,
    pub created: i64,
}

/// What the gateway keeps of its accounts, whatever the backend.
pub trait Accounts {
    fn user(&self, name: &str) -> Result<Option<UserRow>>;
    fn users(&self) -> Result<Vec<UserRow>>;
    /// Adds a user; false when the name is taken.
    fn add_user(&mut self, u: &UserRow) -> Result<bool>;
    fn set_login_state(&mut self, name: &str, failed: i64, locked_until: i64) -> Result<()>;
    fn add_session(&mut self, s: &SessionRow) -> Result<()>;
    /// A session that has not expired at `now`.
    fn session(&self, token_sha256: &str, now: i64) -> Result<Option<SessionRow>>;
    fn remove_session(&mut self, token_sha256: &str) -> Result<()>;
    /// Removes expired sessions; how many.
    fn prune_sessions(&mut self, now: i64) -> Result<usize>;
    fn add_token(&mut self, t: &TokenRow) -> Result<()>;
    fn token(&self, token_sha256: &str) -> Result<Option<TokenRow>>;
}

fn user_from(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        name: r.get(0)?,
        role: r.get(1)?,
        password_phc: r.get(2)?,
        failed: r.get(3)?,
        locked_until: r.get(4)?,
        created: r.get(5)?,
        until: r.get(6)?,
    })
}

impl Accounts for SqliteStore {
    fn user(&self, name: &str) -> Result<Option<UserRow>> {
        Ok(self
            .db
            .query_row(
                "SELECT name, role, password_phc, failed, locked_until, created, until FROM users WHERE name = ?1",
                params![name],
                user_from,
            )
            .optional()?)
    }

    fn users(&self) -> Result<Vec<UserRow>> {
        let mut st = self.db.prepare(
            "SELECT name, role, password_phc, failed, locked_until, created, until FROM users ORDER BY created, name",
        )?;
        let rows = st.query_map([], user_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn add_user(&mut self, u: &UserRow) -> Result<bool> {
        let n = self.db.execute(
            "INSERT OR IGNORE INTO users (name, role, password_phc, failed, locked_until, created, until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                u.name,
                u.role,
                u.password_phc,
                u.failed,
                u.locked_until,
                u.created,
                u.until
            ],
        )?;
        Ok(n == 1)
    }

    fn set_login_state(&mut self, name: &str, failed: i64, locked_until: i64) -> Result<()> {
        self.db.execute(
            "UPDATE users SET failed = ?2, locked_until = ?3 WHERE name = ?1",
            params![name, failed, locked_until],
        )?;
        Ok(())
    }

    fn add_session(&mut self, s: &SessionRow) -> Result<()> {
        self.db.execute(
            "INSERT INTO sessions (token_sha256, user, csrf, created, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.token_sha256, s.user, s.csrf, s.created, s.expires],
        )?;
        Ok(())
    }

    fn session(&self, token_sha256: &str, now: i64) -> Result<Option<SessionRow>> {
        Ok(self
            .db
            .query_row(
                "SELECT token_sha256, user, csrf, created, expires FROM sessions
                 WHERE token_sha256 = ?1 AND expires > ?2",
                params![token_sha256, now],
                |r| {
                    Ok(SessionRow {
                        token_sha256: r.get(0)?,
                        user: r.get(1)?,
                        csrf: r.get(2)?,
                        created: r.get(3)?,
                        expires: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    fn remove_session(&mut self, token_sha256: &str) -> Result<()> {
        self.db.execute(
            "DELETE FROM sessions WHERE token_sha256 = ?1",
            params![token_sha256],
        )?;
        Ok(())
    }

    fn prune_sessions(&mut self, now: i64) -> Result<usize> {
        Ok(self
            .db
            .execute("DELETE FROM sessions WHERE expires <= ?1", params![now])?)
    }

    fn add_token(&mut self, t: &TokenRow) -> Result<()> {
        self.db.execute(
            "INSERT OR REPLACE INTO api_tokens (token_sha256, user, role, label, created)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t.token_sha256, t.user, t.role, t.label, t.created],
        )?;
        Ok(())
    }

    fn token(&self, token_sha256: &str) -> Result<Option<TokenRow>> {
        Ok(self
            .db
            .query_row(
                "SELECT token_sha256, user, role, label, created FROM api_tokens WHERE token_sha256 = ?1",
                params![token_sha256],
                |r| {
                    Ok(TokenRow {
                        token_sha256: r.get(0)?,
                        user: r.get(1)?,
                        role: r.get(2)?,
                        label: r.get(3)?,
                        created: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_sessions_and_tokens_round_trip() {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let u = UserRow {
            name: "owner".into(),
            role: "owner".into(),
            password_phc: "$argon2id$v=19$...".into(),
            failed: 0,
            locked_until: 0,
            created: 10,
            until: None,
        };
        assert!(s.add_user(&u).unwrap());
        assert!(!s.add_user(&u).unwrap(), "a name is taken once");
        s.set_login_state("owner", 3, 99).unwrap();
        let got = s.user("owner").unwrap().unwrap();
        assert_eq!((got.failed, got.locked_until), (3, 99));
        assert_eq!(s.users().unwrap().len(), 1);
        let sess = SessionRow {
            token_sha256: "ab".into(),
            user: "owner".into(),
            csrf: "c".into(),
            created: 10,
            expires: 100,
        };
        s.add_session(&sess).unwrap();
        assert_eq!(s.session("ab", 99).unwrap(), Some(sess));
        assert_eq!(s.session("ab", 100).unwrap(), None, "expired");
        assert_eq!(s.prune_sessions(100).unwrap(), 1);
        // A session for a user that does not exist is refused.
        assert!(s
            .add_session(&SessionRow {
                token_sha256: "cd".into(),
                user: "nobody".into(),
                csrf: "c".into(),
                created: 10,
                expires: 100,
            })
            .is_err());
        let t = TokenRow {
            token_sha256: "ef".into(),
            user: "owner".into(),
            role: "member".into(),
            label: "the fridge's app".into(),
            created: 11,
        };
        s.add_token(&t).unwrap();
        assert_eq!(s.token("ef").unwrap(), Some(t));
        assert_eq!(s.token("00").unwrap(), None);
    }
}
