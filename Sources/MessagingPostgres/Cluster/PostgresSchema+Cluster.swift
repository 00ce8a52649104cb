extension PostgresSchema {
    /// What several nodes share beyond the store: presence (node leases, device entries,
    /// user records), login throttling counts and rate-limit windows.
    static let cluster = """
        CREATE TABLE presence_nodes (
            node_id text PRIMARY KEY,
            expires_at bigint NOT NULL
        );
        CREATE INDEX presence_nodes_by_expiry ON presence_nodes (expires_at);
        CREATE TABLE presence_devices (
            user_id uuid NOT NULL,
            device_id uuid NOT NULL,
            node_id text NOT NULL,
            activity text NOT NULL CHECK (activity IN ('active', 'idle')),
            connected_at bigint NOT NULL,
            PRIMARY KEY (user_id, device_id)
        );
        CREATE INDEX presence_devices_by_node ON presence_devices (node_id);
        CREATE TABLE presence_records (
            user_id uuid PRIMARY KEY,
            last_seen bigint,
            status_text text
        );
        CREATE TABLE login_throttle (
            key text PRIMARY KEY,
            failures integer NOT NULL,
            last_failure bigint NOT NULL
        );
        CREATE INDEX login_throttle_by_time ON login_throttle (last_failure);
        CREATE TABLE rate_windows (
            key text NOT NULL,
            window_start bigint NOT NULL,
            count bigint NOT NULL,
            PRIMARY KEY (key, window_start)
        );
        CREATE INDEX rate_windows_by_start ON rate_windows (window_start)
        """
}
