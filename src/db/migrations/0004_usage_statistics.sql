-- dotm schema 4: usage statistics (issue 5). Portable like schema 1: the same file runs on SQLite and
-- PostgreSQL. Portal meetings and their attendance are already history (schema 1); this adds what the
-- statistics need besides them.

-- Node load, one row per node and sampling bucket. Every controller samples the shared cluster state
-- (cluster mode runs several): the bucket is taken from the node's own report time, so controllers
-- reading the same report compute the same key and the first insert wins (ON CONFLICT DO NOTHING).
-- Values are integers because both engines must store the same thing (src/db/Database.ts).
CREATE TABLE node_samples (
  node_id TEXT NOT NULL,
  bucket_start BIGINT NOT NULL, -- floor(sampled_at / interval) * interval
  sampled_at BIGINT NOT NULL, -- the report's reportedAt (the node's clock)
  region TEXT NOT NULL,
  cpu_permille INTEGER NOT NULL, -- share of the node's CPU in use, 0..1000
  memory_bytes BIGINT NOT NULL,
  bitrate_in_bps BIGINT NOT NULL,
  bitrate_out_bps BIGINT NOT NULL,
  packets_in_per_second BIGINT NOT NULL,
  packets_out_per_second BIGINT NOT NULL,
  otms INTEGER NOT NULL,
  subscribers INTEGER NOT NULL,
  PRIMARY KEY (node_id, bucket_start)
);
CREATE INDEX node_samples_time ON node_samples (sampled_at);

-- Each node's samples summed per hour, made once the hour is over. Reports with steps of an hour or
-- more read these instead of aggregating every sample (a month of 10 s samples of 10 nodes is 2.6
-- million rows), and they are kept longer than the samples. Any controller may make an hour: it is
-- derived from the same samples, and the first insert wins.
CREATE TABLE node_load_hours (
  node_id TEXT NOT NULL,
  hour_start BIGINT NOT NULL,
  region TEXT NOT NULL,
  samples INTEGER NOT NULL,
  cpu_permille_sum BIGINT NOT NULL,
  cpu_permille_max INTEGER NOT NULL,
  memory_bytes_sum BIGINT NOT NULL,
  bitrate_in_bps_sum BIGINT NOT NULL,
  bitrate_out_bps_sum BIGINT NOT NULL,
  otms_sum BIGINT NOT NULL,
  subscribers_sum BIGINT NOT NULL,
  PRIMARY KEY (node_id, hour_start)
);
CREATE INDEX node_load_hours_time ON node_load_hours (hour_start);

-- Rooms that are not portal meetings (the meeting page's /r/<room>, the WHIP API): a portal meeting
-- has its history in meetings/attendance, these rooms would otherwise leave none. One open session per
-- room name; ON CONFLICT on the partial index makes opening idempotent across controllers.
CREATE TABLE room_sessions (
  id TEXT PRIMARY KEY,
  room TEXT NOT NULL,
  opened_at BIGINT NOT NULL, -- the first participant came in
  closed_at BIGINT,
  close_reason TEXT,
  peak_users INTEGER NOT NULL DEFAULT 0,
  -- The room's home controller last saw it alive (a join, a leave, or its sampler). A session still
  -- open long after that lost its controller without a close (a crash): it is closed at this time.
  last_seen_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX room_sessions_one_open ON room_sessions (room) WHERE closed_at IS NULL;
CREATE INDEX room_sessions_opened ON room_sessions (opened_at);
CREATE INDEX room_sessions_open_seen ON room_sessions (last_seen_at) WHERE closed_at IS NULL;

-- Who was in such a room and when (attendance's counterpart, without portal identities).
CREATE TABLE room_attendance (
  session_id TEXT NOT NULL REFERENCES room_sessions (id) ON DELETE CASCADE,
  participant_id TEXT NOT NULL,
  joined_at BIGINT NOT NULL,
  left_at BIGINT,
  leave_reason TEXT,
  PRIMARY KEY (session_id, participant_id)
);
CREATE INDEX room_attendance_joined ON room_attendance (joined_at);

-- Which media nodes carried a meeting's streams, and when they were first and last seen doing so
-- (sampled from the home controller's rooms). session_id is meetings.id for a portal meeting and
-- room_sessions.id otherwise; no foreign key, since it points into either table.
CREATE TABLE room_nodes (
  session_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, node_id)
);
CREATE INDEX room_nodes_node ON room_nodes (node_id, last_seen_at);

-- The reports select meetings and stays by time over the whole network (src/stats/StatsReports.ts);
-- the tenant-scoped indexes of schema 1 do not serve those.
CREATE INDEX meetings_started ON meetings (started_at);
CREATE INDEX attendance_joined ON attendance (joined_at);
