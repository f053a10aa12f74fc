// fault_harness: the whole suite (a private MariaDB, intake, matching, reporting and the gateway
// as real processes on free loopback ports) under a write load through the gateway, while it
// SIGKILLs in turn each service, the gateway and MariaDB and starts them again. Afterwards it
// checks the stores directly and prints what was acknowledged, found, missing and duplicated, the
// status codes seen while the database was down, the recovery times and the reporting recount.
//
// Clients behave as the API asks: every call has a deadline; UNAVAILABLE and DEADLINE_EXCEEDED
// are retried with the same request_id (creates) or the same version (updates). An update whose
// earlier attempt was applied but whose answer was lost comes back ABORTED on the retry (its
// version moved): the harness then reads the stored record to tell "applied once" from "lost".
//
// Exit code 0 when every check holds, 1 otherwise. `--rounds` and `--load_s` make the long run.
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "bench/loadgen_stats.h"
#include "common/config.h"
#include "common/dates.h"
#include "common/mysql_pool.h"
#include "google/protobuf/util/json_util.h"
#include "inburgering/config/v1/config.pb.h"
#include "inburgering/v1/intake.grpc.pb.h"
#include "inburgering/v1/matching.grpc.pb.h"
#include "inburgering/v1/reporting.grpc.pb.h"
#include "tests/support/private_mariadb.h"
#include "tests/support/service_process.h"

ABSL_FLAG(std::string, build_dir, INBURGERING_BUILD_DIR, "build folder with the server binaries");
ABSL_FLAG(std::string, source_dir, INBURGERING_SOURCE_DIR, "checkout, for config/dev/*.json");
ABSL_FLAG(int, workers, 6, "client threads, each running statushouder cases one after another");
ABSL_FLAG(int, rounds, 1, "how often to kill every target in turn");
ABSL_FLAG(std::vector<std::string>, targets,
          std::vector<std::string>({"intake", "matching", "reporting", "gateway", "mariadb"}),
          "what to kill, in turn, each round (process names and mariadb)");
ABSL_FLAG(double, load_s, 4, "seconds of load before each kill (and after the last)");
ABSL_FLAG(double, service_down_s, 1, "seconds a killed service or the gateway stays down");
ABSL_FLAG(double, database_down_s, 3, "seconds MariaDB stays down");
ABSL_FLAG(int, deadline_ms, 2000, "deadline of every call");
ABSL_FLAG(double, retry_budget_s, 60, "how long a client keeps retrying one operation");
ABSL_FLAG(double, recovery_limit_s, 5, "allowed time from MariaDB's return to the first OK write");
ABSL_FLAG(bool, keep_work, false, "keep the logs and attempts.tsv also when every check passes");

namespace inburgering::testing {
namespace {

using grpc::StatusCode;

// ---- what the clients saw -------------------------------------------------------------------

enum class Kind { kIntakeWrite, kMatchingWrite, kReportRead, kCheckRead };
constexpr const char* kKindNames[] = {"intake writes", "matching writes", "report reads",
                                      "check reads"};

struct Attempt {
  absl::Time start, end;
  StatusCode code;
  Kind kind;
  std::string message;  // of a failed call, for attempts.tsv
};

struct Token {
  const char* token;
  const char* gemeente;
};
constexpr Token kConsulenten[] = {{"demo-consulent-rijswijk", "GM0603"},
                                  {"demo-consulent-denhaag", "GM0518"},
                                  {"demo-consulent-delft", "GM0503"}};
constexpr char kWsp[] = "demo-wsp-haaglanden";
constexpr char kAnalist[] = "demo-analist-haaglanden";

// One statushouder's life in the load: register, then four versioned updates, then a placement.
struct Case {
  std::string gemeente, bsn, request_id, id;
  bool registered = false;  // acknowledged
  bool unknown = false;     // some write of this case ended without a known outcome
  int updates_acked = 0;    // versioned updates acknowledged (or verified after ABORTED)
  int64_t version = 0;      // the version after the last acknowledged write
  std::string placement_request_id, placement_id;
  bool placement_acked = false;
  bool start_acked = false;       // UpdatePlacement GESTART acknowledged
  bool start_unverified = false;  // its retry came back ABORTED; checked in the store at the end
};

struct WerkplekRegistration {
  std::string request_id, id;
  bool acked = false, unknown = false;
};

struct Tally {
  std::mutex mu;
  std::vector<Attempt> attempts;
  std::vector<Case> cases;
  std::vector<WerkplekRegistration> werkplekken;
  int retried_unknown = 0;      // operations retried after an attempt with unknown outcome
  int replay_applied_once = 0;  // of those: retry said ABORTED, store showed it applied once
  int replay_not_applied = 0;   // retry said ABORTED but the store did not have the change
  int kandidaat_waits = 0;      // CreatePlacement retried until matching knew the statushouder
  int start_replays = 0;        // UpdatePlacement retried and answered ABORTED; verified at the end
  std::map<std::string, int> unexpected;  // "RPC CODE: message" -> count
};

std::string TodayMinus(int days) { return FormatDate(AmsterdamToday() - days); }

// A BSN that passes the 11-proef, distinct for every n < 4 * 10^7: the prefix 10000000 + 2n, or
// the next one when its check digit would be 10 (their weighted sums differ by 2).
std::string Bsn(int64_t n) {
  for (int64_t prefix = 10000000 + 2 * n;; ++prefix) {
    const std::string digits = absl::StrCat(prefix);
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (digits[i] - '0') * (9 - i);
    if (sum % 11 != 10) return digits + static_cast<char>('0' + sum % 11);
  }
}

class Client {
 public:
  Client(const std::string& gateway, Tally& tally, std::atomic<bool>& stop, int worker)
      : tally_(tally), stop_(stop), worker_(worker) {
    grpc::ChannelArguments args;
    // The harness wants to see the gateway again soon after its restart; the default backoff
    // (1 s growing to 120 s) would measure the client, not the stack. Even so, gRPC 1.51's
    // channel takes about 5 s after the gateway's death to connect again (the restarted gateway
    // is listening with an empty accept queue meanwhile): the gateway's "recovery" is that.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    auto channel = grpc::CreateCustomChannel(gateway, grpc::InsecureChannelCredentials(), args);
    intake_ = v1::IntakeService::NewStub(channel);
    matching_ = v1::MatchingService::NewStub(channel);
    reporting_ = v1::ReportingService::NewStub(channel);
  }

