// datagen: synthetic statushouders or werkplekken for the benchmarks, as JSON lines of the
// register requests (what load_region and loadgen send) or CSV (for LOAD DATA comparisons).
// Deterministic from --seed; streams, so --statushouders 1000000 needs no memory to speak of.
//
//   bench/datagen --gemeenten 3 --statushouders 10000 > region.jsonl
//   bench/datagen --kind werkplekken --werkplekken 100000 --gemeenten 340 > werkplekken.jsonl
//   bench/datagen --format csv --statushouders 1000000 --gemeenten 340 > national.csv
//   bench/datagen --format bsn --statushouders 200000 > bsns.txt   # ids for loadgen's {{id}}
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "bench/datagen/synthetic.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(uint64_t, seed, 1, "seed: the same seed gives the same bytes");
ABSL_FLAG(std::string, kind, "statushouders", "statushouders or werkplekken");
ABSL_FLAG(std::string, format, "json", "json (request per line), csv, or bsn (one per line)");
ABSL_FLAG(int, gemeenten, 3, "1..340; the first three are Rijswijk, Den Haag and Delft");
ABSL_FLAG(int64_t, statushouders, 1000, "rows for --kind statushouders (up to 10,000,000)");
ABSL_FLAG(int64_t, werkplekken, 100, "rows for --kind werkplekken");
ABSL_FLAG(int64_t, first, 0, "index of the first row (a slice of a larger set)");
ABSL_FLAG(std::string, reference_date, "2026-11-01", "the day dates are drawn around");

int main(int argc, char** argv) {
  using namespace inburgering;
  absl::SetProgramUsageMessage("synthetic statushouders/werkplekken as JSON lines or CSV");
  absl::ParseCommandLine(argc, argv);
  bench::DatagenOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.gemeenten = absl::GetFlag(FLAGS_gemeenten);
  options.statushouders = absl::GetFlag(FLAGS_statushouders);
  options.werkplekken = absl::GetFlag(FLAGS_werkplekken);
  options.reference_date = absl::GetFlag(FLAGS_reference_date);
  const std::string kind = absl::GetFlag(FLAGS_kind);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (options.gemeenten < 1 || options.gemeenten > 340) {
    std::cerr << "datagen: --gemeenten must be 1..340\n";
    return 2;
  }
  if (options.statushouders < 0 || options.statushouders > 10'000'000) {
    std::cerr << "datagen: --statushouders must be 0..10000000 (BSNs are unique below that)\n";
    return 2;
  }
  if (kind != "statushouders" && kind != "werkplekken") {
    std::cerr << "datagen: --kind must be statushouders or werkplekken\n";
    return 2;
  }
  if (format != "json" && format != "csv" && format != "bsn") {
    std::cerr << "datagen: --format must be json, csv or bsn\n";
    return 2;
  }
  if (kind == "werkplekken" && format != "json") {
    std::cerr << "datagen: werkplekken come as json only\n";
    return 2;
  }
  bench::SyntheticData data(options);
  std::ios::sync_with_stdio(false);
  const int64_t first = absl::GetFlag(FLAGS_first);
  const int64_t count = kind == "werkplekken" ? options.werkplekken : options.statushouders;
  std::string line;
  if (format == "csv") std::cout << bench::SyntheticData::StatushouderCsvHeader() << '\n';
  for (int64_t i = first; i < first + count; ++i) {
    line.clear();
    if (kind == "werkplekken") {
      (void)google::protobuf::util::MessageToJsonString(data.Werkplek(i), &line);
    } else if (format == "bsn") {
      line = bench::SyntheticBsn(options.seed, i);
    } else if (format == "csv") {
      line = bench::SyntheticData::StatushouderCsv(data.Statushouder(i));
    } else {
      (void)google::protobuf::util::MessageToJsonString(data.Statushouder(i), &line);
    }
    std::cout << line << '\n';
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}
