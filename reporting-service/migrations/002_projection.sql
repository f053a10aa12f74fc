-- The reporting projection (reporting-service/projection.h): per-record state and the aggregate
-- counters it maintains, plus the same tables with prefix recount_ for the recount check.
-- keys_text holds the aggregate keys the record currently contributes ("month|dimension|value"
-- lines), so a change is applied as old keys -1, new keys +1.

CREATE TABLE IF NOT EXISTS persons (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  gemeente CHAR(6) NOT NULL,
  record LONGBLOB NULL,
  keys_text TEXT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS placements (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  gemeente CHAR(6) NOT NULL,
  statushouder_id VARCHAR(64) NOT NULL,
  werkplek_id VARCHAR(64) NOT NULL,
  record LONGBLOB NOT NULL,
  keys_text TEXT NOT NULL,
  KEY placements_statushouder (statushouder_id),
  KEY placements_werkplek (werkplek_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS werkplekken (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  record LONGBLOB NOT NULL
) ENGINE=InnoDB;

-- One counter per gemeente x month x dimension x value; a report sums a range of months.
CREATE TABLE IF NOT EXISTS aggregates (
  gemeente CHAR(6) NOT NULL,
  month CHAR(7) NOT NULL,
  dimension VARCHAR(48) NOT NULL,
  value VARCHAR(48) NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (gemeente, month, dimension, value)
) ENGINE=InnoDB;

-- Time of the newest applied event per stream (Report.as_of).
CREATE TABLE IF NOT EXISTS stream_heads (
  stream VARCHAR(100) NOT NULL PRIMARY KEY,
  occur_time BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS recount_persons LIKE persons;
CREATE TABLE IF NOT EXISTS recount_placements LIKE placements;
CREATE TABLE IF NOT EXISTS recount_werkplekken LIKE werkplekken;
CREATE TABLE IF NOT EXISTS recount_aggregates LIKE aggregates;
CREATE TABLE IF NOT EXISTS recount_stream_heads LIKE stream_heads;