  void RunCases(std::atomic<int64_t>& next_case) {
    while (!stop_) RunCase(next_case++);
    std::lock_guard<std::mutex> lock(tally_.mu);
    tally_.attempts.insert(tally_.attempts.end(), attempts_.begin(), attempts_.end());
  }

  void ReadReports() {
    v1::GetRegionalReportRequest request;
    request.set_region("haaglanden");
    const absl::CivilMonth month(AmsterdamToday());
    request.mutable_period()->set_from(FormatDate(absl::CivilDay(month)));
    request.mutable_period()->set_to(FormatDate(absl::CivilDay(month + 1)));
    while (!stop_) {
      v1::Report report;
      Call(Kind::kReportRead, kAnalist, [&](grpc::ClientContext& c) {
        return reporting_->GetRegionalReport(&c, request, &report);
      });
      absl::SleepFor(absl::Milliseconds(200));
    }
    std::lock_guard<std::mutex> lock(tally_.mu);
    tally_.attempts.insert(tally_.attempts.end(), attempts_.begin(), attempts_.end());
  }

 private:
  struct Outcome {
    grpc::Status status;
    bool uncertain = false;  // an earlier attempt ended without a known outcome
  };

  static bool Retryable(StatusCode code) {
    return code == StatusCode::UNAVAILABLE || code == StatusCode::DEADLINE_EXCEEDED;
  }

