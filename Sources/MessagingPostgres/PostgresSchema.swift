import Foundation

/// The versioned schema of the PostgreSQL adapter. Migrations are append-only: a released
/// migration never changes; each is a list of single statements run in one transaction.
enum PostgresSchema {
    struct Migration {
        let identifier: String
        let statements: [String]
    }

    /// Serializes migrations of every process that opens the same database.
    static let migrationLockKey: Int64 = 0x6D73_6731_6D69_6772  // "msg1migr"

    static let migrations: [Migration] = [
        Migration(identifier: "pg-v1-core", statements: split(core)),
        Migration(identifier: "pg-v2-cluster", statements: split(cluster)),
        Migration(identifier: "pg-v3-job-indexes", statements: split(jobIndexes)),
        Migration(identifier: "pg-v4-threads", statements: split(threads)),
        Migration(identifier: "pg-v5-user-feed", statements: split(userFeed)),
        Migration(identifier: "pg-v6-moderation", statements: split(moderation)),
        Migration(identifier: "pg-v7-retention", statements: split(retention)),
        Migration(identifier: "pg-v8-notifications", statements: split(notifications)),
        Migration(identifier: "pg-v9-attachments", statements: split(attachments)),
    ]

    /// Media attachments: one row per upload slot, with the object key, the declared name,
    /// type and size, when the stored object was checked, and the message it belongs to once
    /// attached. The SQLite schema's `v9-attachments`; a new table only.
    static let attachments = """
        CREATE TABLE attachments (
            id uuid PRIMARY KEY,
            owner_id uuid NOT NULL,
            conversation_id uuid NOT NULL,
            object_key text NOT NULL UNIQUE,
            file_name text NOT NULL,
            content_type text NOT NULL,
            byte_count bigint NOT NULL CHECK (byte_count >= 0),
            created_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            confirmed_at bigint,
            message_id uuid
        );
        CREATE INDEX attachments_unattached_by_expiry ON attachments (expires_at) WHERE message_id IS NULL;
        CREATE INDEX attachments_by_message ON attachments (message_id) WHERE message_id IS NOT NULL
        """

    /// Notification records (`source_key` makes a retried job's insert a no-op), each
    /// member's notified position, and one push token per device of a user. The SQLite
    /// schema's `v8-notifications`; new tables only.
    static let notifications = """
        CREATE TABLE notifications (
            id uuid PRIMARY KEY,
            user_id uuid NOT NULL,
            conversation_id uuid NOT NULL,
            reason text NOT NULL CHECK (reason IN ('mention', 'offline')),
            first_seq bigint NOT NULL,
            latest_seq bigint NOT NULL,
            message_id uuid,
            count integer NOT NULL CHECK (count >= 1),
            created_at bigint NOT NULL,
            read_at bigint,
            source_key text NOT NULL UNIQUE
        );
        CREATE INDEX notifications_by_user ON notifications (user_id, id);
        CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
        CREATE INDEX notifications_by_conversation ON notifications (conversation_id);
        CREATE TABLE notification_marks (
            conversation_id uuid NOT NULL,
            user_id uuid NOT NULL,
            notified_seq bigint NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX notification_marks_by_user ON notification_marks (user_id);
        CREATE TABLE push_tokens (
            user_id uuid NOT NULL,
            device_id uuid NOT NULL,
            platform text NOT NULL CHECK (platform IN ('apns', 'fcm')),
            token text NOT NULL,
            sandbox boolean NOT NULL,
            updated_at bigint NOT NULL,
            PRIMARY KEY (user_id, device_id),
            UNIQUE (platform, token)
        )
        """

    /// Each user's feed of changes to their conversation list (the SQLite schema's
    /// `v5-user-feed`). The next `seq` comes from a per-user counter row that the appending
    /// transaction updates (and so locks): two transactions appending to one feed are
    /// serialized on it under READ COMMITTED, and never take the same `seq`. Also the users'
    /// settings and the index of delivered positions, as in SQLite.
    static let userFeed = """
        CREATE TABLE user_feed_heads (
            user_id uuid PRIMARY KEY REFERENCES users (id),
            head bigint NOT NULL
        );
        CREATE TABLE user_feed (
            user_id uuid NOT NULL REFERENCES users (id),
            seq bigint NOT NULL,
            conversation_id uuid NOT NULL,
            occurred_at bigint NOT NULL,
            payload text NOT NULL,
            PRIMARY KEY (user_id, seq)
        );
        CREATE TABLE user_settings (
            user_id uuid PRIMARY KEY REFERENCES users (id),
            hide_read_receipts boolean NOT NULL DEFAULT false
        );
        CREATE INDEX ack_cursors_by_conversation ON ack_cursors (conversation_id, user_id, acked_seq)
        """

