import PostgresNIO

/// The PostgreSQL schema, as numbered migrations applied in order under an advisory lock (so
/// several instances starting at once migrate once) and recorded in `schema_migrations`.
/// Never edit a published migration: add the next one.
enum PostgresMigrations {
    struct Migration {
        let version: Int
        let statements: [PostgresQuery]
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
                    created_at BIGINT NOT NULL,
                    disabled_at BIGINT
                )
                """,
                """
                CREATE TABLE password_credentials (
                    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
                    phc TEXT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    secret_hash BYTEA NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    idle_seconds BIGINT NOT NULL,
                    absolute_expires_at BIGINT NOT NULL,
                    remember BOOLEAN NOT NULL,
                    user_agent TEXT,
                    ip TEXT
                )
                """,
                "CREATE INDEX sessions_by_account ON sessions(account_id)",
                "CREATE INDEX sessions_by_absolute_expiry ON sessions(absolute_expires_at)",
                """
                CREATE TABLE signing_keys (
                    kid TEXT PRIMARY KEY,
                    algorithm TEXT NOT NULL,
                    sealed_private_key BYTEA NOT NULL,
                    created_at BIGINT NOT NULL,
                    signs_from BIGINT NOT NULL,
                    signs_until BIGINT,
                    verifies_until BIGINT
                )
                """,
                """
                CREATE TABLE refresh_families (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    client_id TEXT NOT NULL,
                    audience TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT NOT NULL,
                    idle_seconds BIGINT NOT NULL,
                    absolute_expires_at BIGINT NOT NULL,
                    revoked_at BIGINT
                )
                """,
                "CREATE INDEX refresh_families_by_account ON refresh_families(account_id)",
                """
                CREATE TABLE refresh_tokens (
                    token_hash BYTEA PRIMARY KEY,
                    family_id TEXT NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
                    rotated_at BIGINT
                )
                """,
                """
                CREATE TABLE revocations (
                    cursor BIGSERIAL PRIMARY KEY,
                    kind TEXT NOT NULL,
                    id TEXT NOT NULL,
                    revoked_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX revocations_by_id ON revocations(id, kind)",
                """
                CREATE TABLE service_clients (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    secret_hash BYTEA NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
            ]
        ),
        // The hardening release: idempotent, purgeable revocations; purgeable refresh families;
        // the credential throttle's counts, shared by every instance.
        Migration(
            version: 2,
            statements: [
                """
                DELETE FROM revocations WHERE kind <> 'user' AND cursor NOT IN (
                    SELECT MIN(cursor) FROM revocations WHERE kind <> 'user' GROUP BY kind, id)
                """,
                "CREATE UNIQUE INDEX revocations_once ON revocations(kind, id) WHERE kind <> 'user'",
                "CREATE INDEX revocations_by_expiry ON revocations(expires_at)",
                "CREATE INDEX refresh_families_by_expiry ON refresh_families(absolute_expires_at)",
                """
                CREATE TABLE throttle_attempts (
                    reservation TEXT NOT NULL,
                    key TEXT NOT NULL,
                    attempted_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX throttle_attempts_by_key ON throttle_attempts(key, attempted_at)",
                "CREATE INDEX throttle_attempts_by_reservation ON throttle_attempts(reservation)",
                "CREATE INDEX throttle_attempts_by_time ON throttle_attempts(attempted_at)",
            ]
        ),
        // Account recovery: verified addresses, one-time tokens (hashes only) and the mail outbox.
        Migration(
            version: 3,
            statements: [
                "ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT",
                """
                CREATE TABLE one_time_tokens (
                    hash BYTEA PRIMARY KEY,
                    purpose TEXT NOT NULL,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    email TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
                "CREATE INDEX one_time_tokens_by_account ON one_time_tokens(account_id, purpose)",
                "CREATE INDEX one_time_tokens_by_expiry ON one_time_tokens(expires_at)",
                """
                CREATE TABLE mail_outbox (
                    id TEXT PRIMARY KEY,
                    sealed_content BYTEA,
                    created_at BIGINT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at BIGINT NOT NULL,
                    claimed_until BIGINT,
                    finished_at BIGINT
                )
                """,
                "CREATE INDEX mail_outbox_due ON mail_outbox(finished_at, next_attempt_at)",
            ]
        ),
        // Lets an instance load the sessions seen lately into its cache when it starts.
        Migration(
            version: 4,
            statements: [
                "CREATE INDEX sessions_by_last_seen ON sessions(last_seen_at, id)"
            ]
        ),
        // Second factors: authenticator-app keys (sealed), recovery codes (keyed hashes), how each
        // session and refresh family was proven, and whether a sign-in challenge asked to be remembered.
        Migration(
            version: 5,
            statements: [
                "ALTER TABLE sessions ADD COLUMN auth_methods TEXT NOT NULL DEFAULT 'pwd'",
                "ALTER TABLE refresh_families ADD COLUMN auth_methods TEXT NOT NULL DEFAULT 'pwd'",
                "ALTER TABLE one_time_tokens ADD COLUMN stay_signed_in BOOLEAN NOT NULL DEFAULT FALSE",
                """
                CREATE TABLE totp_credentials (
                    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
                    sealed_key BYTEA NOT NULL,
                    created_at BIGINT NOT NULL,
                    confirmed_at BIGINT,
                    last_used_step BIGINT
                )
                """,
                """
                CREATE TABLE recovery_codes (
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    code_hash BYTEA NOT NULL,
                    used_at BIGINT,
                    PRIMARY KEY (account_id, code_hash)
                )
                """,
            ]
        ),
        // Passkeys: each credential's public key (COSE), signature counter and name.
        Migration(
            version: 6,
            statements: [
                """
                CREATE TABLE passkeys (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    public_key BYTEA NOT NULL,
                    sign_count BIGINT NOT NULL,
                    backup_eligible BOOLEAN NOT NULL,
                    transports TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT
                )
                """,
                "CREATE INDEX passkeys_by_account ON passkeys(account_id, created_at)",
            ]
        ),
    ]
}