  // One attempt with a deadline and the token, recorded.
  template <typename F>
  grpc::Status Call(Kind kind, const char* token, F&& rpc) {
    grpc::ClientContext context;
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms))));
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    const absl::Time start = absl::Now();
    grpc::Status status = rpc(context);
    attempts_.push_back({start, absl::Now(), status.error_code(), kind, status.error_message()});
    return status;
  }

  // Attempts until the answer is not retryable or the retry budget is spent.
  template <typename F>
  Outcome Retry(Kind kind, const char* token, F&& rpc) {
    Outcome outcome;
    const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_retry_budget_s));
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      outcome.status = Call(kind, token, rpc);
      if (!Retryable(outcome.status.error_code()) || absl::Now() > give_up) break;
      outcome.uncertain = true;
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Milliseconds(500));
    }
    if (outcome.uncertain) Count([](Tally& t) { ++t.retried_unknown; });
    return outcome;
  }

  template <typename F>
  void Count(F&& f) {
    std::lock_guard<std::mutex> lock(tally_.mu);
    f(tally_);
  }

  void Unexpected(absl::string_view rpc, const grpc::Status& status) {
    Count([&](Tally& t) {
      ++t.unexpected[absl::StrCat(rpc, " ", status.error_code(), ": ", status.error_message())];
    });
  }

  // A versioned intake update. On ABORTED/FAILED_PRECONDITION after an attempt of unknown
  // outcome, the stored record decides: `applied` says whether it carries this update.
  template <typename F, typename Applied>
  bool Update(Case& c, const char* token, absl::string_view rpc, F&& call, Applied&& applied) {
    v1::Statushouder result;
    Outcome o = Retry(Kind::kIntakeWrite, token,
                      [&](grpc::ClientContext& ctx) { return call(ctx, c.version, &result); });
    if (o.status.ok()) {
      c.version = result.version();
      ++c.updates_acked;
      return true;
    }
    const StatusCode code = o.status.error_code();
    if (o.uncertain && (code == StatusCode::ABORTED || code == StatusCode::FAILED_PRECONDITION)) {
      v1::GetStatushouderRequest get;
      get.set_id(c.id);
      v1::Statushouder stored;
      Outcome read = Retry(Kind::kCheckRead, token, [&](grpc::ClientContext& ctx) {
        return intake_->GetStatushouder(&ctx, get, &stored);
      });
      if (read.status.ok() && stored.version() == c.version + 1 && applied(stored)) {
        c.version = stored.version();
        ++c.updates_acked;
        Count([](Tally& t) { ++t.replay_applied_once; });
        return true;
      }
      Count([](Tally& t) { ++t.replay_not_applied; });
    }
    if (Retryable(code)) c.unknown = true;
    Unexpected(rpc, o.status);
    return false;
  }

  void RunCase(int64_t n) {
    const Token& consulent = kConsulenten[n % 3];
    Case c;
    c.gemeente = consulent.gemeente;
    c.bsn = Bsn(n);
    c.request_id = absl::StrCat("fh-", n);
    Steps(c, consulent.token);
    std::lock_guard<std::mutex> lock(tally_.mu);
    tally_.cases.push_back(std::move(c));
  }

  void Steps(Case& c, const char* token) {
    v1::RegisterStatushouderRequest reg;
    reg.set_request_id(c.request_id);
    v1::Statushouder* s = reg.mutable_statushouder();
    s->set_bsn(c.bsn);
    s->set_given_names("Test");
    s->set_family_name("Persoon");
    s->set_birth_date("1990-04-12");
    s->set_gender(v1::GENDER_VROUW);
    s->set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
    s->set_country_of_origin("SY");  // no vestigingsdatum: still in the azc
    v1::Statushouder created;
    Outcome o = Retry(Kind::kIntakeWrite, token, [&](grpc::ClientContext& ctx) {
      return intake_->RegisterStatushouder(&ctx, reg, &created);
    });
    if (!o.status.ok()) {
      if (Retryable(o.status.error_code())) c.unknown = true;
      return Unexpected("RegisterStatushouder", o.status);
    }
    c.registered = true;
    c.id = created.id();
    c.version = created.version();

    const std::string vestiging = TodayMinus(30);
    if (!Update(
            c, token, "ChangePhase",
            [&](grpc::ClientContext& ctx, int64_t version, v1::Statushouder* out) {
              v1::ChangePhaseRequest r;
              r.set_id(c.id);
              r.set_version(version);
              r.set_phase(v1::PHASE_INTAKE);
              r.set_date(vestiging);
              return intake_->ChangePhase(&ctx, r, out);
            },
            [](const v1::Statushouder& st) { return st.phase() == v1::PHASE_INTAKE; })) {
      return;
    }
    if (!Update(
            c, token, "RecordBredeIntake",
            [&](grpc::ClientContext& ctx, int64_t version, v1::Statushouder* out) {
              v1::RecordBredeIntakeRequest r;
              r.set_id(c.id);
              r.set_version(version);
              r.mutable_brede_intake()->set_date(TodayMinus(10));
              r.mutable_brede_intake()->set_leerbaarheid(v1::LEERBAARHEID_HOOG);
              r.mutable_brede_intake()->set_advised_leerroute(v1::LEERROUTE_B1);
              r.mutable_brede_intake()->set_intake_groep(v1::INTAKE_GROEP_KLAAR_VOOR_WERK);
              r.set_prior_occupation_isco("2261");
              r.add_availability(v1::DAGDEEL_MAANDAG_OCHTEND);
              return intake_->RecordBredeIntake(&ctx, r, out);
            },
            [](const v1::Statushouder& st) { return st.has_brede_intake(); })) {
      return;
    }
    if (!Update(
            c, token, "EstablishPip",
            [&](grpc::ClientContext& ctx, int64_t version, v1::Statushouder* out) {
              v1::EstablishPipRequest r;
              r.set_id(c.id);
              r.set_version(version);
              r.set_date(TodayMinus(5));
              r.set_leerroute(v1::LEERROUTE_B1);
              r.add_modules(v1::MODULE_TYPE_MAP);
              return intake_->EstablishPip(&ctx, r, out);
            },
            [](const v1::Statushouder& st) { return st.has_pip(); })) {
      return;
    }
    if (!Update(
            c, token, "RecordLanguageLevel",
            [&](grpc::ClientContext& ctx, int64_t version, v1::Statushouder* out) {
              v1::RecordLanguageLevelRequest r;
              r.set_id(c.id);
              r.set_version(version);
              r.mutable_meting()->set_vaardigheid(v1::TAAL_VAARDIGHEID_SPREKEN);
              r.mutable_meting()->set_level(v1::CEFR_LEVEL_A2);
              r.mutable_meting()->set_date(TodayMinus(1));
              r.mutable_meting()->set_bron(v1::MEET_BRON_EXAMEN);
              return intake_->RecordLanguageLevel(&ctx, r, out);
            },
            [](const v1::Statushouder& st) { return st.language_measurements_size() == 1; })) {
      return;
    }
    Place(c, token);
  }

  // The WSP registers a werkplek (capacity 4) whenever this worker's current one is full.
  bool EnsureWerkplek() {
    if (!werkplek_id_.empty() && werkplek_left_ > 0) return true;
    WerkplekRegistration w;
    w.request_id = absl::StrCat("fh-w", worker_, "-", ++werkplek_count_);
    v1::RegisterWerkplekRequest r;
    r.set_request_id(w.request_id);
    v1::Werkplek* p = r.mutable_werkplek();
    p->set_employer("Tandartspraktijk De Kies");
    p->set_gemeente("GM0518");
    p->mutable_location()->set_latitude(52.07);
    p->mutable_location()->set_longitude(4.30);
    p->set_type(v1::WERKPLEK_TYPE_WERKERVARINGSPLAATS);
    p->set_occupation_isco("3251");
    p->set_title("Assistent");
    p->set_min_language_level(v1::CEFR_LEVEL_A1);
    p->mutable_talende_omgeving()->set_dutch_working_language(true);
    p->set_hours_per_week(16);
    p->add_dagdelen(v1::DAGDEEL_MAANDAG_OCHTEND);
    p->set_capacity(4);
    p->set_open_from(TodayMinus(60));
    v1::Werkplek created;
    Outcome o = Retry(Kind::kMatchingWrite, kWsp, [&](grpc::ClientContext& ctx) {
      return matching_->RegisterWerkplek(&ctx, r, &created);
    });
    w.acked = o.status.ok();
    w.unknown = Retryable(o.status.error_code());
    w.id = created.id();
    Count([&](Tally& t) { t.werkplekken.push_back(w); });
    if (!o.status.ok()) {
      Unexpected("RegisterWerkplek", o.status);
      return false;
    }
    werkplek_id_ = created.id();
    werkplek_left_ = 4;
    return true;
  }

  void Place(Case& c, const char* token) {
    if (!EnsureWerkplek()) return;
    v1::CreatePlacementRequest r;
    c.placement_request_id = absl::StrCat("fh-p-", c.request_id);
    r.set_request_id(c.placement_request_id);
    r.set_statushouder_id(c.id);
    r.set_werkplek_id(werkplek_id_);
    v1::Placement placement;
    // Matching learns of the statushouder from intake's event stream: NOT_FOUND until it has.
    const absl::Time give_up = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_retry_budget_s));
    Outcome o;
    bool waited = false;
    while (true) {
      o = Retry(Kind::kMatchingWrite, token, [&](grpc::ClientContext& ctx) {
        return matching_->CreatePlacement(&ctx, r, &placement);
      });
      if (o.status.error_code() != StatusCode::NOT_FOUND || absl::Now() > give_up) break;
      waited = true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    if (waited) Count([](Tally& t) { ++t.kandidaat_waits; });
    if (!o.status.ok()) {
      if (Retryable(o.status.error_code())) c.unknown = true;
      return Unexpected("CreatePlacement", o.status);
    }
    c.placement_acked = true;
    c.placement_id = placement.id();
    --werkplek_left_;

    v1::UpdatePlacementRequest u;
    u.set_id(placement.id());
    u.set_version(placement.version());
    u.set_status(v1::PLACEMENT_STATUS_GESTART);
    u.set_date(TodayMinus(0));
    v1::Placement started;
    o = Retry(Kind::kMatchingWrite, token, [&](grpc::ClientContext& ctx) {
      return matching_->UpdatePlacement(&ctx, u, &started);
    });
    if (o.status.ok()) {
      c.start_acked = true;
    } else if (o.uncertain && (o.status.error_code() == StatusCode::ABORTED ||
                               o.status.error_code() == StatusCode::FAILED_PRECONDITION)) {
      c.start_unverified = true;  // there is no GetPlacement: the store is read at the end
      Count([](Tally& t) { ++t.start_replays; });
    } else {
      if (Retryable(o.status.error_code())) c.unknown = true;
      Unexpected("UpdatePlacement", o.status);
    }
  }

  Tally& tally_;
  std::atomic<bool>& stop_;
  const int worker_;
  std::unique_ptr<v1::IntakeService::Stub> intake_;
  std::unique_ptr<v1::MatchingService::Stub> matching_;
  std::unique_ptr<v1::ReportingService::Stub> reporting_;
  std::vector<Attempt> attempts_;
  std::string werkplek_id_;
  int werkplek_left_ = 0;
  int werkplek_count_ = 0;
};

