// What one statushouder or one placement adds to the aggregate counters: a multiset of keys
// (gemeente, month, dimension, value). Pure functions, so the consumer, the recount and the unit
// tests all count the same way; applying an event is "subtract the old keys, add the new ones".
//
// Period semantics (see README.md): a person counts in the month of their vestigingsdatum (or of
// registration while still in the azc); a placement outcome counts in the month it ended.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "inburgering/v1/statushouder.pb.h"
#include "inburgering/v1/werkplek.pb.h"

namespace inburgering::reporting {

struct AggregateKey {
  std::string gemeente;   // CBS code
  std::string month;      // "YYYY-MM"
  std::string dimension;  // e.g. "type", "dagen_vestiging_pip"
  std::string value;      // e.g. "asielstatushouder", or a number of days for histograms
  auto tie() const { return std::tie(gemeente, month, dimension, value); }
  bool operator<(const AggregateKey& o) const { return tie() < o.tie(); }
  bool operator==(const AggregateKey& o) const { return tie() == o.tie(); }
};

// Net change per key; zero entries are dropped.
using AggregateDelta = std::map<AggregateKey, int64_t>;

// What the placements of one person contribute to that person's figures.
struct PlacementFacts {
  std::string first_start_date;  // earliest start of a started placement; empty if none
  bool talend = false;           // a started placement on a werkplek where Dutch is spoken
  int route = 0;                 // best integratieroute of the placements (1..4), 0 = none
  // The person's outcome (PersonContributions): of the placements that started and ended with an
  // outcome, the one that ended last (on the same day the better: werk, opleiding,
  // werkervaringsplaats, nog niet in staat); UNSPECIFIED and empty when none has.
  v1::PlacementOutcome outcome = v1::PLACEMENT_OUTCOME_UNSPECIFIED;
  std::string outcome_date;
};

// One placement as the person-level derivation needs it.
struct PlacementWithWerkplek {
  v1::Placement placement;
  bool werkplek_known = false;
  v1::Werkplek werkplek;
};

// The five integratieroutes of the KIS/Divosa monitor (seed 002), in order of priority.
enum Integratieroute {
  kRouteWerk = 1,          // directe bemiddeling naar de arbeidsmarkt
  kRouteOnderwijs = 2,     // bemiddeling naar/via onderwijs
  kRouteActivering = 3,    // activering richting arbeidsmarkt
  kRouteParticipatie = 4,  // maatschappelijke participatie
  kRouteGeenInzet = 5,     // (nog) geen inzet
};

PlacementFacts DerivePlacementFacts(const std::vector<PlacementWithWerkplek>& placements);

// Keys of one statushouder (empty when the record is unknown, e.g. a placement arrived first).
std::vector<AggregateKey> PersonContributions(const v1::Statushouder& statushouder,
                                              const PlacementFacts& facts);
// Keys of one placement (outcome tables); empty until it has ended with an outcome.
std::vector<AggregateKey> PlacementContributions(const v1::Placement& placement);

// new - old, per key.
AggregateDelta Diff(const std::vector<AggregateKey>& old_keys,
                    const std::vector<AggregateKey>& new_keys);

// Dimensions whose values are numbers of days (exact-median histograms); they are stored as one
// histogram row per bucket rather than one counter per value.
bool IsHistogramDimension(const std::string& dimension);
// "days:count" pairs, comma separated, sorted; zero counts dropped. Decode skips malformed pairs.
std::string EncodeHistogram(const std::map<int64_t, int64_t>& histogram);
std::map<int64_t, int64_t> DecodeHistogram(const std::string& text);

// Keys are stored per record as text, one "month|dimension|value" a line (gemeente is the
// record's own); these two convert.
std::string EncodeKeys(const std::vector<AggregateKey>& keys);
std::vector<AggregateKey> DecodeKeys(const std::string& gemeente, const std::string& text);

// "2026-09-14" -> "2026-09"; empty when not a date.
std::string MonthOf(const std::string& date);

// Counters are kept per month ("2026-09") and, as a roll-up for long periods, per year ("Y2026":
// the 'Y' sorts after every month, so the two kinds never mix in a range). Every key is applied
// at both levels.
std::string YearBucket(const std::string& month);

// The bucket ranges [from, to) that add up to the months [from_month, to_month) exactly: leading
// months up to the first whole year, the whole years, trailing months. Empty ranges are omitted.
struct BucketRange {
  std::string from, to;
};
std::vector<BucketRange> PeriodBuckets(const std::string& from_month, const std::string& to_month);

}  // namespace inburgering::reporting
