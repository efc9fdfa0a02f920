// Easy handles are reset and reused rather than created per hop: creating one allocates and
// zeroes several kilobytes of libcurl state and a download buffer, on every request.
#pragma once

#include <curl/curl.h>

#include <vector>

namespace curlnet {

class EasyPool {
 public:
  static constexpr size_t kMaxIdle = 64;

  EasyPool() = default;
  ~EasyPool() { Clear(); }
  EasyPool(const EasyPool&) = delete;
  EasyPool& operator=(const EasyPool&) = delete;

  CURL* Take() {
    if (idle_.empty()) return curl_easy_init();
    CURL* easy = idle_.back();
    idle_.pop_back();
    return easy;
  }

  // The handle must already be out of its multi handle.
  void Give(CURL* easy) {
    if (idle_.size() >= kMaxIdle) {
      curl_easy_cleanup(easy);
      return;
    }
    curl_easy_reset(easy);
    idle_.push_back(easy);
  }

  void Clear() {
    for (CURL* easy : idle_) curl_easy_cleanup(easy);
    idle_.clear();
  }

 private:
  std::vector<CURL*> idle_;
};

}  // namespace curlnet
