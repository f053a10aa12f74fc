// intake_import_bench: drives ImportStatushouders (client streaming, which loadgen does not do)
// with generated rows, and writes the same rows as MariaDB would store them to a TSV file for the
// LOAD DATA baseline (bench/scripts/intake_import.sh).
//
// Prints one JSON line: rows, seconds, rows_per_s and the per-outcome counts. The rows are built
// before the clock starts, so the figure is the server's (and the wire's), not the generator's.
//
// --datagen_gemeenten N imports datagen's statushouders instead (bench/datagen, --seed, rows
// 0..--rows-1 over N gemeenten), each gemeente's rows as its consulent in calls of at most
// --rows_per_call rows: one call's answer (a result per row) passes gRPC's 4 MB default message
// limit above ~100,000 rows. --ids_out gets "gemeente id index" per imported row, the input of
// load_region --kind trajectories. Then "seconds" is the time inside the calls (rows are built
// per call, between them) and "wall_seconds" the whole.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bench/datagen/synthetic.h"
#include "common/ids.h"
#include "common/principal.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "intake-service/trajectory.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50061", "intake-service address (plaintext, loopback)");
ABSL_FLAG(std::string, gemeente, "GM0603", "the importing gemeente");
ABSL_FLAG(int, rows, 50000, "rows to import");
ABSL_FLAG(int, batch, 5000, "rows per request message (at most 5,000)");
ABSL_FLAG(int, first, 0, "index of the first generated statushouder (BSNs follow from it)");
ABSL_FLAG(std::string, tsv, "", "also write the rows, as stored, to this TSV file for LOAD DATA");
ABSL_FLAG(int, datagen_gemeenten, 0,
          "import datagen's statushouders over this many gemeenten (0: the fixed rows above)");
ABSL_FLAG(uint64_t, seed, 1, "datagen's seed (with --datagen_gemeenten)");
ABSL_FLAG(int, rows_per_call, 100000,
          "with --datagen_gemeenten: rows per ImportStatushouders call");
ABSL_FLAG(std::string, ids_out, "", "with --datagen_gemeenten: 'gemeente id index' per row");

