-- 006_audit_resource_buckets — the audit log's index by resource, keyed by the row's bucket first.
-- Runs once, inside one transaction, from store_sqlite.c; schema_migrations records it.
--
-- The index of 003 was keyed (tenant_id, resource_id): every GET of a random user put its audit
-- row's entry on a random page of that index, so a batch of 1,024 read rows rewrote about 1,024
-- pages (and the WAL and the checkpoint copied them). Keyed by bucket (the row id without its
-- low 12 bits, 4,096 consecutive rows) and then resource_id, new entries land in the newest
-- bucket's few dozen pages. A search by resource seeks once per bucket (store_sqlite_audit.c);
-- the tenant is checked on the row.
DROP INDEX audit_by_resource;
CREATE INDEX audit_by_resource_bucket ON audit(id >> 12, resource_id) WHERE resource_id IS NOT NULL;
