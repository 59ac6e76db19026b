-- dotm schema 3: a hook's callbacks are signed with the secret that registered it. A tenant rotating
-- its secrets (a new first secret, the old one kept while portals move over) must not break the
-- receivers of the portal that still uses the old one. The secret itself is not copied here: a
-- SHA-256 fingerprint picks it among the tenant's secrets; once that secret is removed, callbacks
-- are signed with the tenant's first secret. NULL (hooks from before) means the first secret.
ALTER TABLE hooks ADD COLUMN secret_fingerprint TEXT;