// ---- the stack ------------------------------------------------------------------------------

struct Fault {
  std::string target;
  absl::Time killed, restarting, back;
};

class Stack {
 public:
  absl::Status Start(const std::string& work) {
    work_ = work;
    auto db = PrivateMariaDb::Start();
    if (!db.ok()) return db.status();
    db_ = *std::move(db);
    for (const char* schema : {"intake", "matching", "reporting", "gateway"}) {
      if (absl::Status s = db_->CreateSchema(schema); !s.ok()) return s;
    }
    std::map<std::string, int> ports;
    for (const char* name : {"intake", "matching", "reporting", "gateway", "http"}) {
      auto port = FreeLoopbackPort();
      if (!port.ok()) return port.status();
      ports[name] = *port;
    }
    addresses_ = {{"intake", absl::StrCat("127.0.0.1:", ports["intake"])},
                  {"matching", absl::StrCat("127.0.0.1:", ports["matching"])},
                  {"reporting", absl::StrCat("127.0.0.1:", ports["reporting"])},
                  {"gateway", absl::StrCat("127.0.0.1:", ports["gateway"])}};
    const std::string build = absl::GetFlag(FLAGS_build_dir);
    const std::string config = absl::StrCat(absl::GetFlag(FLAGS_source_dir), "/config/dev/");
    auto gateway_config = WriteGatewayConfig(config + "gateway.json");
    if (!gateway_config.ok()) return gateway_config.status();

    auto add = [&](const std::string& name, const std::string& binary, int port,
                   std::vector<std::string> args) {
      args.push_back(absl::StrCat("--mysql_schema=", name));
      for (std::string& a : DatabaseFlags()) args.push_back(std::move(a));
      processes_.push_back(std::make_unique<ServiceProcess>(
          name, binary, port, std::move(args), absl::StrCat(work_, "/", name, ".log"),
          std::map<std::string, std::string>{{"INBURGERING_MYSQL_PASSWORD", ""}}));
    };
    add("intake", build + "/intake-service/intake_server", ports["intake"],
        {"--config=" + config + "intake.json"});
    add("matching", build + "/matching-service/matching_server", ports["matching"],
        {"--config=" + config + "matching.json", "--intake_target=" + addresses_["intake"]});
    add("reporting", build + "/reporting-service/reporting_server", ports["reporting"],
        {"--config=" + config + "reporting.json", "--intake_target=" + addresses_["intake"],
         "--matching_target=" + addresses_["matching"]});
    add("gateway", build + "/gateway/gateway_server", ports["gateway"],
        {"--config=" + *gateway_config, absl::StrCat("--http_listen=127.0.0.1:", ports["http"]),
         "--intake_target=" + addresses_["intake"], "--matching_target=" + addresses_["matching"],
         "--reporting_target=" + addresses_["reporting"]});
    for (auto& p : processes_) {
      if (absl::Status s = p->Start(); !s.ok()) return s;
    }
    MysqlOptions options = db_->Options("");
    options.pool_size = 2;
    auto pool = MysqlPool::Create(options);
    if (!pool.ok()) return pool.status();
    check_pool_ = *std::move(pool);
    return absl::OkStatus();
  }

  std::vector<std::string> DatabaseFlags() const {
    return {"--mysql_host=127.0.0.1", absl::StrCat("--mysql_port=", db_->port()),
            "--mysql_user=root"};
  }

  // Kills `target` (a process name or "mariadb"), keeps it down for `down`, starts it again.
  // Meanwhile and afterwards every other process must stay up (a crash is recorded).
  absl::StatusOr<Fault> Kill(const std::string& target, absl::Duration down) {
    Fault fault{target, absl::Now(), {}, {}};
    if (target == "mariadb") {
      if (absl::Status s = db_->Kill(); !s.ok()) return s;
    } else if (absl::Status s = Process(target).Kill(); !s.ok()) {
      return s;
    }
    Watch(down, target);
    fault.restarting = absl::Now();
    absl::Status started =
        target == "mariadb" ? db_->Restart() : Process(target).Start(absl::Seconds(30));
    if (!started.ok()) return started;
    fault.back = absl::Now();
    return fault;
  }

