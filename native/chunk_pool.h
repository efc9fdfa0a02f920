// Response chunks travel from the curl thread to JS as external Buffers. Their memory is
// recycled: the Buffer's finalizer (JS thread) gives it back and the curl thread takes it for
// the next chunk, so bulk transfers neither allocate nor page-fault fresh memory per chunk.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace curlnet {

class ChunkPool {
 public:
  static constexpr size_t kMaxIdle = 32;

  // A buffer with at least `capacity` bytes reserved, empty.
  std::vector<char> Take(size_t capacity) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (!idle_.empty()) {
        std::vector<char> chunk = std::move(idle_.back());
        idle_.pop_back();
        if (chunk.capacity() >= capacity) {
          chunk.clear();
          return chunk;
        }
      }
    }
    std::vector<char> fresh;
    fresh.reserve(capacity);
    return fresh;
  }

  // Bytes currently lent to JS as external Buffers (JS thread only).
  size_t outstanding() const { return outstanding_; }
  void Lent(size_t bytes) { outstanding_ += bytes; }
  void Returned(size_t bytes) { outstanding_ -= bytes; }

  void Give(std::vector<char>&& chunk) {
    if (chunk.capacity() == 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(chunk));
  }

 private:
  std::mutex mutex_;
  std::vector<std::vector<char>> idle_;
  size_t outstanding_ = 0;
};

}  // namespace curlnet
