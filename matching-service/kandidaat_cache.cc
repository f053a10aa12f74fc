#include "matching-service/kandidaat_cache.h"

namespace inburgering::matching {

void KandidaatCache::Put(const v1::KandidaatProfiel& profiel) {
  auto profile = std::make_shared<const Profile>(ProfileFrom(profiel));
  absl::MutexLock lock(&mu_);
  auto& slot = profiles_[profile->id];
  if (slot == nullptr || slot->version < profile->version) slot = std::move(profile);
}

std::shared_ptr<const Profile> KandidaatCache::Get(const std::string& id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = profiles_.find(id);
  return it == profiles_.end() ? nullptr : it->second;
}

size_t KandidaatCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return profiles_.size();
}

void KandidaatCache::ForEach(
    const std::function<void(const std::shared_ptr<const Profile>&, bool placed)>& visit) const {
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [id, profile] : profiles_) visit(profile, placed_.contains(id));
}

void KandidaatCache::TrackPlacement(const v1::Placement& placement) {
  absl::MutexLock lock(&mu_);
  if (KeepsCandidateFromProposals(placement)) {
    placed_[placement.statushouder_id()].insert(placement.id());
    return;
  }
  auto it = placed_.find(placement.statushouder_id());
  if (it == placed_.end()) return;
  it->second.erase(placement.id());
  if (it->second.empty()) placed_.erase(it);
}

}  // namespace inburgering::matching