namespace inburgering {
namespace {

// The n-th BSN of a series that passes the 11-proef (the same series as the integration tests).
std::string Bsn(int n) {
  for (int base = 10000000 + n * 11;; ++base) {
    const std::string head = std::to_string(base);
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (9 - i) * (head[i] - '0');
    if (sum % 11 < 10) return head + std::to_string(sum % 11);
  }
}

v1::Statushouder Row(int n) {
  static const char* kCountries[] = {"SY", "ER", "TR", "AF", "UA", "YE"};
  v1::Statushouder s;
  s.set_bsn(Bsn(n));
  s.set_given_names("Rami");
  s.set_family_name(absl::StrCat("Nasser", n % 97));
  s.set_birth_date(absl::StrCat(1960 + n % 45, "-0", 1 + n % 9, "-1", n % 10));
  s.set_gender(n % 2 ? v1::GENDER_MAN : v1::GENDER_VROUW);
  s.set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
  s.set_country_of_origin(kCountries[n % 6]);
  if (n % 4 != 0) s.set_vestigingsdatum(absl::StrCat("2026-0", 1 + n % 9, "-0", 1 + n % 9));
  s.set_prior_occupation_isco("7115");
  s.add_work_wishes_isco("71");
  s.mutable_uitkering()->set_bijstand(n % 3 == 0);
  return s;
}

// One ImportStatushouders call as `gemeente`'s consulent; false (and a message) if it failed.
bool Import(v1::IntakeService::Stub& stub, const std::string& gemeente,
            const std::vector<v1::ImportStatushoudersRequest>& batches,
            v1::ImportStatushoudersResponse& response) {
  grpc::ClientContext context;
  AttachPrincipal(Principal{gemeente, Role::kConsulent, "bench"}, context);
  auto writer = stub.ImportStatushouders(&context, &response);
  for (const auto& batch : batches) {
    if (!writer->Write(batch)) break;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) {
    std::fprintf(stderr, "import failed: %d %s\n", status.error_code(),
                 status.error_message().c_str());
  }
  return status.ok();
}

// Datagen's rows 0..rows-1, per gemeente in calls of at most rows_per_call rows; row_number is the
// datagen index + 1, so that each result names its row.
int ImportDatagen(v1::IntakeService::Stub& stub) {
  bench::DatagenOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.gemeenten = absl::GetFlag(FLAGS_datagen_gemeenten);
  const bench::SyntheticData data(options);
  const int64_t rows = absl::GetFlag(FLAGS_rows);
  const int64_t per_call = std::max(1, absl::GetFlag(FLAGS_rows_per_call));
  const int batch_size = absl::GetFlag(FLAGS_batch);
  const int64_t gemeenten = static_cast<int64_t>(data.gemeenten().size());
  std::ofstream ids;
  if (const std::string path = absl::GetFlag(FLAGS_ids_out); !path.empty()) ids.open(path);
  int64_t created = 0, updated = 0, unchanged = 0, rejected = 0, calls = 0;
  double in_calls = 0;
  const auto wall = std::chrono::steady_clock::now();
  for (int64_t g = 0; g < gemeenten; ++g) {
    const std::string& gemeente = data.gemeenten()[static_cast<size_t>(g)].code;
    // Row i belongs to gemeente i % gemeenten (SyntheticData::Statushouder).
    for (int64_t from = g; from < rows;) {
      std::vector<v1::ImportStatushoudersRequest> batches;
      int64_t n = 0;
      for (; from < rows && n < per_call; from += gemeenten, ++n) {
        if (n % batch_size == 0) batches.emplace_back();
        v1::ImportRow* row = batches.back().add_rows();
        row->set_row_number(from + 1);
        *row->mutable_statushouder() = data.Statushouder(from).statushouder();
      }
      v1::ImportStatushoudersResponse response;
      const auto start = std::chrono::steady_clock::now();
      if (!Import(stub, gemeente, batches, response)) return 1;
      in_calls += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++calls;
      created += response.created();
      updated += response.updated();
      unchanged += response.unchanged();
      rejected += response.rejected();
      for (const v1::ImportRowResult& r : response.results()) {
        if (r.outcome() == v1::ImportRowResult::REJECTED) {
          // The field and rule only: the reason never holds the row's values.
          std::fprintf(stderr, "row %lld rejected: %s %s\n",
                       static_cast<long long>(r.row_number() - 1), r.field().c_str(),
                       r.reason().c_str());
        } else if (ids.is_open()) {
          ids << gemeente << ' ' << r.statushouder_id() << ' ' << r.row_number() - 1 << '\n';
        }
      }
    }
  }
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  std::printf(
      "{\"rows\":%lld,\"calls\":%lld,\"seconds\":%.3f,\"wall_seconds\":%.3f,"
      "\"rows_per_s\":%.0f,\"created\":%lld,\"updated\":%lld,\"unchanged\":%lld,"
      "\"rejected\":%lld}\n",
      static_cast<long long>(rows), static_cast<long long>(calls), in_calls, wall_seconds,
      static_cast<double>(rows) / in_calls, static_cast<long long>(created),
      static_cast<long long>(updated), static_cast<long long>(unchanged),
      static_cast<long long>(rejected));
  return rejected == 0 ? 0 : 3;
}

int Main() {
  if (absl::GetFlag(FLAGS_datagen_gemeenten) > 0) {
    auto stub = v1::IntakeService::NewStub(
        grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
    return ImportDatagen(*stub);
  }
  const int rows = absl::GetFlag(FLAGS_rows);
  const int batch_size = absl::GetFlag(FLAGS_batch);
  const int first = absl::GetFlag(FLAGS_first);
  const std::string gemeente = absl::GetFlag(FLAGS_gemeente);
  std::vector<v1::ImportStatushoudersRequest> batches;
  for (int i = 0; i < rows; ++i) {
    if (i % batch_size == 0) batches.emplace_back();
    v1::ImportRow* row = batches.back().add_rows();
    row->set_row_number(i + 1);
    *row->mutable_statushouder() = Row(first + i);
  }
  if (const std::string path = absl::GetFlag(FLAGS_tsv); !path.empty()) {
    // The columns of intake.statushouders, the record as the service stores it (hex).
    std::ofstream out(path);
    const absl::CivilDay today(2026, 11, 23);
    for (int i = 0; i < rows; ++i) {
      v1::Statushouder s = Row(first + i);
      s.set_gemeente(gemeente);
      intake::EnterInitialPhase(s);
      intake::RefreshDerived(s, today);
      s.set_id(NewId());
      s.set_version(1);
      out << s.id() << '\t' << gemeente << '\t' << s.bsn() << "\t1\t"
          << absl::BytesToHexString(s.SerializeAsString()) << '\t' << s.phase() << '\t' << s.type()
          << "\t0\t" << (s.uitkering().bijstand() ? 1 : 0) << '\t'
          << (s.has_pip_deadline() ? s.pip_deadline().due_date() : "\\N") << "\t0\n";
    }
  }

  auto stub = v1::IntakeService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  v1::ImportStatushoudersResponse response;
  const auto start = std::chrono::steady_clock::now();
  if (!Import(*stub, gemeente, batches, response)) return 1;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"rows\":%d,\"seconds\":%.3f,\"rows_per_s\":%.0f,\"created\":%lld,\"updated\":%lld,"
      "\"unchanged\":%lld,\"rejected\":%lld}\n",
      rows, seconds, rows / seconds, static_cast<long long>(response.created()),
      static_cast<long long>(response.updated()), static_cast<long long>(response.unchanged()),
      static_cast<long long>(response.rejected()));
  return 0;
}

}  // namespace
}  // namespace inburgering

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return inburgering::Main();
}
