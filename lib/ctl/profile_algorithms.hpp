// Which of a server's proposals a client platform can express, in the platform's own
// names (ctl/profile.hpp). Apple's and Windows' profiles carry one algorithm per kind
// and derive the IKE PRF from the integrity algorithm (Apple: "the IKE pseudo-random
// function algorithm will be inferred based on the integrity algorithm"; Windows'
// IntegrityCheckMethod the same), so a proposal fits only when its PRF matches one.
#pragma once

#include "base/result.hpp"
#include "crypto/suite.hpp"

#include <string>
#include <vector>

namespace ikekit::ctl {

enum class Platform : uint8_t { apple, windows };

// One SA's algorithms, as the platform names them and as strongSwan keywords.
struct PlatformSa {
  std::string encr, integ, group; // platform names; group "" when none (no PFS)
  const crypto::TransformInfo* encr_t = nullptr;
  const crypto::TransformInfo* integ_t = nullptr; // nullptr: AEAD (ESP) or PRF only (IKE)
  const crypto::TransformInfo* prf_t = nullptr;   // IKE only
  const crypto::TransformInfo* ke_t = nullptr;    // nullptr: no PFS (ESP)
};

// The first server proposal the platform can express completely. Errc::unsupported,
// field "ike_proposals[i]" / "esp_proposals[i]" of the first proposal, naming the
// algorithm, the platform and what its profile takes.
Result<PlatformSa> pick_ike(Platform platform, const std::vector<std::string>& proposals);
Result<PlatformSa> pick_esp(Platform platform, const std::vector<std::string>& proposals);

} // namespace ikekit::ctl
