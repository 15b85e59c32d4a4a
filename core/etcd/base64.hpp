// Base64 (RFC 4648, padded): the etcd gateway carries keys and values as base64 bytes.
#pragma once

#include <string>

namespace filelock::etcd {

std::string base64_encode(const std::string &bytes);
// false if `text` is not padded base64.
bool base64_decode(const std::string &text, std::string &bytes);

}  // namespace filelock::etcd
