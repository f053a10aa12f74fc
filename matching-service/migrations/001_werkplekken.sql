-- The regional register of talende werkplekken. The record is the serialized
-- inburgering.v1.Werkplek; the columns beside it exist for filters and capacity accounting.
CREATE TABLE IF NOT EXISTS werkplekken (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id CHAR(26) NOT NULL,
  region VARCHAR(64) NOT NULL,
  gemeente CHAR(6) NOT NULL,
  type TINYINT NOT NULL,
  occupation_isco CHAR(4) NOT NULL,
  min_language_level TINYINT NOT NULL,
  capacity INT NOT NULL,
  capacity_used INT NOT NULL DEFAULT 0,
  open_from DATE NOT NULL,
  open_until DATE NULL,
  version BIGINT NOT NULL,
  record MEDIUMBLOB NOT NULL,
  PRIMARY KEY (seq),
  UNIQUE KEY werkplekken_id (id),
  KEY werkplekken_region (region, seq)
) ENGINE=InnoDB;
