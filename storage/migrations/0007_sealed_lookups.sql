-- Personal data is sealed (encrypted) at rest from this version on; see storage/sealed.py.
-- Staff still find an application by the contact's mobile number or by the unified social
-- credit code through a keyed hash of each (HMAC-SHA256 under a key derived from
-- HVCONNECT_SECRET_KEY), kept beside the sealed value. Rows written before this version are
-- sealed and hashed by the bot at start-up, in batches.

ALTER TABLE applications ADD COLUMN contact_mobile_hash TEXT;
ALTER TABLE applications ADD COLUMN uscc_hash TEXT;
CREATE INDEX applications_by_mobile_hash ON applications (contact_mobile_hash);
CREATE INDEX applications_by_uscc_hash ON applications (uscc_hash);
