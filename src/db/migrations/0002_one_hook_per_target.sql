-- dotm schema 2: a tenant has one hook per callback URL and meeting (BBB answers a second create with
-- a duplicateWarning). HookRepository checked for one inside its transaction, which suffices when
-- transactions run one at a time (SQLite) but not when two controllers run them side by side
-- (PostgreSQL, read committed): both found none and both inserted. The index decides instead; the
-- loser retries and finds the winner's hook. COALESCE makes tenant-wide hooks (no meeting) collide too.
CREATE UNIQUE INDEX hooks_one_per_target ON hooks (tenant_id, callback_url, COALESCE(meeting_id, ''));