  // Sleeps for `duration`, checking every 50 ms that each process other than `except` runs.
  void Watch(absl::Duration duration, const std::string& except = "") {
    const absl::Time until = absl::Now() + duration;
    while (absl::Now() < until) {
      for (auto& p : processes_) {
        if (p->name() == except || p->Running()) continue;
        crashes_.push_back(
            absl::StrCat(p->name(), " ended by itself (", p->exit_reason(), "); restarted"));
        (void)p->Start();
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  MysqlPool& check_pool() { return *check_pool_; }
  const std::string& address(const std::string& name) { return addresses_[name]; }
  const std::vector<std::string>& crashes() const { return crashes_; }
  const std::string& work() const { return work_; }

 private:
  ServiceProcess& Process(const std::string& name) {
    for (auto& p : processes_) {
      if (p->name() == name) return *p;
    }
    std::abort();
  }

  // The dev gateway config without its rate limit (the harness measures faults, not the limiter).
  absl::StatusOr<std::string> WriteGatewayConfig(const std::string& dev) {
    config::v1::GatewayConfig config;
    if (absl::Status s = LoadJsonConfig(dev, &config); !s.ok()) return s;
    config.clear_rate_limit();
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(config, &json).ok()) {
      return absl::InternalError("gateway config does not print as JSON");
    }
    const std::string path = work_ + "/gateway.json";
    std::ofstream(path) << json;
    return path;
  }

  std::string work_;
  std::unique_ptr<PrivateMariaDb> db_;
  std::map<std::string, std::string> addresses_;
  std::vector<std::unique_ptr<ServiceProcess>> processes_;
  std::unique_ptr<MysqlPool> check_pool_;
  std::vector<std::string> crashes_;
};

// ---- checks against the stores --------------------------------------------------------------

// The first column of the first row of `sql` (0 when there is none); exits when it fails.
int64_t MustQuery(MysqlPool& pool, const char* sql) {
  int64_t value = 0;
  absl::Status s = pool.Run("check", [&](PooledConnection& c) {
    std::unique_ptr<sql::ResultSet> rs(c.Prepare(sql).executeQuery());
    value = rs->next() ? rs->getInt64(1) : 0;
    return absl::OkStatus();
  });
  if (!s.ok()) {
    std::cerr << "check query failed: " << s << "\n";
    std::exit(1);
  }
  return value;
}

// The rows of `sql`: its first column (as text) -> the other columns (as integers).
std::map<std::string, std::vector<int64_t>> QueryRows(MysqlPool& pool, const char* sql) {
  std::map<std::string, std::vector<int64_t>> rows;
  absl::Status s = pool.Run("check", [&](PooledConnection& c) {
    rows.clear();
    std::unique_ptr<sql::ResultSet> rs(c.Prepare(sql).executeQuery());
    const int columns = static_cast<int>(rs->getMetaData()->getColumnCount());
    while (rs->next()) {
      std::vector<int64_t>& values = rows[std::string(rs->getString(1))];
      for (int i = 2; i <= columns; ++i) values.push_back(rs->getInt64(i));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) {
    std::cerr << "check query failed: " << s << "\n";
    std::exit(1);
  }
  return rows;
}

// Waits until matching and reporting applied everything intake and matching committed.
bool WaitForConsumers(MysqlPool& pool, absl::Duration timeout, std::string* where) {
  const absl::Time until = absl::Now() + timeout;
  while (true) {
    const int64_t unnumbered =
        MustQuery(pool, "SELECT COUNT(*) FROM intake.outbox WHERE sequence IS NULL") +
        MustQuery(pool, "SELECT COUNT(*) FROM matching.outbox WHERE sequence IS NULL");
    const int64_t intake = MustQuery(pool, "SELECT last_sequence FROM intake.outbox_head");
    const int64_t matching = MustQuery(pool, "SELECT last_sequence FROM matching.outbox_head");
    const int64_t m_in = MustQuery(
        pool, "SELECT last_sequence FROM matching.consumer_cursors WHERE stream = 'intake'");
    const int64_t r_in = MustQuery(
        pool, "SELECT last_sequence FROM reporting.consumer_cursors WHERE stream = 'intake'");
    const int64_t r_m = MustQuery(
        pool, "SELECT last_sequence FROM reporting.consumer_cursors WHERE stream = 'matching'");
    *where = absl::StrFormat(
        "intake stream head %d: matching at %d, reporting at %d; matching stream head %d: "
        "reporting at %d; unnumbered outbox rows %d",
        intake, m_in, r_in, matching, r_m, unnumbered);
    if (unnumbered == 0 && m_in == intake && r_in == intake && r_m == matching) return true;
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// ---- every consumer saw every event: its projection against the producer, row by row --------

// id -> version, from `sql` returning an id and a version column.
std::map<std::string, int64_t> ColumnVersions(MysqlPool& pool, const char* sql) {
  std::map<std::string, int64_t> versions;
  for (const auto& [id, values] : QueryRows(pool, sql)) versions[id] = values.at(0);
  return versions;
}

// id -> version, from `sql` returning an id and a serialized `Record` (version -1 when the record
// is NULL, e.g. reporting's stub of a person it has seen only in a placement, or does not parse).
template <typename Record>
std::map<std::string, int64_t> RecordVersions(MysqlPool& pool, const char* sql) {
  std::map<std::string, int64_t> versions;
  absl::Status s = pool.Run("check", [&](PooledConnection& c) {
    versions.clear();
    std::unique_ptr<sql::ResultSet> rs(c.Prepare(sql).executeQuery());
    while (rs->next()) {
      Record record;
      const bool parsed = !rs->isNull(2) && record.ParseFromString(std::string(rs->getString(2)));
      versions[std::string(rs->getString(1))] = parsed ? record.version() : -1;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) {
    std::cerr << "check query failed: " << s << "\n";
    std::exit(1);
  }
  return versions;
}

struct ProjectionDiff {
  int64_t producer_rows = 0;
  int64_t missing = 0;                // in the producer, not in the consumer
  int64_t stale = 0;                  // in both, at another version
  int64_t extra = 0;                  // in the consumer, not in the producer
  std::vector<std::string> examples;  // a few ids (ULIDs, no personal data) for the log
  bool equal() const { return missing == 0 && stale == 0 && extra == 0; }
};

ProjectionDiff CompareProjection(const std::map<std::string, int64_t>& producer,
                                 const std::map<std::string, int64_t>& consumer) {
  ProjectionDiff diff;
  diff.producer_rows = static_cast<int64_t>(producer.size());
  auto note = [&diff](const std::string& what, const std::string& id) {
    if (diff.examples.size() < 5) diff.examples.push_back(absl::StrCat(what, " ", id));
  };
  for (const auto& [id, version] : producer) {
    auto it = consumer.find(id);
    if (it == consumer.end()) {
      ++diff.missing;
      note("missing", id);
    } else if (it->second != version) {
      ++diff.stale;
      note(absl::StrCat("version ", it->second, " instead of ", version), id);
    }
  }
  for (const auto& [id, version] : consumer) {
    if (!producer.contains(id)) {
      ++diff.extra;
      note("extra", id);
    }
  }
  return diff;
}

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.2f s", absl::ToDoubleSeconds(d));
}

std::string Codes(const std::map<StatusCode, int>& codes) {
  std::vector<std::string> parts;
  for (const auto& [code, n] : codes)
    parts.push_back(absl::StrCat(bench::StatusCodeName(code), " ", n));
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

int Run() {
  char tmpl[] = "/tmp/inburgering-faults-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  Stack stack;
  const absl::Time set_up = absl::Now();
  if (absl::Status s = stack.Start(tmpl); !s.ok()) {
    std::cerr << "fault harness: the stack did not start: " << s << "\n";
    return 1;
  }
  std::cout << "fault harness: stack up in " << Seconds(absl::Now() - set_up) << " (logs in "
            << stack.work() << "); " << absl::GetFlag(FLAGS_workers) << " writers, "
            << absl::GetFlag(FLAGS_rounds) << " round(s), deadline "
            << absl::GetFlag(FLAGS_deadline_ms) << " ms per call" << std::endl;

  Tally tally;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> next_case{0};
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::thread> threads;
  const int workers = absl::GetFlag(FLAGS_workers);
  for (int i = 0; i <= workers; ++i) {
    clients.push_back(std::make_unique<Client>(stack.address("gateway"), tally, stop, i));
  }
  const absl::Time load_start = absl::Now();
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] { clients[i]->RunCases(next_case); });
  }
  threads.emplace_back([&] { clients[workers]->ReadReports(); });

  const absl::Duration load = absl::Seconds(absl::GetFlag(FLAGS_load_s));
  std::vector<Fault> faults;
  bool stack_ok = true;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds) && stack_ok; ++round) {
    for (const std::string& target : absl::GetFlag(FLAGS_targets)) {
      stack.Watch(load);
      const absl::Duration down =
          absl::Seconds(target == "mariadb" ? absl::GetFlag(FLAGS_database_down_s)
                                            : absl::GetFlag(FLAGS_service_down_s));
      auto fault = stack.Kill(target, down);
      if (!fault.ok()) {
        std::cerr << "fault harness: " << target << " did not come back: " << fault.status()
                  << "\n";
        stack_ok = false;
        break;
      }
      faults.push_back(*fault);
    }
  }
  stack.Watch(load);
  stop = true;
  for (auto& t : threads) t.join();
  const absl::Time load_end = absl::Now();

  // ---- what the clients saw
  {
    std::ofstream out(stack.work() + "/attempts.tsv");
    out << "start_ms\tduration_ms\tkind\tcode\tmessage\n";
    for (const Attempt& a : tally.attempts) {
      out << absl::ToInt64Milliseconds(a.start - load_start) << "\t"
          << absl::ToInt64Milliseconds(a.end - a.start) << "\t" << static_cast<int>(a.kind) << "\t"
          << a.code << "\t" << a.message << "\n";
    }
    for (const Fault& f : faults) {
      out << "# " << f.target << " killed " << absl::ToInt64Milliseconds(f.killed - load_start)
          << " restarting " << absl::ToInt64Milliseconds(f.restarting - load_start) << " back "
          << absl::ToInt64Milliseconds(f.back - load_start) << "\n";
    }
  }
  std::map<Kind, std::map<StatusCode, int>> by_kind;
  absl::Duration longest;
  for (const Attempt& a : tally.attempts) {
    ++by_kind[a.kind][a.code];
    longest = std::max(longest, a.end - a.start);
  }
  std::cout << "\nload: " << Seconds(load_end - load_start) << ", " << tally.attempts.size()
            << " calls through the gateway\n";
  for (const auto& [kind, codes] : by_kind) {
    std::cout << "  " << kKindNames[static_cast<int>(kind)] << ": " << Codes(codes) << "\n";
  }
  const absl::Duration deadline = absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms));
  std::cout << "  longest call: " << Seconds(longest) << " (deadline " << Seconds(deadline)
            << ")\n";

  bool pass = stack_ok;
  auto check = [&pass](bool ok, const std::string& line) {
    std::cout << (ok ? "  ok    " : "  FAIL  ") << line << "\n";
    if (!ok) pass = false;
  };

  std::map<std::string, std::vector<absl::Duration>> recoveries;  // per target
  std::cout << "\nfaults (SIGKILL, down, restarted; recovery = first OK call of the kind the "
               "process serves, started after it was back):\n";
  for (const Fault& f : faults) {
    auto relevant = [&](Kind k) {
      if (f.target == "intake") return k == Kind::kIntakeWrite;
      if (f.target == "matching") return k == Kind::kMatchingWrite;
      if (f.target == "reporting") return k == Kind::kReportRead;
      return k == Kind::kIntakeWrite || k == Kind::kMatchingWrite;
    };
    absl::Time first_ok = absl::InfiniteFuture();
    std::map<StatusCode, int> while_down;
    for (const Attempt& a : tally.attempts) {
      if (a.start >= f.back && a.code == StatusCode::OK && relevant(a.kind)) {
        first_ok = std::min(first_ok, a.end);
      }
      if (a.start >= f.killed && a.start < f.restarting && relevant(a.kind)) {
        ++while_down[a.code];
      }
    }
    const absl::Duration recovery = first_ok - f.back;
    recoveries[f.target].push_back(recovery);
    std::cout << absl::StrFormat(
        "  %-9s down %s, back (%s) after %s; recovery %s; calls while "
        "down: %s\n",
        f.target, Seconds(f.restarting - f.killed),
        f.target == "mariadb" ? "accepting connections" : "SERVING", Seconds(f.back - f.restarting),
        first_ok == absl::InfiniteFuture() ? "never" : Seconds(recovery), Codes(while_down));
    if (f.target == "mariadb") {
      check(first_ok != absl::InfiniteFuture() &&
                recovery <= absl::Seconds(absl::GetFlag(FLAGS_recovery_limit_s)),
            absl::StrCat("recovery after MariaDB returned: ",
                         first_ok == absl::InfiniteFuture() ? "never" : Seconds(recovery),
                         " (limit ", absl::GetFlag(FLAGS_recovery_limit_s), " s)"));
      int other = 0;
      for (const auto& [code, n] : while_down) {
        if (code != StatusCode::UNAVAILABLE && code != StatusCode::DEADLINE_EXCEEDED) other += n;
      }
      check(while_down[StatusCode::UNAVAILABLE] > 0 && other == 0,
            absl::StrCat("writes while MariaDB was down answered UNAVAILABLE ",
                         while_down[StatusCode::UNAVAILABLE], ", DEADLINE_EXCEEDED ",
                         while_down[StatusCode::DEADLINE_EXCEEDED], ", anything else ", other));
    }
  }
  check(stack.crashes().empty(),
        absl::StrCat("processes that ended without being killed: ",
                     stack.crashes().empty() ? "none" : absl::StrJoin(stack.crashes(), "; ")));
  check(longest <= deadline + absl::Milliseconds(500),
        absl::StrCat("no call outlived its deadline (longest ", Seconds(longest), ")"));

  // ---- what the stores hold
  MysqlPool& pool = stack.check_pool();
  std::string where;
  const bool caught_up = WaitForConsumers(pool, absl::Seconds(60), &where);
  std::cout << "\nchecks against the stores:\n";
  check(caught_up, absl::StrCat("consumers caught up: ", where));

  // The stores, read once in bulk (outbox has no index on aggregate_id).
  const auto statushouders = QueryRows(
      pool,
      "SELECT CONCAT(gemeente, '/', bsn), COUNT(*), MAX(version) FROM intake.statushouders "
      "GROUP BY gemeente, bsn");
  const auto events =
      QueryRows(pool, "SELECT aggregate_id, COUNT(*) FROM intake.outbox GROUP BY aggregate_id");
  const auto placements_by_statushouder = QueryRows(
      pool, "SELECT statushouder_id, COUNT(*) FROM matching.placements GROUP BY statushouder_id");
  const auto placements_by_id =
      QueryRows(pool, "SELECT id, status, version FROM matching.placements");
  const auto werkplekken = QueryRows(pool, "SELECT id, capacity FROM matching.werkplekken");
  auto value = [](const std::map<std::string, std::vector<int64_t>>& rows, const std::string& key,
                  size_t column) -> int64_t {
    auto it = rows.find(key);
    return it == rows.end() ? 0 : it->second[column];
  };

  int acked = 0, found = 0, missing = 0, duplicates = 0, unknown = 0, version_mismatch = 0,
      event_mismatch = 0, updates = 0, placements = 0, placements_found = 0, starts = 0,
      starts_found = 0, placement_duplicates = 0;
  for (const Case& c : tally.cases) {
    const std::string key = c.gemeente + "/" + c.bsn;
    const int64_t rows = value(statushouders, key, 0);
    if (rows > 1) ++duplicates;
    if (c.unknown) ++unknown;
    if (!c.registered) continue;
    ++acked;
    updates += c.updates_acked;
    if (rows == 0) {
      ++missing;
      continue;
    }
    ++found;
    const int64_t version = value(statushouders, key, 1);
    // Every acknowledged write raised the version by one; an unknown outcome may add one more.
    if (version != c.version && !(c.unknown && version == c.version + 1)) ++version_mismatch;
    if (value(events, c.id, 0) != version) ++event_mismatch;
    if (c.placement_acked) {
      ++placements;
      const int64_t n = value(placements_by_statushouder, c.id, 0);
      if (n >= 1) ++placements_found;
      if (n > 1) ++placement_duplicates;
      if (c.start_acked || c.start_unverified) {
        ++starts;
        if (value(placements_by_id, c.placement_id, 0) == v1::PLACEMENT_STATUS_GESTART &&
            value(placements_by_id, c.placement_id, 1) == 2) {
          ++starts_found;
        }
      }
    }
  }
  int werkplekken_acked = 0, werkplekken_unknown = 0, werkplekken_found = 0;
  for (const WerkplekRegistration& w : tally.werkplekken) {
    werkplekken_unknown += w.unknown;
    if (!w.acked) continue;
    ++werkplekken_acked;
    werkplekken_found += werkplekken.contains(w.id);
  }
  const int64_t werkplek_rows = MustQuery(pool, "SELECT COUNT(*) FROM matching.werkplekken");
  const int64_t statushouder_rows = MustQuery(pool, "SELECT COUNT(*) FROM intake.statushouders");
  const int64_t registration_requests =
      MustQuery(pool, "SELECT COUNT(*) FROM intake.create_requests");
  const int64_t capacity_wrong = MustQuery(
      pool,
      "SELECT COUNT(*) FROM matching.werkplekken w WHERE w.capacity_used <> (SELECT COUNT(*) "
      "FROM matching.placements p WHERE p.werkplek_id = w.id AND p.status IN (1, 2)) "
      "OR w.capacity_used > w.capacity OR w.capacity_used < 0");

  std::cout << absl::StrFormat(
      "  writes acknowledged: %d registrations, %d versioned updates, %d werkplekken, %d "
      "placements, %d placement starts\n",
      acked, updates, werkplekken_acked, placements, starts);
  std::cout << absl::StrFormat(
      "  retried after an unknown outcome: %d operations; the retry of an update answered "
      "ABORTED although the first attempt had been applied (verified in the stored record): %d; "
      "not applied: %d; the same for UpdatePlacement (checked below): %d; CreatePlacement waited "
      "for matching to learn the statushouder: %d\n",
      tally.retried_unknown, tally.replay_applied_once, tally.replay_not_applied,
      tally.start_replays, tally.kandidaat_waits);
  check(found == acked && missing == 0,
        absl::StrFormat("registrations found %d of %d, missing %d", found, acked, missing));
  check(duplicates == 0 && statushouder_rows == registration_requests,
        absl::StrFormat("duplicates %d (statushouder rows %d, claimed request_ids %d)", duplicates,
                        statushouder_rows, registration_requests));
  check(version_mismatch == 0,
        absl::StrFormat("stored versions = acknowledged writes + 1 (mismatches %d)",
                        version_mismatch));
  check(event_mismatch == 0,
        absl::StrFormat("one event per applied change (statushouders whose outbox events != "
                        "version: %d)",
                        event_mismatch));
  check(werkplekken_found == werkplekken_acked &&
            werkplek_rows <= werkplekken_acked + werkplekken_unknown,
        absl::StrFormat("werkplekken found %d of %d acknowledged, %d rows in all (%d unknown "
                        "outcomes)",
                        werkplekken_found, werkplekken_acked, werkplek_rows, werkplekken_unknown));
  check(placements_found == placements && placement_duplicates == 0,
        absl::StrFormat("placements found %d of %d, duplicates %d", placements_found, placements,
                        placement_duplicates));
  check(starts_found == starts,
        absl::StrFormat("placement starts stored (GESTART, version 2) %d of %d", starts_found,
                        starts));
  check(capacity_wrong == 0,
        absl::StrFormat("werkplekken whose capacity_used differs from their active placements: "
                        "%d",
                        capacity_wrong));
  check(unknown == 0 && tally.replay_not_applied == 0,
        absl::StrFormat("operations that ended without a known outcome: %d", unknown));
  if (!tally.unexpected.empty()) {
    std::cout << "  unexpected answers:\n";
    for (const auto& [what, n] : tally.unexpected)
      std::cout << "    " << n << " x " << what << "\n";
  }
  check(tally.unexpected.empty(), "no unexpected answers");

  // ---- every consumer's projection equals what the producers hold (Jepsen's set checker, per
  // consumer): an event a consumer skipped shows as a missing or stale row.
  const auto intake_versions = ColumnVersions(pool, "SELECT id, version FROM intake.statushouders");
  const auto placement_versions =
      ColumnVersions(pool, "SELECT id, version FROM matching.placements");
  const auto werkplek_versions =
      ColumnVersions(pool, "SELECT id, version FROM matching.werkplekken");
  const struct {
    const char* what;
    ProjectionDiff diff;
  } projections[] = {
      {"matching's candidate profiles = intake's statushouders",
       CompareProjection(intake_versions,
                         ColumnVersions(pool, "SELECT id, version FROM matching.kandidaten"))},
      {"reporting's persons = intake's statushouders",
       CompareProjection(intake_versions,
                         RecordVersions<v1::Statushouder>(
                             pool, "SELECT id, record FROM reporting.persons WHERE ledger = 0"))},
      {"reporting's placements = matching's placements",
       CompareProjection(
           placement_versions,
           RecordVersions<v1::Placement>(
               pool, "SELECT id, record FROM reporting.placements WHERE ledger = 0"))},
      {"reporting's werkplekken = matching's werkplekken",
       CompareProjection(
           werkplek_versions,
           RecordVersions<v1::Werkplek>(
               pool, "SELECT id, record FROM reporting.werkplekken WHERE ledger = 0"))},
  };
  int64_t consumer_rows_missing = 0;
  for (const auto& [what, diff] : projections) {
    consumer_rows_missing += diff.missing + diff.stale;
    check(diff.equal(),
          absl::StrFormat("%s, row by row: %d rows, missing %d, other version %d, extra %d%s", what,
                          diff.producer_rows, diff.missing, diff.stale, diff.extra,
                          diff.examples.empty()
                              ? ""
                              : absl::StrCat(" (", absl::StrJoin(diff.examples, "; "), ")")));
  }

  // ---- reporting: maintained aggregates against a recount from the streams
  const std::string out = stack.work() + "/recount.txt";
  std::string command = absl::StrCat(
      "INBURGERING_MYSQL_PASSWORD= ", absl::GetFlag(FLAGS_build_dir),
      "/reporting-service/reporting_server --recount --intake_target=", stack.address("intake"),
      " --matching_target=", stack.address("matching"), " --mysql_schema=reporting");
  for (const std::string& flag : stack.DatabaseFlags()) absl::StrAppend(&command, " ", flag);
  absl::StrAppend(&command, " >", out, " 2>&1");
  const int rc = std::system(command.c_str());
  std::ifstream recount(out);
  std::string line, summary;
  while (std::getline(recount, line)) {
    if (line.find("differences:") != std::string::npos) summary = line;
  }
  check(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0 && !summary.empty(),
        absl::StrCat("reporting recount = maintained aggregates: ",
                     summary.empty() ? "no summary (see " + out + ")" : summary));

  // One line with the figures of the run, for bench/RESULTS.md.
  std::vector<std::string> kills, recovery_parts;
  for (auto& [target, times] : recoveries) {
    std::sort(times.begin(), times.end());
    kills.push_back(absl::StrCat(target, " ", times.size()));
    recovery_parts.push_back(absl::StrCat(
        target, " median ",
        times[times.size() / 2] == absl::InfiniteDuration() ? "never"
                                                            : Seconds(times[times.size() / 2]),
        ", max ", times.back() == absl::InfiniteDuration() ? "never" : Seconds(times.back())));
  }
  std::cout << absl::StrFormat(
                   "\nsummary: SIGKILLs %s; registrations acknowledged %d, found %d, lost %d, "
                   "duplicated %d; consumer rows missing or stale %d; recovery %s",
                   kills.empty() ? "none" : absl::StrJoin(kills, ", "), acked, found, missing,
                   duplicates, consumer_rows_missing,
                   recovery_parts.empty() ? "-" : absl::StrJoin(recovery_parts, "; "))
            << std::endl;
  std::cout << "\n" << (pass ? "PASS" : "FAIL") << std::endl;
  if (pass && !absl::GetFlag(FLAGS_keep_work)) {
    std::error_code ignored;
    std::filesystem::remove_all(stack.work(), ignored);
  }
  return pass ? 0 : 1;
}

}  // namespace
}  // namespace inburgering::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return inburgering::testing::Run();
}
