// In-process benchmark of the matching reads (no gRPC, no database): RecommendWerkplekken over a
// register of open werkplekken, ProposeAssignment for a region, and the memory the index and the
// candidate cache take. Synthetic, seeded data; run by bench/scenarios/matching_core.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "matching-service/matcher.h"

ABSL_FLAG(int, places, 100000, "open werkplekken in the register");
ABSL_FLAG(int, profiles, 300000, "candidate profiles in the cache");
ABSL_FLAG(int, queries, 5000, "RecommendWerkplekken calls to time");
ABSL_FLAG(int, assign_candidates, 20000, "candidates of the ProposeAssignment run (0 = skip)");
ABSL_FLAG(int, assign_places, 50000, "places of the ProposeAssignment run");
ABSL_FLAG(int, travel_km_min, 5, "smallest max travel distance of a candidate");
ABSL_FLAG(int, travel_km_max, 15, "largest max travel distance of a candidate");
ABSL_FLAG(int, assign_travel_km_max, 4,
          "largest max travel distance in the ProposeAssignment run (sets how sparse it is)");
ABSL_FLAG(int, seed, 20261123, "random seed");

namespace inburgering::matching {
namespace {

// A record id (IsRecordId: 26 characters, 0-9 and A-Z) for the bench's n-th werkplek ('W') or
// profile ('S'), as the services would give them.
std::string BenchId(char kind, int64_t n) { return absl::StrFormat("01BENCH%c%018d", kind, n); }

using Clock = std::chrono::steady_clock;

// The Randstad south of Leiden: about 55 km by 60 km.
constexpr double kLatMin = 51.80, kLatMax = 52.30, kLonMin = 4.00, kLonMax = 4.90;
const char* kIsco[] = {"2261", "3251", "8322", "5120", "9112", "4110", "5223", "7126",
                       "7411", "3221", "5321", "2512", "3512", "9313", "8332", "9412",
                       "5311", "2341", "7212", "4321", "9329", "5131", "3313", "2411",
                       "7115", "9211", "6113", "8160", "7512", "9622"};
const char* kGemeenten[] = {"GM0603", "GM0518", "GM0503"};

config::v1::MatchingConfig Config() {
  config::v1::MatchingConfig config;
  auto* region = config.mutable_regions()->add_regions();
  region->set_id("haaglanden");
  for (const char* g : kGemeenten) region->add_gemeenten(g);
  return config;
}

v1::Werkplek RandomWerkplek(std::mt19937& rng, int i) {
  std::uniform_real_distribution<double> lat(kLatMin, kLatMax), lon(kLonMin, kLonMax), u(0, 1);
  v1::Werkplek w;
  w.set_id(BenchId('W', i));
  w.set_region("haaglanden");
  w.set_gemeente(kGemeenten[i % 3]);
  w.set_employer("Werkgever");
  w.mutable_location()->set_latitude(lat(rng));
  w.mutable_location()->set_longitude(lon(rng));
  w.set_type(static_cast<v1::WerkplekType>(1 + rng() % 6));
  w.set_occupation_isco(kIsco[rng() % std::size(kIsco)]);
  w.set_min_language_level(static_cast<v1::CefrLevel>(1 + rng() % 5));  // A0..B2
  w.mutable_talende_omgeving()->set_dutch_working_language(u(rng) < 0.7);
  w.mutable_talende_omgeving()->set_dutch_contact_hours(static_cast<int>(rng() % 25));
  w.mutable_talende_omgeving()->set_taalcoach(u(rng) < 0.4);
  // Two to four weekday dagdelen (mornings and afternoons).
  const int n = 2 + rng() % 3;
  DagdeelMask mask = 0;
  while (CountDagdelen(mask) < n) {
    const int day = rng() % 5, part = rng() % 2;
    mask |= DagdeelMask{1} << (1 + day * 3 + part);
  }
  for (int d = 1; d <= 21; ++d) {
    if (mask & (DagdeelMask{1} << d)) w.add_dagdelen(static_cast<v1::Dagdeel>(d));
  }
  w.set_hours_per_week(4 * n);
  w.set_capacity(1 + rng() % 3);
  w.set_open_from("2026-01-01");
  return w;
}

v1::KandidaatProfiel RandomProfiel(std::mt19937& rng, int i, int travel_min, int travel_max) {
  std::uniform_real_distribution<double> lat(kLatMin, kLatMax), lon(kLonMin, kLonMax), u(0, 1);
  v1::KandidaatProfiel p;
  p.set_statushouder_id(BenchId('S', i));
  p.set_gemeente(kGemeenten[i % 3]);
  p.set_version(1);
  p.set_language_level(static_cast<v1::CefrLevel>(1 + rng() % 5));
  for (int d = 1; d <= 15; ++d) {
    if (d % 3 != 0 && u(rng) < 0.75) p.add_availability(static_cast<v1::Dagdeel>(d));
  }
  p.add_lesson_dagdelen(static_cast<v1::Dagdeel>(1 + (rng() % 5) * 3));
  p.set_prior_occupation_isco(kIsco[rng() % std::size(kIsco)]);
  p.add_work_wishes_isco(std::string(kIsco[rng() % std::size(kIsco)]).substr(0, 2));
  p.mutable_home_location()->set_latitude(lat(rng));
  p.mutable_home_location()->set_longitude(lon(rng));
  p.set_max_travel_km(travel_min + rng() % (travel_max - travel_min + 1));
  p.set_leerroute(static_cast<v1::Leerroute>(1 + rng() % 3));
  p.set_phase(v1::PHASE_INBURGERING);
  p.set_intake_groep(static_cast<v1::IntakeGroep>(1 + rng() % 3));
  p.set_gender(static_cast<v1::Gender>(1 + rng() % 2));
  static const char* kOrigins[] = {"SY", "ER", "AF", "TR", "YE", "UA"};
  p.set_country_of_origin(kOrigins[rng() % std::size(kOrigins)]);
  return p;
}

double ProcessCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

long RssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

int Run() {
  const Principal wsp{"GM0518", Role::kWsp, "bench"};
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));
  const long rss_start = RssKb();
  {
    Matcher matcher({Config(), "bench-key-0123456789"},
                    [] { return absl::CivilDay(2026, 11, 23); });
    const int places = absl::GetFlag(FLAGS_places), profiles = absl::GetFlag(FLAGS_profiles);
    for (int i = 0; i < places; ++i) matcher.index().Upsert(RandomWerkplek(rng, i));
    for (int i = 0; i < profiles; ++i) {
      matcher.kandidaten().Put(RandomProfiel(rng, i, absl::GetFlag(FLAGS_travel_km_min),
                                             absl::GetFlag(FLAGS_travel_km_max)));
    }
    const long rss_loaded = RssKb();
    std::printf("state: %d werkplekken, %d profiles, RSS %.1f MB (process start %.1f MB)\n", places,
                profiles, rss_loaded / 1024.0, rss_start / 1024.0);

    const int queries = absl::GetFlag(FLAGS_queries);
    std::vector<double> ms, cpu_ms;
    int64_t considered = 0, returned = 0;
    for (int q = 0; q < queries; ++q) {
      v1::RecommendWerkplekkenRequest request;
      request.set_statushouder_id(BenchId('S', rng() % profiles));
      v1::RecommendWerkplekkenResponse response;
      const auto start = Clock::now();
      const double cpu_start = ThreadCpuMs();
      absl::Status s = matcher.RecommendWerkplekken(wsp, request, &response);
      cpu_ms.push_back(ThreadCpuMs() - cpu_start);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (!s.ok()) {
        std::fprintf(stderr, "RecommendWerkplekken failed: %s\n", s.ToString().c_str());
        return 1;
      }
      considered += response.places_considered();
      returned += response.recommendations_size();
    }
    std::printf(
        "RecommendWerkplekken (limit 10) over %d places, %d calls: p50 %.3f ms, p90 %.3f ms, "
        "p99 %.3f ms, max %.3f ms; mean feasible places %.1f, mean returned %.1f\n",
        places, queries, Percentile(ms, 0.5), Percentile(ms, 0.9), Percentile(ms, 0.99),
        Percentile(ms, 1.0), static_cast<double>(considered) / queries,
        static_cast<double>(returned) / queries);
    std::printf(
        "  thread CPU time per call (excludes waiting for a core): p50 %.3f ms, p99 %.3f ms\n",
        Percentile(cpu_ms, 0.5), Percentile(cpu_ms, 0.99));
  }