    /// Moderation: slow mode per conversation (and each member's last post under it), mutes
    /// per member, bans per conversation, block lists per user, pinned messages. The SQLite
    /// schema's `v6-moderation`.
    static let moderation = """
        ALTER TABLE conversations ADD COLUMN slow_mode_seconds integer NOT NULL DEFAULT 0
            CHECK (slow_mode_seconds BETWEEN 0 AND 21600);
        ALTER TABLE members ADD COLUMN muted_until bigint;
        CREATE TABLE slow_mode_posts (
            conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            user_id uuid NOT NULL,
            last_post_at bigint NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE TABLE conversation_bans (
            conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            user_id uuid NOT NULL,
            banned_by uuid NOT NULL,
            reason text,
            banned_at bigint NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE TABLE user_blocks (
            blocker_id uuid NOT NULL,
            blocked_id uuid NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (blocker_id, blocked_id)
        );
        CREATE TABLE pinned_messages (
            conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            message_id uuid NOT NULL,
            pinned_by uuid NOT NULL,
            pinned_at bigint NOT NULL,
            PRIMARY KEY (conversation_id, message_id)
        );
        CREATE INDEX pinned_messages_by_message ON pinned_messages (message_id)
        """

    /// Per-conversation retention policies: messages older than `retention_days` are
    /// tombstoned by the sweep, which resumes after `swept_seq`. Deleted with their
    /// conversation. And the deleted accounts, which nobody may add to a conversation any more.
    /// The SQLite schema's `v7-retention`; touches only its own tables.
    static let retention = """
        CREATE TABLE retention_policies (
            conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
            retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 36500),
            set_by uuid NOT NULL,
            set_at bigint NOT NULL,
            swept_seq bigint NOT NULL DEFAULT 0 CHECK (swept_seq >= 0)
        );
        CREATE TABLE deleted_accounts (
            user_id uuid PRIMARY KEY REFERENCES users (id),
            deleted_at bigint NOT NULL
        )
        """

    /// Thread reads: a thread's replies by keyset on `seq`, and each root's reply count and
    /// newest reply, from one index over the messages that are replies (partial: messages
    /// outside threads take no space in it). The SQLite schema's `v4-threads`.
    static let threads = """
        CREATE INDEX messages_by_thread_root ON messages (thread_root_id, seq) WHERE thread_root_id IS NOT NULL
        """

    /// Claiming walks due jobs in `(next_run_at, id)` order and stops at its limit, and the
    /// sweep for jobs whose last lease expired reads only such jobs: before these indexes,
    /// each claim sorted every due job (about 4 ms per claim with 10,000 waiting, which held
    /// two workers to about 100 jobs/s). The `queue` filter is applied while walking; a
    /// deployment whose workers claim from different queues walks past the others' jobs.
    static let jobIndexes = """
        CREATE INDEX jobs_due ON jobs (next_run_at, id);
        CREATE INDEX jobs_exhausted ON jobs (next_run_at) WHERE attempts >= max_attempts;
        DROP INDEX jobs_claimable
        """

    static var knownMigrations: Set<String> { Set(migrations.map(\.identifier)) }

