-- Live resources per tenant and type, kept by triggers in the same transaction as every write,
-- so an unfiltered list (and every page of a cursor walk) reads its totalResults in O(1).
CREATE TABLE resource_counts (
    tenant_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    live INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, type)
) WITHOUT ROWID, STRICT;

INSERT INTO resource_counts (tenant_id, type, live)
    SELECT tenant_id, type, count(*) FROM resources WHERE deleted_ms IS NULL
    GROUP BY tenant_id, type;

CREATE TRIGGER resource_counts_insert AFTER INSERT ON resources
WHEN NEW.deleted_ms IS NULL
BEGIN
    INSERT INTO resource_counts (tenant_id, type, live) VALUES (NEW.tenant_id, NEW.type, 1)
        ON CONFLICT (tenant_id, type) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER resource_counts_tombstone AFTER UPDATE OF deleted_ms ON resources
WHEN OLD.deleted_ms IS NULL AND NEW.deleted_ms IS NOT NULL
BEGIN
    UPDATE resource_counts SET live = live - 1
        WHERE tenant_id = NEW.tenant_id AND type = NEW.type;
END;

CREATE TRIGGER resource_counts_delete AFTER DELETE ON resources
WHEN OLD.deleted_ms IS NULL
BEGIN
    UPDATE resource_counts SET live = live - 1
        WHERE tenant_id = OLD.tenant_id AND type = OLD.type;
END;