  const int candidates = absl::GetFlag(FLAGS_assign_candidates);
  if (candidates > 0) {
    Matcher matcher({Config(), "bench-key-0123456789"},
                    [] { return absl::CivilDay(2026, 11, 23); });
    const int places = absl::GetFlag(FLAGS_assign_places);
    for (int i = 0; i < places; ++i) matcher.index().Upsert(RandomWerkplek(rng, i));
    const int travel_max = absl::GetFlag(FLAGS_assign_travel_km_max);
    for (int i = 0; i < candidates; ++i) {
      matcher.kandidaten().Put(RandomProfiel(rng, i, std::min(2, travel_max), travel_max));
    }
    int64_t arcs = 0;
    matcher.kandidaten().ForEach([&](const std::shared_ptr<const Profile>& profile, bool) {
      arcs += matcher.index().ForEachFeasible(*profile, "haaglanden", matcher.today(),
                                              [](const Place&, double) {});
    });
    std::printf(
        "assignment input: %d candidates, %d places, %lld feasible pairs (%.1f per "
        "candidate)\n",
        candidates, places, static_cast<long long>(arcs), static_cast<double>(arcs) / candidates);
    v1::ProposeAssignmentRequest request;
    request.set_region("haaglanden");
    double first_total = -1;
    for (int run = 0; run < 3; ++run) {
      v1::ProposeAssignmentResponse response;
      Matcher::AssignmentTimings phases;
      const auto start = Clock::now();
      const double cpu_start = ThreadCpuMs(), process_cpu_start = ProcessCpuMs();
      absl::Status s = matcher.ProposeAssignment(wsp, request, &response, &phases);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const double cpu_seconds = (ThreadCpuMs() - cpu_start) / 1e3;
      const double process_cpu_seconds = (ProcessCpuMs() - process_cpu_start) / 1e3;
      if (!s.ok()) {
        std::fprintf(stderr, "ProposeAssignment failed: %s\n", s.ToString().c_str());
        return 1;
      }
      std::printf(
          "ProposeAssignment %d candidates x %lld places with feasible pairs: %.2f s (CPU: calling "
          "thread %.2f s, all threads %.2f s); "
          "%d pairs, "
          "total %.4f, greedy %.4f (optimum - greedy = %.4f)%s\n",
          candidates, static_cast<long long>(response.places()), seconds, cpu_seconds,
          process_cpu_seconds, response.pairs_size(), response.total_score(),
          response.greedy_total_score(), response.total_score() - response.greedy_total_score(),
          first_total < 0 || first_total == response.total_score() ? "" : " NOT DETERMINISTIC");
      std::printf(
          "  phases (wall s): candidates %.3f, scoring %.3f, problem %.3f, graph %.3f, "
          "simplex %.3f, greedy %.3f, explanations %.3f, fairness %.3f\n",
          phases.candidates, phases.scoring, phases.problem, phases.graph, phases.simplex,
          phases.greedy, phases.explanations, phases.fairness);
      first_total = response.total_score();
    }
  }
  return 0;
}

}  // namespace
}  // namespace inburgering::matching

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return inburgering::matching::Run();
}
