// intake_import_bench: drives ImportStatushouders (client streaming, which loadgen does not do)
// with generated rows, and writes the same rows as MariaDB would store them to a TSV file for the
// LOAD DATA baseline (bench/scripts/intake_import.sh).
//
// Prints one JSON line: rows, seconds, rows_per_s and the per-outcome counts. The rows are built
// before the clock starts, so the figure is the server's (and the wire's), not the generator's.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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

int Main() {
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
      s.set_phase(intake::InitialPhase(s));
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
  grpc::ClientContext context;
  AttachPrincipal(Principal{gemeente, Role::kConsulent, "bench"}, context);
  v1::ImportStatushoudersResponse response;
  const auto start = std::chrono::steady_clock::now();
  auto writer = stub->ImportStatushouders(&context, &response);
  for (const auto& batch : batches) {
    if (!writer->Write(batch)) break;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    std::fprintf(stderr, "import failed: %d %s\n", status.error_code(),
                 status.error_message().c_str());
    return 1;
  }
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
