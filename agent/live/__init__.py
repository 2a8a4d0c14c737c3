"""Live Redis: URL and connection, the command allowlist, sampling and inspection, the ACL line."""
