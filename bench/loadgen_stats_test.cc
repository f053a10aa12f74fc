#include "bench/loadgen_stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inburgering::bench {
namespace {

using ::testing::HasSubstr;

// The exact nearest-rank quantile of `sorted`, the reference the histogram approximates.
uint64_t ExactQuantile(const std::vector<uint64_t>& sorted, double q) {
  const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * sorted.size())));
  return sorted[rank - 1];
}

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.ValueAtQuantile(0.99), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtQuantile(0.0), 1u);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 50u);
  EXPECT_EQ(h.ValueAtQuantile(0.9), 90u);
  EXPECT_EQ(h.ValueAtQuantile(0.99), 99u);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 100u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, AnElapsedTimeIsRecordedInNanosAndANegativeOneAsZero) {
  LatencyHistogram h;
  h.Record(std::chrono::microseconds(3));
  h.Record(std::chrono::steady_clock::duration(-5));
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 3000u);
}

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGapsOrOverlap) {
  // Every bucket starts right after the previous one ends, and each value maps back to the
  // bucket whose bounds contain it.
  for (size_t i = 1; i + 1 < LatencyHistogram::kBucketCount; ++i) {
    const uint64_t lower = LatencyHistogram::BucketUpperBound(i - 1) + 1;
    const uint64_t upper = LatencyHistogram::BucketUpperBound(i);
    ASSERT_LE(lower, upper) << "bucket " << i;
    ASSERT_EQ(LatencyHistogram::BucketIndex(lower), i);
    ASSERT_EQ(LatencyHistogram::BucketIndex(upper), i);
    // Above the exact range, a bucket is at most 2^-kSubBucketBits of its lower bound wide.
    if (i >= (size_t{1} << LatencyHistogram::kSubBucketBits)) {
      ASSERT_LE(static_cast<double>(upper - lower + 1) / lower,
                1.0 / (1 << LatencyHistogram::kSubBucketBits))
          << "bucket " << i;
    } else {
      ASSERT_EQ(lower, upper);
    }
  }
}

TEST(LatencyHistogram, HugeValuesLandInTheLastBucketAndKeepAnExactMax) {
  LatencyHistogram h;
  const uint64_t huge = uint64_t{1} << 50;
  h.Record(huge);
  EXPECT_EQ(LatencyHistogram::BucketIndex(huge), LatencyHistogram::kBucketCount - 1);
  EXPECT_EQ(h.max(), huge);
  EXPECT_EQ(h.ValueAtQuantile(0.5), huge);
}

TEST(LatencyHistogram, QuantilesStayWithinTheRelativeErrorOfAnExactSort) {
  // Latencies shaped like a real run: a log-normal body around 2 ms with a long tail.
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> body(std::log(2e6), 0.5);
  std::vector<uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<uint64_t>(body(rng));
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  const double bound = 1.0 / (1 << LatencyHistogram::kSubBucketBits);
  for (double q : {0.5, 0.9, 0.99, 0.999, 1.0}) {
    const uint64_t exact = ExactQuantile(samples, q);
    const uint64_t approx = h.ValueAtQuantile(q);
    EXPECT_GE(approx, exact) << "q=" << q;  // never optimistic
    EXPECT_LE(static_cast<double>(approx - exact) / exact, bound) << "q=" << q;
  }
  EXPECT_EQ(h.min(), samples.front());
  EXPECT_EQ(h.max(), samples.back());
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1000; v < 50'000; v += 7) {
    (v % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.ValueAtQuantile(q), all.ValueAtQuantile(q));
}

TEST(LatencyHistogram, MergingEmptyHistogramsChangesNothing) {
  LatencyHistogram a, empty;
  a.Merge(empty);
  EXPECT_EQ(a.count(), 0u);
  a.Record(5);
  a.Merge(empty);
  EXPECT_EQ(a.ValueAtQuantile(1.0), 5u);
  LatencyHistogram c;
  c.Merge(a);
  EXPECT_EQ(c.ValueAtQuantile(0.5), 5u);
  EXPECT_EQ(c.min(), 5u);
}

TEST(StatusCounts, FailuresAreNeverCountedAsOk) {
  StatusCounts s;
  s.Add(grpc::Status::OK);
  s.Add(grpc::Status::OK);
  s.Add(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"));
  s.Add(grpc::Status(grpc::StatusCode::UNAVAILABLE, "later message"));
  s.Add(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "role analist"));
  EXPECT_EQ(s.ok(), 2u);
  EXPECT_EQ(s.failed(), 3u);
  EXPECT_EQ(s.total(), 5u);
  EXPECT_EQ(s.count(grpc::StatusCode::UNAVAILABLE), 2u);
  EXPECT_EQ(s.sample_message(grpc::StatusCode::UNAVAILABLE), "connection refused");
}

TEST(StatusCounts, AnOutOfRangeCodeCountsAsUnknown) {
  StatusCounts s;
  // 20: beyond UNAUTHENTICATED (16) but inside the enum's value range, so no undefined behaviour.
  s.Add(grpc::Status(static_cast<grpc::StatusCode>(20), "bad server"));
  EXPECT_EQ(s.count(grpc::StatusCode::UNKNOWN), 1u);
  EXPECT_EQ(s.failed(), 1u);
}

TEST(StatusCounts, MergeAddsCountsAndKeepsAMessage) {
  StatusCounts a, b;
  a.Add(grpc::Status::OK);
  b.Add(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
  a.Merge(b);
  EXPECT_EQ(a.total(), 2u);
  EXPECT_EQ(a.sample_message(grpc::StatusCode::DEADLINE_EXCEEDED), "Deadline Exceeded");
}

TEST(RunReport, JsonHasStatusNamesAndEscapedStrings) {
  RunReport r;
  r.target = "host\"x";
  r.method = "/inburgering.bench.EchoService/Echo";
  r.channels = 2;
  r.inflight = 4;
  r.measured_seconds = 2.0;
  for (int i = 0; i < 10; ++i) {
    r.statuses.Add(grpc::Status::OK);
    r.latency.Record(1'000'000);
  }
  r.statuses.Add(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such id"));
  const std::string json = FormatJson(r);
  EXPECT_THAT(json, HasSubstr("\"target\":\"host\\\"x\""));
  EXPECT_THAT(json, HasSubstr("\"status\":{\"OK\":10,\"NOT_FOUND\":1}"));
  EXPECT_THAT(json, HasSubstr("\"ok_per_s\":5.0"));
  EXPECT_THAT(json, HasSubstr("\"p50\":1000.0"));
  EXPECT_EQ(json.find('\n'), std::string::npos);

  const std::string human = FormatHuman(r);
  EXPECT_THAT(human, HasSubstr("10 ok, 1 failed"));
  EXPECT_THAT(human, HasSubstr("first NOT_FOUND: no such id"));
}

}  // namespace
}  // namespace inburgering::bench
