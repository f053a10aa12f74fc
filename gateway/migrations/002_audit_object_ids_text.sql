-- A list call reads many records: their ids do not fit in 1000 characters.
ALTER TABLE audit_log MODIFY object_ids TEXT NOT NULL;
