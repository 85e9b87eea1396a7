/// The schema, as numbered migrations applied in order and recorded in `schema_migrations`.
/// Never edit a published migration: add the next one.
enum SQLiteMigrations {
    struct Migration {
        let version: Int
        let statements: [String]
    }

    static let all: [Migration] = [
        Migration(
            version: 1,
            statements: [
                """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    roles TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    disabled_at INTEGER
                )
                """,
                """
                CREATE TABLE password_credentials (
                    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
                    phc TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    secret_hash BLOB NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    last_seen_at INTEGER NOT NULL,
                    idle_seconds INTEGER NOT NULL,
                    absolute_expires_at INTEGER NOT NULL,
                    remember INTEGER NOT NULL,
                    user_agent TEXT,
                    ip TEXT
                )
                """,
                "CREATE INDEX sessions_by_account ON sessions(account_id)",
                "CREATE INDEX sessions_by_absolute_expiry ON sessions(absolute_expires_at)",
            ]
        ),
        Migration(
            version: 2,
            statements: [
                """
                CREATE TABLE signing_keys (
                    kid TEXT PRIMARY KEY,
                    algorithm TEXT NOT NULL,
                    sealed_private_key BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    signs_from INTEGER NOT NULL,
                    signs_until INTEGER,
                    verifies_until INTEGER
                )
                """,
                """
                CREATE TABLE refresh_families (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    client_id TEXT NOT NULL,
                    audience TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    last_used_at INTEGER NOT NULL,
                    idle_seconds INTEGER NOT NULL,
                    absolute_expires_at INTEGER NOT NULL,
                    revoked_at INTEGER
                )
                """,
                "CREATE INDEX refresh_families_by_account ON refresh_families(account_id)",
                """
                CREATE TABLE refresh_tokens (
                    token_hash BLOB PRIMARY KEY,
                    family_id TEXT NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
                    rotated_at INTEGER
                )
                """,
                """
                CREATE TABLE revocations (
                    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    id TEXT NOT NULL,
                    revoked_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                )
                """,
                "CREATE INDEX revocations_by_id ON revocations(id, kind)",
                """
                CREATE TABLE service_clients (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    secret_hash BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                )
                """,
            ]
        ),
        // The hardening release: revocation is idempotent (one entry per session or token id) and
        // purged once it no longer matters, which needs an index on its expiry; refresh families
        // are purged once revoked or expired.
        Migration(
            version: 3,
            statements: [
                """
                DELETE FROM revocations WHERE kind <> 'user' AND cursor NOT IN (
                    SELECT MIN(cursor) FROM revocations WHERE kind <> 'user' GROUP BY kind, id)
                """,
                "CREATE UNIQUE INDEX revocations_once ON revocations(kind, id) WHERE kind <> 'user'",
                "CREATE INDEX revocations_by_expiry ON revocations(expires_at)",
                "CREATE INDEX refresh_families_by_expiry ON refresh_families(absolute_expires_at)",
            ]
        ),
        // Account recovery: verified addresses, one-time tokens (hashes only) and the mail outbox.
        Migration(
            version: 4,
            statements: [
                "ALTER TABLE accounts ADD COLUMN email_verified_at INTEGER",
                """
                CREATE TABLE one_time_tokens (
                    hash BLOB PRIMARY KEY,
                    purpose TEXT NOT NULL,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    email TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    used_at INTEGER
                )
                """,
                "CREATE INDEX one_time_tokens_by_account ON one_time_tokens(account_id, purpose)",
                "CREATE INDEX one_time_tokens_by_expiry ON one_time_tokens(expires_at)",
                """
                CREATE TABLE mail_outbox (
                    id TEXT PRIMARY KEY,
                    sealed_content BLOB,
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    claimed_until INTEGER,
                    finished_at INTEGER
                )
                """,
                "CREATE INDEX mail_outbox_due ON mail_outbox(finished_at, next_attempt_at)",
            ]
        ),
        // Lets an instance load the sessions seen lately into its cache when it starts.
        Migration(
            version: 5,
            statements: [
                "CREATE INDEX sessions_by_last_seen ON sessions(last_seen_at, id)"
            ]
        ),
        // Second factors: authenticator-app keys (sealed), recovery codes (keyed hashes), how each
        // session and refresh family was proven, and whether a sign-in challenge asked to be remembered.
        Migration(
            version: 6,
            statements: [
                "ALTER TABLE sessions ADD COLUMN auth_methods TEXT NOT NULL DEFAULT 'pwd'",
                "ALTER TABLE refresh_families ADD COLUMN auth_methods TEXT NOT NULL DEFAULT 'pwd'",
                "ALTER TABLE one_time_tokens ADD COLUMN stay_signed_in INTEGER NOT NULL DEFAULT 0",
                """
                CREATE TABLE totp_credentials (
                    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
                    sealed_key BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    confirmed_at INTEGER,
                    last_used_step INTEGER
                )
                """,
                """
                CREATE TABLE recovery_codes (
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    code_hash BLOB NOT NULL,
                    used_at INTEGER,
                    PRIMARY KEY (account_id, code_hash)
                )
                """,
            ]
        ),
        // Passkeys: each credential's public key (COSE), signature counter and name.
        Migration(
            version: 7,
            statements: [
                """
                CREATE TABLE passkeys (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    public_key BLOB NOT NULL,
                    sign_count INTEGER NOT NULL,
                    backup_eligible INTEGER NOT NULL,
                    transports TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    last_used_at INTEGER
                )
                """,
                "CREATE INDEX passkeys_by_account ON passkeys(account_id, created_at)",
            ]
        ),
    ]
}