    static func split(_ script: String) -> [String] {
        script.components(separatedBy: ";\n")
            .map { $0.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ";"))) }
            .filter { !$0.isEmpty }
    }

    /// The tables of the SQLite schema's v1-core, v2-auth, v2-delivery and v3-e2ee in one
    /// step, in PostgreSQL's types: ids `uuid`, times `bigint` milliseconds, bytes `bytea`.
    /// Search is a `tsvector` column (the 'simple' configuration: lower-cased words, no
    /// stemming, no stop words) filled only for text and system messages and cleared on
    /// delete, with a GIN index.
    static let core = """
        CREATE TABLE users (
            id uuid PRIMARY KEY,
            handle text NOT NULL UNIQUE,
            display_name text NOT NULL,
            created_at bigint NOT NULL
        );
        CREATE TABLE conversations (
            id uuid PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('direct', 'group', 'channel')),
            title text,
            topic text,
            creator_id uuid NOT NULL,
            direct_key bytea UNIQUE,
            created_at bigint NOT NULL,
            last_seq bigint NOT NULL DEFAULT 0,
            last_activity_at bigint NOT NULL,
            encrypted boolean NOT NULL DEFAULT false
        );
        CREATE INDEX conversations_by_activity ON conversations (last_activity_at DESC, id DESC);
        CREATE TABLE members (
            conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            user_id uuid NOT NULL REFERENCES users (id),
            role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
            joined_at bigint NOT NULL,
            read_seq bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX members_by_user ON members (user_id, conversation_id);
        CREATE TABLE messages (
            row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id uuid NOT NULL UNIQUE,
            conversation_id uuid NOT NULL,
            seq bigint NOT NULL,
            sender_id uuid NOT NULL,
            client_message_id text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('text', 'system', 'encrypted')),
            body_text text,
            body_bytes bytea,
            reply_to_id uuid,
            thread_root_id uuid,
            mentions uuid[],
            attachments text,
            created_at bigint NOT NULL,
            edited_at bigint,
            deleted_at bigint,
            content_digest bigint NOT NULL,
            key_epoch bigint,
            sender_device uuid,
            search tsvector,
            UNIQUE (conversation_id, seq),
            UNIQUE (conversation_id, sender_id, client_message_id)
        );
        CREATE INDEX messages_search ON messages USING gin (search);
        CREATE TABLE events (
            conversation_id uuid NOT NULL,
            seq bigint NOT NULL,
            type text NOT NULL,
            actor_id uuid NOT NULL,
            message_id uuid,
            data text,
            occurred_at bigint NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        );
        CREATE TABLE reactions (
            message_id uuid NOT NULL,
            user_id uuid NOT NULL,
            emoji text NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (message_id, user_id, emoji)
        );
        CREATE TABLE idempotency_keys (
            scope text NOT NULL,
            key text NOT NULL,
            value text NOT NULL,
            expires_at bigint NOT NULL,
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
        CREATE TABLE credentials (
            user_id uuid PRIMARY KEY REFERENCES users (id),
            password_hash text NOT NULL,
            roles text NOT NULL DEFAULT '',
            created_at bigint NOT NULL,
            password_changed_at bigint NOT NULL,
            disabled_at bigint
        );
        CREATE TABLE auth_sessions (
            id uuid PRIMARY KEY,
            user_id uuid NOT NULL REFERENCES users (id),
            device_name text NOT NULL,
            client_address text,
            created_at bigint NOT NULL,
            last_used_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            refresh_hash bytea NOT NULL UNIQUE CHECK (length(refresh_hash) = 32),
            generation bigint NOT NULL DEFAULT 0,
            revoked_at bigint,
            revocation_reason text
        );
        CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id, created_at);
        CREATE INDEX auth_sessions_by_expiry ON auth_sessions (expires_at);
        CREATE TABLE refresh_token_history (
            token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
            session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
            generation bigint NOT NULL,
            rotated_at bigint NOT NULL
        );
        CREATE INDEX refresh_token_history_by_session ON refresh_token_history (session_id);
        CREATE TABLE jobs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            queue text NOT NULL,
            payload bytea NOT NULL,
            coalescing_key text UNIQUE,
            coalesced bigint NOT NULL DEFAULT 0,
            attempts bigint NOT NULL DEFAULT 0,
            max_attempts bigint NOT NULL CHECK (max_attempts >= 1),
            claims bigint NOT NULL DEFAULT 0,
            lease_owner text,
            next_run_at bigint NOT NULL,
            last_error text,
            created_at bigint NOT NULL,
            last_attempt_at bigint,
            updated_at bigint NOT NULL
        );
        CREATE INDEX jobs_claimable ON jobs (queue, next_run_at);
        CREATE TABLE dead_jobs (
            id bigint PRIMARY KEY,
            queue text NOT NULL,
            payload bytea NOT NULL,
            attempts bigint NOT NULL,
            max_attempts bigint NOT NULL,
            last_error text NOT NULL,
            created_at bigint NOT NULL,
            last_attempt_at bigint,
            failed_at bigint NOT NULL,
            replayed_at bigint,
            replay_job_id bigint
        );
        CREATE INDEX dead_jobs_by_queue ON dead_jobs (queue, id);
        CREATE TABLE ack_cursors (
            device_id uuid NOT NULL,
            conversation_id uuid NOT NULL,
            user_id uuid NOT NULL,
            acked_seq bigint NOT NULL,
            updated_at bigint NOT NULL,
            PRIMARY KEY (device_id, conversation_id)
        );
        CREATE TABLE devices (
            id uuid PRIMARY KEY,
            user_id uuid NOT NULL REFERENCES users (id),
            bundle bytea NOT NULL,
            added_at bigint NOT NULL,
            removed_at bigint,
            inbox_seq bigint NOT NULL DEFAULT 0
        );
        CREATE INDEX devices_by_user ON devices (user_id, id);
        CREATE TABLE conversation_keys (
            conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
            key_epoch bigint NOT NULL CHECK (key_epoch >= 0),
            required_epoch bigint NOT NULL CHECK (required_epoch >= 1)
        );
        CREATE TABLE key_envelopes (
            device_id uuid NOT NULL REFERENCES devices (id),
            seq bigint NOT NULL,
            conversation_id uuid NOT NULL,
            epoch bigint NOT NULL,
            sender_device uuid NOT NULL,
            envelope bytea NOT NULL,
            stored_at bigint NOT NULL,
            PRIMARY KEY (device_id, seq),
            UNIQUE (conversation_id, epoch, device_id)
        );
        """
}
