-- The exact-median histograms (dimensions dagen_*): one row per gemeente x bucket x dimension
-- holding the whole day -> count map ("days:count" pairs, comma separated), instead of one
-- aggregates row per number of days, so a report reads a handful of rows per bucket.
CREATE TABLE IF NOT EXISTS histograms (
  ledger TINYINT NOT NULL,
  gemeente CHAR(6) NOT NULL,
  month CHAR(7) NOT NULL,
  dimension VARCHAR(48) NOT NULL,
  data LONGBLOB NOT NULL,
  PRIMARY KEY (ledger, gemeente, month, dimension)
) ENGINE=InnoDB;
