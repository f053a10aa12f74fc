-- Idempotency keys of RegisterWerkplek: a replay returns the first result.
CREATE TABLE IF NOT EXISTS werkplek_requests (
  region VARCHAR(64) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  request_hash BINARY(32) NOT NULL,
  werkplek_id CHAR(26) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (region, request_id)
) ENGINE=InnoDB;

-- Candidate profiles taken from intake-service's event stream (serialized
-- inburgering.v1.KandidaatProfiel: no BSN, names, birth date or address).
CREATE TABLE IF NOT EXISTS kandidaten (
  id VARCHAR(64) NOT NULL,
  gemeente CHAR(6) NOT NULL,
  version BIGINT NOT NULL,
  record BLOB NOT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (id),
  KEY kandidaten_gemeente (gemeente)
) ENGINE=InnoDB;

-- Placements of candidates on werkplekken (serialized inburgering.v1.Placement).
CREATE TABLE IF NOT EXISTS placements (
  id CHAR(26) NOT NULL,
  statushouder_id VARCHAR(64) NOT NULL,
  werkplek_id CHAR(26) NOT NULL,
  gemeente CHAR(6) NOT NULL,
  region VARCHAR(64) NOT NULL,
  status TINYINT NOT NULL,
  version BIGINT NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (id),
  KEY placements_statushouder (statushouder_id, status),
  KEY placements_werkplek (werkplek_id)
) ENGINE=InnoDB;

-- Idempotency keys of CreatePlacement, per calling gemeente.
CREATE TABLE IF NOT EXISTS placement_requests (
  gemeente CHAR(6) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  request_hash BINARY(32) NOT NULL,
  placement_id CHAR(26) NOT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (gemeente, request_id)
) ENGINE=InnoDB;
