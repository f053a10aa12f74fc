-- Statushouders of every gemeente, one row each. The record is kept as the serialized
-- inburgering.v1.Statushouder; the columns beside it exist for uniqueness, tenancy and filters.
CREATE TABLE IF NOT EXISTS statushouders (
  seq BIGINT NOT NULL AUTO_INCREMENT,
  id CHAR(26) NOT NULL,
  gemeente CHAR(6) NOT NULL,
  bsn CHAR(9) NOT NULL,
  phase TINYINT NOT NULL,
  type TINYINT NOT NULL,
  leerroute TINYINT NOT NULL DEFAULT 0,
  bijstand BOOLEAN NOT NULL DEFAULT FALSE,
  pip_due_date DATE NULL,
  has_pip BOOLEAN NOT NULL DEFAULT FALSE,
  version BIGINT NOT NULL,
  record MEDIUMBLOB NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (seq),
  UNIQUE KEY statushouders_id (id),
  UNIQUE KEY statushouders_bsn (gemeente, bsn),
  KEY statushouders_list (gemeente, seq),
  KEY statushouders_phase (gemeente, phase, seq),
  KEY statushouders_pip (gemeente, has_pip, pip_due_date)
) ENGINE=InnoDB;

-- Idempotency keys of create calls: a replay returns the first result.
CREATE TABLE IF NOT EXISTS create_requests (
  gemeente CHAR(6) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  request_hash BINARY(32) NOT NULL,
  statushouder_id CHAR(26) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (gemeente, request_id)
) ENGINE=InnoDB;
