-- A proxied call is audited in two rows with one call_id: "begin", stored while the backend works,
-- and "end" with the result. Rows from before this migration are complete "end" rows.
ALTER TABLE audit_log
  ADD COLUMN call_id CHAR(26) NOT NULL DEFAULT '' AFTER id,
  ADD COLUMN phase ENUM('begin', 'end') NOT NULL DEFAULT 'end' AFTER call_id;
