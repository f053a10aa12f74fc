// Synthetic statushouders and werkplekken for benchmarks, deterministic from a seed and shaped
// like the seed documents (Rijswijk's intake figures); row i depends only on (seed, i), so any
// scale streams in constant memory and any slice can be regenerated on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "inburgering/v1/intake.pb.h"
#include "inburgering/v1/matching.pb.h"

namespace inburgering::bench {

// One gemeente of the data set: its CBS code and the box its home locations fall in.
struct SyntheticGemeente {
  std::string code;  // "GM0603"; gemeenten past the region get synthetic codes GM2000 and up
  std::string name;
  double lat_min, lat_max, lon_min, lon_max;
};

struct DatagenOptions {
  uint64_t seed = 1;
  int gemeenten = 3;             // 1..340; the first three are Rijswijk, Den Haag and Delft
  int64_t statushouders = 1000;  // up to 10,000,000 (BSNs are unique below that)
  int64_t werkplekken = 100;
  // Dates are drawn relative to this day, not to the clock, so the bytes do not age.
  std::string reference_date = "2026-11-01";
};

class SyntheticData {
 public:
  explicit SyntheticData(DatagenOptions options);

  const std::vector<SyntheticGemeente>& gemeenten() const { return gemeenten_; }

  // Statushouder `index` (0-based) with its gemeente set in statushouder.gemeente, a BSN unique
  // in the whole set, and a request_id "seed<seed>-sh<index>". Trajectory fields (brede intake
  // with the advised leerroute, language level) are filled too: RegisterStatushouder ignores
  // them, the CSV keeps them for LOAD DATA and report comparisons.
  v1::RegisterStatushouderRequest Statushouder(int64_t index) const;
  v1::RegisterWerkplekRequest Werkplek(int64_t index) const;

  // What happens to statushouder `index` after registration, for loading the trajectory through
  // intake's update RPCs (id and version are left for the caller: they come from the service).
  // Drawn from its own stream, so the registration rows do not change. Each step depends on the
  // one before (a PIP needs the brede intake, a meting here follows the PIP), so a step is set
  // only when the steps before it are.
  struct Trajectory {
    std::optional<v1::RecordBredeIntakeRequest> brede_intake;  // everyone: VOORINBURGERING too
    std::optional<v1::EstablishPipRequest> pip;  // ~85 % of those with a vestigingsdatum
    std::optional<v1::RecordLanguageLevelRequest> language_level;  // ~70 % of those with a PIP
    std::optional<v1::ChangePhaseRequest> phase;  // ~15 % of those with a PIP: a final phase
  };
  Trajectory TrajectoryOf(const v1::RegisterStatushouderRequest& registered, int64_t index) const;
  // Whether statushouder `index` is among a `fraction` of the rows given a trajectory: a draw of
  // its own, so the pick is the same on every run and independent of the rows' order.
  bool HasTrajectory(int64_t index, double fraction) const;

  // The same rows as flat CSV (header first), for LOAD DATA into a scratch table.
  static std::string StatushouderCsvHeader();
  static std::string StatushouderCsv(const v1::RegisterStatushouderRequest& request);

 private:
  DatagenOptions options_;
  std::vector<SyntheticGemeente> gemeenten_;
  int reference_day_;  // days since 1970-01-01
};

// The BSN of row `index`: 9 digits passing the 11-proef, distinct for distinct indexes below
// 10,000,000 under one seed.
std::string SyntheticBsn(uint64_t seed, int64_t index);

}  // namespace inburgering::bench
