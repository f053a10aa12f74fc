-- The transactional outbox and consumer cursors every service keeps in its own schema
-- (common/outbox.h, common/event_consumer.h). Versions from 1000 up belong to common/.

-- Writers insert with sequence NULL in their own transaction; the sequencer numbers committed
-- rows afterwards, so sequences are gap-free and in commit order.
CREATE TABLE IF NOT EXISTS outbox (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sequence BIGINT NULL,
  aggregate_id VARCHAR(64) NOT NULL,
  gemeente CHAR(6) NOT NULL,
  payload LONGBLOB NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY outbox_sequence (sequence)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS outbox_head (
  id TINYINT NOT NULL PRIMARY KEY,
  last_sequence BIGINT NOT NULL
) ENGINE=InnoDB;

INSERT IGNORE INTO outbox_head (id, last_sequence) VALUES (1, 0);

-- Where this service is in each stream it consumes; updated in the transaction that applies.
CREATE TABLE IF NOT EXISTS consumer_cursors (
  stream VARCHAR(100) NOT NULL PRIMARY KEY,
  last_sequence BIGINT NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
