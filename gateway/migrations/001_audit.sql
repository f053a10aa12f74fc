-- Append-only audit log (BIO 8.15.01): one row per call that reads or writes personal data.
-- Never the payload.
CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  occurred_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  action VARCHAR(200) NOT NULL,
  object_ids VARCHAR(1000) NOT NULL,
  result VARCHAR(32) NOT NULL,
  origin VARCHAR(200) NOT NULL,
  actor_gemeente CHAR(6) NOT NULL,
  actor_role VARCHAR(20) NOT NULL,
  actor_subject VARCHAR(200) NOT NULL,
  KEY audit_log_actor (actor_gemeente, occurred_at)
) ENGINE=InnoDB;
