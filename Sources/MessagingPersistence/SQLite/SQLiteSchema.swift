import GRDB

/// The versioned schema. Migrations are append-only: a released migration never changes.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(sql: version1)
        }
        migrator.registerMigration("v2-auth") { db in
            try db.execute(sql: version2Auth)
        }
        // Touches only its own tables, so it applies the same before or after migrations
        // added on other branches (such as `v2-auth`).
        migrator.registerMigration("v2-delivery") { db in
            try db.execute(sql: delivery)
        }
        migrator.registerMigration("v3-e2ee") { db in
            try db.execute(sql: endToEnd)
        }
        migrator.registerMigration("v4-threads") { db in
            try db.execute(sql: threads)
        }
        // Touches only its own table, so it applies the same before or after migrations
        // added on other branches.
        migrator.registerMigration("v5-user-feed") { db in
            try db.execute(sql: userFeed)
        }
        // Touches its own tables and adds columns; independent of v5-user-feed.
        migrator.registerMigration("v6-moderation") { db in
            try db.execute(sql: moderation)
        }
        // Touches its own tables; independent of v5 and v6.
        migrator.registerMigration("v7-retention") { db in
            try db.execute(sql: retention)
        }
        // Notification records, positions and push tokens; new tables only.
        migrator.registerMigration("v8-notifications") { db in
            try db.execute(sql: notifications)
        }
        // Attachment records; a new table only.
        migrator.registerMigration("v9-attachments") { db in
            try db.execute(sql: attachments)
        }
        return migrator
    }

    /// Every migration this library knows.
    static var knownMigrations: Set<String> { Set(migrator.migrations) }

    /// Media attachments: one row per upload slot, with the object key, the declared name,
    /// type and size, when the stored object was checked, and the message it belongs to once
    /// attached. Unattached uploads are found by expiry (partial index: attached rows take no
    /// space in it). No foreign keys: a record outlives nothing it names, and the purge of
    /// expired uploads deletes the object before the row.
    static let attachments = """
        CREATE TABLE attachments (
            id BLOB PRIMARY KEY NOT NULL,
            owner_id BLOB NOT NULL,
            conversation_id BLOB NOT NULL,
            object_key TEXT NOT NULL UNIQUE,
            file_name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            confirmed_at INTEGER,
            message_id BLOB
        ) WITHOUT ROWID;
        CREATE INDEX attachments_unattached_by_expiry ON attachments (expires_at) WHERE message_id IS NULL;
        CREATE INDEX attachments_by_message ON attachments (message_id) WHERE message_id IS NOT NULL;
        """

    /// Notification records (`source_key` makes a retried job's insert a no-op), each
    /// member's notified position, and one push token per device of a user.
    static let notifications = """
        CREATE TABLE notifications (
            id BLOB PRIMARY KEY NOT NULL,
            user_id BLOB NOT NULL,
            conversation_id BLOB NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN ('mention', 'offline')),
            first_seq INTEGER NOT NULL,
            latest_seq INTEGER NOT NULL,
            message_id BLOB,
            count INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            read_at INTEGER,
            source_key TEXT NOT NULL UNIQUE
        ) WITHOUT ROWID;
        CREATE INDEX notifications_by_user ON notifications (user_id, id);
        CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
        CREATE INDEX notifications_by_conversation ON notifications (conversation_id);

        CREATE TABLE notification_marks (
            conversation_id BLOB NOT NULL,
            user_id BLOB NOT NULL,
            notified_seq INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX notification_marks_by_user ON notification_marks (user_id);

        CREATE TABLE push_tokens (
            user_id BLOB NOT NULL,
            device_id BLOB NOT NULL,
            platform TEXT NOT NULL CHECK (platform IN ('apns', 'fcm')),
            token TEXT NOT NULL,
            sandbox INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (user_id, device_id),
            UNIQUE (platform, token)
        ) WITHOUT ROWID;
        """

    static let version1 = """
        CREATE TABLE users (
            id BLOB PRIMARY KEY NOT NULL,
            handle TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE conversations (
            id BLOB PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('direct', 'group', 'channel')),
            title TEXT,
            topic TEXT,
            creator_id BLOB NOT NULL,
            direct_key BLOB UNIQUE,
            created_at INTEGER NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            last_activity_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX conversations_by_activity ON conversations (last_activity_at DESC, id DESC);

        CREATE TABLE members (
            conversation_id BLOB NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            user_id BLOB NOT NULL REFERENCES users (id),
            role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
            joined_at INTEGER NOT NULL,
            read_seq INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX members_by_user ON members (user_id, conversation_id);

        CREATE TABLE messages (
            row_id INTEGER PRIMARY KEY,
            id BLOB NOT NULL UNIQUE,
            conversation_id BLOB NOT NULL,
            seq INTEGER NOT NULL,
            sender_id BLOB NOT NULL,
            client_message_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('text', 'system', 'encrypted')),
            body BLOB,
            reply_to_id BLOB,
            thread_root_id BLOB,
            mentions BLOB,
            attachments TEXT,
            created_at INTEGER NOT NULL,
            edited_at INTEGER,
            deleted_at INTEGER,
            content_digest INTEGER NOT NULL,
            UNIQUE (conversation_id, seq),
            UNIQUE (conversation_id, sender_id, client_message_id)
        );

        CREATE TABLE events (
            conversation_id BLOB NOT NULL,
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            actor_id BLOB NOT NULL,
            message_id BLOB,
            data TEXT,
            occurred_at INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        ) WITHOUT ROWID;

        CREATE TABLE reactions (
            message_id BLOB NOT NULL,
            user_id BLOB NOT NULL,
            emoji TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (message_id, user_id, emoji)
        ) WITHOUT ROWID;

        -- Contentless: the index holds no copy of the text, and nothing can rebuild it
        -- from `messages`, so encrypted bodies can never be indexed by accident.
        CREATE VIRTUAL TABLE messages_fts USING fts5 (
            body, content = '', tokenize = 'unicode61 remove_diacritics 2'
        );

        CREATE TABLE idempotency_keys (
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (scope, key)
        ) WITHOUT ROWID;
        CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
        """

    /// Accounts' credentials, login sessions and the hashes of rotated refresh tokens.
    /// No token and no password is ever stored in clear: `password_hash` holds an argon2id
    /// string, `refresh_hash` and `token_hash` BLAKE2b-256 digests of refresh tokens.
    static let version2Auth = """
        CREATE TABLE credentials (
            user_id BLOB PRIMARY KEY NOT NULL REFERENCES users (id),
            password_hash TEXT NOT NULL,
            roles TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            password_changed_at INTEGER NOT NULL,
            disabled_at INTEGER
        ) WITHOUT ROWID;

        CREATE TABLE auth_sessions (
            id BLOB PRIMARY KEY NOT NULL,
            user_id BLOB NOT NULL REFERENCES users (id),
            device_name TEXT NOT NULL,
            client_address TEXT,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            refresh_hash BLOB NOT NULL UNIQUE CHECK (length(refresh_hash) = 32),
            generation INTEGER NOT NULL DEFAULT 0,
            revoked_at INTEGER,
            revocation_reason TEXT
        ) WITHOUT ROWID;
        CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id, created_at);
        CREATE INDEX auth_sessions_by_expiry ON auth_sessions (expires_at);

        CREATE TABLE refresh_token_history (
            token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
            session_id BLOB NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
            generation INTEGER NOT NULL,
            rotated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX refresh_token_history_by_session ON refresh_token_history (session_id);
        """

    /// The durable job queue, its dead-letter queue and acknowledgement cursors.
    ///
    /// A leased job's `next_run_at` is its lease expiry, so "claimable" is one condition,
    /// `next_run_at <= now`, over one index, for waiting jobs and expired leases alike.
    static let delivery = """
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            queue TEXT NOT NULL,
            payload BLOB NOT NULL,
            coalescing_key TEXT UNIQUE,
            coalesced INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
            claims INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            next_run_at INTEGER NOT NULL,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            last_attempt_at INTEGER,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX jobs_claimable ON jobs (queue, next_run_at);

        CREATE TABLE dead_jobs (
            id INTEGER PRIMARY KEY,
            queue TEXT NOT NULL,
            payload BLOB NOT NULL,
            attempts INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL,
            last_error TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_attempt_at INTEGER,
            failed_at INTEGER NOT NULL,
            replayed_at INTEGER,
            replay_job_id INTEGER
        );
        CREATE INDEX dead_jobs_by_queue ON dead_jobs (queue, id);

        CREATE TABLE ack_cursors (
            device_id BLOB NOT NULL,
            conversation_id BLOB NOT NULL,
            user_id BLOB NOT NULL,
            acked_seq INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (device_id, conversation_id)
        ) WITHOUT ROWID;
        """

    /// End-to-end encrypted conversations: the encrypted flag, the encryption header of
    /// messages, devices with their signed bundles, key epochs and per-device envelope inboxes.
    /// Nothing here is secret: bundles are public, envelopes are sealed to their recipients.
    static let endToEnd = """
        ALTER TABLE conversations ADD COLUMN encrypted INTEGER NOT NULL DEFAULT 0 CHECK (encrypted IN (0, 1));
        ALTER TABLE messages ADD COLUMN key_epoch INTEGER;
        ALTER TABLE messages ADD COLUMN sender_device BLOB;

        CREATE TABLE devices (
            id BLOB PRIMARY KEY NOT NULL,
            user_id BLOB NOT NULL REFERENCES users (id),
            bundle BLOB NOT NULL,
            added_at INTEGER NOT NULL,
            removed_at INTEGER,
            inbox_seq INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX devices_by_user ON devices (user_id, id);

        CREATE TABLE conversation_keys (
            conversation_id BLOB PRIMARY KEY NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            key_epoch INTEGER NOT NULL CHECK (key_epoch >= 0),
            required_epoch INTEGER NOT NULL CHECK (required_epoch >= 1)
        ) WITHOUT ROWID;

        CREATE TABLE key_envelopes (
            device_id BLOB NOT NULL REFERENCES devices (id),
            seq INTEGER NOT NULL,
            conversation_id BLOB NOT NULL,
            epoch INTEGER NOT NULL,
            sender_device BLOB NOT NULL,
            envelope BLOB NOT NULL,
            stored_at INTEGER NOT NULL,
            PRIMARY KEY (device_id, seq),
            UNIQUE (conversation_id, epoch, device_id)
        ) WITHOUT ROWID;
        """

    /// Thread reads: a thread's replies by keyset on `seq`, and each root's reply count and
    /// newest reply, from one index over the messages that are replies (partial: messages
    /// outside threads take no space in it).
    static let threads = """
        CREATE INDEX messages_by_thread_root ON messages (thread_root_id, seq) WHERE thread_root_id IS NOT NULL;
        """

    /// Each user's feed of changes to their conversation list: entries keyed by user and
    /// per-user `seq` (the next `seq` is the largest plus one, read from this key; writes are
    /// serialized). The payload is the entry's JSON. Also the users' settings (read-receipt
    /// privacy), and the index that answers a conversation's delivered positions from the
    /// acknowledgement cursors.
    static let userFeed = """
        CREATE TABLE user_feed (
            user_id BLOB NOT NULL REFERENCES users (id),
            seq INTEGER NOT NULL,
            conversation_id BLOB NOT NULL,
            occurred_at INTEGER NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (user_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE user_settings (
            user_id BLOB PRIMARY KEY NOT NULL REFERENCES users (id),
            hide_read_receipts INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE INDEX ack_cursors_by_conversation ON ack_cursors (conversation_id, user_id, acked_seq);
        """

    /// Moderation: slow mode per conversation (and each member's last post under it), mutes
    /// per member, bans per conversation, block lists per user, pinned messages.
    static let moderation = """
        ALTER TABLE conversations ADD COLUMN slow_mode_seconds INTEGER NOT NULL DEFAULT 0
            CHECK (slow_mode_seconds BETWEEN 0 AND 21600);
        ALTER TABLE members ADD COLUMN muted_until INTEGER;

        CREATE TABLE slow_mode_posts (
            conversation_id BLOB NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            user_id BLOB NOT NULL,
            last_post_at INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;

        CREATE TABLE conversation_bans (
            conversation_id BLOB NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            user_id BLOB NOT NULL,
            banned_by BLOB NOT NULL,
            reason TEXT,
            banned_at INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        ) WITHOUT ROWID;

        CREATE TABLE user_blocks (
            blocker_id BLOB NOT NULL,
            blocked_id BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (blocker_id, blocked_id)
        ) WITHOUT ROWID;

        CREATE TABLE pinned_messages (
            conversation_id BLOB NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            message_id BLOB NOT NULL,
            pinned_by BLOB NOT NULL,
            pinned_at INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, message_id)
        ) WITHOUT ROWID;
        CREATE INDEX pinned_messages_by_message ON pinned_messages (message_id);
        """

    /// Per-conversation retention policies: messages older than `retention_days` are
    /// tombstoned by the sweep, which resumes after `swept_seq`. Deleted with their conversation.
    /// And the deleted accounts, which nobody may add to a conversation any more.
    static let retention = """
        CREATE TABLE retention_policies (
            conversation_id BLOB PRIMARY KEY NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            retention_days INTEGER NOT NULL CHECK (retention_days BETWEEN 1 AND 36500),
            set_by BLOB NOT NULL,
            set_at INTEGER NOT NULL,
            swept_seq INTEGER NOT NULL DEFAULT 0 CHECK (swept_seq >= 0)
        ) WITHOUT ROWID;

        CREATE TABLE deleted_accounts (
            user_id BLOB PRIMARY KEY NOT NULL REFERENCES users (id),
            deleted_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """
}
