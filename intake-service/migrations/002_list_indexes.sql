-- Indexes for the filters of ListStatushouders: each one starts with the tenant and ends with the
-- paging key (seq), so a filtered page is a range scan in seq order that stops at the page size.
-- (phase and PIP overdue have theirs in 001.)
CREATE INDEX IF NOT EXISTS statushouders_leerroute ON statushouders (gemeente, leerroute, seq);
CREATE INDEX IF NOT EXISTS statushouders_type ON statushouders (gemeente, type, seq);
CREATE INDEX IF NOT EXISTS statushouders_bijstand ON statushouders (gemeente, bijstand, seq);
