// The JSON configs the manifests mount (k8s/**/config/<service>.json) parse into their config
// protos with unknown fields rejected, exactly as the services load them at start-up: a key the
// code does not know fails here, not in a pod's crash loop.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/config.h"
#include "inburgering/config/v1/config.pb.h"

namespace inburgering {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> ConfigFiles(const std::string& name) {
  std::vector<fs::path> found;
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::path(INBURGERING_SOURCE_DIR) / "k8s")) {
    if (entry.is_regular_file() && entry.path().filename() == name &&
        entry.path().parent_path().filename() == "config") {
      found.push_back(entry.path());
    }
  }
  return found;
}

template <typename Config>
void ExpectEveryCopyLoads(const std::string& name) {
  const std::vector<fs::path> files = ConfigFiles(name);
  ASSERT_FALSE(files.empty()) << "no k8s/**/config/" << name;
  for (const fs::path& path : files) {
    Config config;
    absl::Status status = LoadJsonConfig(path.string(), &config);
    EXPECT_TRUE(status.ok()) << status.message();
    EXPECT_GT(config.regions().gemeenten_size(), 0) << path << ": no gemeenten";
    for (const auto& region : config.regions().regions()) {
      for (const std::string& code : region.gemeenten()) {
        bool known = false;
        for (const auto& gemeente : config.regions().gemeenten()) known |= gemeente.code() == code;
        EXPECT_TRUE(known) << path << ": region " << region.id() << " names unknown " << code;
      }
    }
  }
}

TEST(K8sConfig, IntakeConfigLoads) {
  ExpectEveryCopyLoads<config::v1::IntakeConfig>("intake.json");
}

TEST(K8sConfig, MatchingConfigLoads) {
  ExpectEveryCopyLoads<config::v1::MatchingConfig>("matching.json");
}

TEST(K8sConfig, ReportingConfigLoads) {
  ExpectEveryCopyLoads<config::v1::ReportingConfig>("reporting.json");
}

TEST(K8sConfig, GatewayConfigLoads) {
  ExpectEveryCopyLoads<config::v1::GatewayConfig>("gateway.json");
}

TEST(K8sConfig, AllServicesServeTheSameRegions) {
  config::v1::IntakeConfig intake;
  config::v1::MatchingConfig matching;
  config::v1::ReportingConfig reporting;
  config::v1::GatewayConfig gateway;
  for (const fs::path& dir : {fs::path(INBURGERING_SOURCE_DIR) / "k8s" / "base" / "config"}) {
    ASSERT_TRUE(LoadJsonConfig((dir / "intake.json").string(), &intake).ok());
    ASSERT_TRUE(LoadJsonConfig((dir / "matching.json").string(), &matching).ok());
    ASSERT_TRUE(LoadJsonConfig((dir / "reporting.json").string(), &reporting).ok());
    ASSERT_TRUE(LoadJsonConfig((dir / "gateway.json").string(), &gateway).ok());
  }
  const std::string regions = intake.regions().SerializeAsString();
  EXPECT_EQ(matching.regions().SerializeAsString(), regions);
  EXPECT_EQ(reporting.regions().SerializeAsString(), regions);
  EXPECT_EQ(gateway.regions().SerializeAsString(), regions);
}

}  // namespace
}  // namespace inburgering
