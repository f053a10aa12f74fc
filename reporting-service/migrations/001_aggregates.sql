-- Aggregates of the reporting service are added by the reporting issue; the consumer cursors of
-- the intake and matching streams live in consumer_cursors (common migrations).
CREATE TABLE IF NOT EXISTS report_meta (
  id TINYINT NOT NULL PRIMARY KEY,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
