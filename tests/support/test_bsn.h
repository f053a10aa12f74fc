// BSNs for tests: a series that passes the 11-proef, none of them a real person's (the series lies
// in the range the test data of the suite uses, 100000000 upwards).
#pragma once

#include <string>

namespace inburgering::testing {

// The n-th BSN of the series (n >= 0); distinct n give distinct BSNs.
inline std::string TestBsn(int n) {
  for (int base = 10000000 + n * 11;; ++base) {
    const std::string head = std::to_string(base);  // 8 digits
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (9 - i) * (head[i] - '0');
    const int check = sum % 11;
    if (check < 10) return head + std::to_string(check);
  }
}

}  // namespace inburgering::testing
