-- The reporting projection (reporting-service/projection.h): per-record state and the aggregate
-- counters it maintains. Every table has a ledger column: 0 holds the maintained figures, 1 the
-- recount's rebuild from the streams (so the two can be compared with fixed SQL text).
-- keys_text holds the aggregate keys the record currently contributes ("month|dimension|value"
-- lines), so a change is applied as old keys -1, new keys +1.

CREATE TABLE IF NOT EXISTS persons (
  ledger TINYINT NOT NULL,
  id VARCHAR(64) NOT NULL,
  gemeente CHAR(6) NOT NULL,
  record LONGBLOB NULL,
  keys_text TEXT NOT NULL,
  PRIMARY KEY (ledger, id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS placements (
  ledger TINYINT NOT NULL,
  id VARCHAR(64) NOT NULL,
  gemeente CHAR(6) NOT NULL,
  statushouder_id VARCHAR(64) NOT NULL,
  werkplek_id VARCHAR(64) NOT NULL,
  record LONGBLOB NOT NULL,
  keys_text TEXT NOT NULL,
  PRIMARY KEY (ledger, id),
  KEY placements_statushouder (ledger, statushouder_id),
  KEY placements_werkplek (ledger, werkplek_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS werkplekken (
  ledger TINYINT NOT NULL,
  id VARCHAR(64) NOT NULL,
  record LONGBLOB NOT NULL,
  PRIMARY KEY (ledger, id)
) ENGINE=InnoDB;

-- One counter per gemeente x month x dimension x value; a report sums a range of months.
CREATE TABLE IF NOT EXISTS aggregates (
  ledger TINYINT NOT NULL,
  gemeente CHAR(6) NOT NULL,
  month CHAR(7) NOT NULL,
  dimension VARCHAR(48) NOT NULL,
  value VARCHAR(48) NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (ledger, gemeente, month, dimension, value)
) ENGINE=InnoDB;

-- Time of the newest applied event per stream, in microseconds since the epoch (Report.as_of).
CREATE TABLE IF NOT EXISTS stream_heads (
  ledger TINYINT NOT NULL,
  stream VARCHAR(100) NOT NULL,
  occur_time BIGINT NOT NULL,
  PRIMARY KEY (ledger, stream)
) ENGINE=InnoDB;
