-- dotm schema 1. Portable on purpose: the same file runs on the embedded SQLite (node:sqlite) and on
-- PostgreSQL 15, so a single machine and a cluster hold the same tables.
-- Conventions: ids are TEXT made by the application (no AUTOINCREMENT or SERIAL); times are BIGINT
-- milliseconds since the epoch; booleans are INTEGER 0/1; open-ended settings are TEXT holding JSON.

-- Institutions. A tenant is chosen by the request's hostname or by which of its secrets signed the
-- call, so hostnames and secrets are unique across tenants (their own tables, keyed by value).
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  region TEXT NOT NULL DEFAULT '',
  -- JSON: default and override create/join parameters, theme, logout URL (src/db/TenantRepository.ts)
  settings TEXT NOT NULL DEFAULT '{}',
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tenants_name ON tenants (name);
CREATE UNIQUE INDEX tenants_single_default ON tenants (is_default) WHERE is_default = 1;

CREATE TABLE tenant_hostnames (
  hostname TEXT PRIMARY KEY, -- lower case, without port
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX tenant_hostnames_tenant ON tenant_hostnames (tenant_id);

CREATE TABLE tenant_secrets (
  secret TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  position INTEGER NOT NULL, -- the tenant's first secret is the one `dotm secret` prints
  created_at BIGINT NOT NULL
);
CREATE INDEX tenant_secrets_tenant ON tenant_secrets (tenant_id);

-- One row per meeting instance (BBB's create). A portal's meetingID may be reused after the meeting
-- ended, but only one instance per tenant and meetingID is active at a time.
CREATE TABLE meetings (
  id TEXT PRIMARY KEY, -- BBB's internalMeetingID
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  external_id TEXT NOT NULL, -- the portal's meetingID
  room TEXT NOT NULL, -- the dotm room the meeting runs in
  name TEXT NOT NULL,
  attendee_pw TEXT NOT NULL,
  moderator_pw TEXT NOT NULL,
  record INTEGER NOT NULL DEFAULT 0,
  duration_minutes INTEGER NOT NULL DEFAULT 0,
  max_participants INTEGER NOT NULL DEFAULT 0,
  create_params TEXT NOT NULL DEFAULT '{}', -- JSON: the effective create parameters
  metadata TEXT NOT NULL DEFAULT '{}', -- JSON: the meta_* parameters, names in lower case
  created_at BIGINT NOT NULL,
  started_at BIGINT, -- the first participant came in
  ended_at BIGINT,
  end_reason TEXT, -- 'api' (the end call), 'empty', 'expired' (nobody came), 'duration', 'failed'
  peak_users INTEGER NOT NULL DEFAULT 0 -- most participants at the same time
);
CREATE UNIQUE INDEX meetings_one_active ON meetings (tenant_id, external_id) WHERE ended_at IS NULL;
CREATE INDEX meetings_open ON meetings (created_at) WHERE ended_at IS NULL;
CREATE INDEX meetings_tenant_created ON meetings (tenant_id, created_at);
CREATE INDEX meetings_tenant_external ON meetings (tenant_id, external_id, created_at);
CREATE INDEX meetings_room ON meetings (room);

-- Who was in a meeting and when: one row per participant session.
CREATE TABLE attendance (
  id TEXT PRIMARY KEY,
  meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  participant_id TEXT NOT NULL, -- dotm's participant id
  user_id TEXT NOT NULL, -- the portal's userID
  full_name TEXT NOT NULL,
  role TEXT NOT NULL, -- 'moderator' | 'viewer'
  joined_at BIGINT NOT NULL,
  left_at BIGINT,
  leave_reason TEXT
);
CREATE INDEX attendance_meeting ON attendance (meeting_id, joined_at);
CREATE INDEX attendance_tenant_joined ON attendance (tenant_id, joined_at);
CREATE INDEX attendance_participant ON attendance (participant_id);

-- Webhook subscriptions (BBB's hooks/create). hookID is a number in BBB's API, counted per tenant.
CREATE TABLE hooks (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  hook_id INTEGER NOT NULL,
  callback_url TEXT NOT NULL,
  meeting_id TEXT, -- a portal meetingID, or NULL for every meeting of the tenant
  event_ids TEXT, -- comma-separated event ids, or NULL for every event
  get_raw INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, hook_id)
);

-- Recordings belong to the tenant, not to the node that made them (the Mconf paper, section 3.5).
CREATE TABLE recordings (
  record_id TEXT PRIMARY KEY, -- the meeting's internal id, as in BBB
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  meeting_id TEXT NOT NULL, -- meetings.id; no foreign key, so meeting history can be pruned first
  external_meeting_id TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL, -- 'processing' | 'processed' | 'published' | 'unpublished' | 'deleted'
  published INTEGER NOT NULL DEFAULT 0,
  start_time BIGINT NOT NULL,
  end_time BIGINT NOT NULL,
  participants INTEGER NOT NULL DEFAULT 0,
  size_bytes BIGINT NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL DEFAULT '{}',
  playback TEXT NOT NULL DEFAULT '[]', -- JSON: [{ type, url, processingTimeMs, lengthMinutes }]
  storage_path TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX recordings_tenant_meeting ON recordings (tenant_id, external_meeting_id);
CREATE INDEX recordings_tenant_start ON recordings (tenant_id, start_time);
