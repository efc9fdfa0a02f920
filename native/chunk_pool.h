// Response chunks travel from the curl thread to JS, either copied into the batch's shared
// buffer (small ones) or as external Buffers (bulk). Their memory is recycled: JS gives it back
// (the batch's copy, or the Buffer's finalizer) and the curl thread takes it for the next
// chunk, so transfers neither allocate nor page-fault fresh memory per chunk.
//
// Two size classes, because a small response must not take a bulk-sized buffer: at 64 small
// responses in flight the 32 idle bulk buffers (kMaxIdleBulk) overflowed, and every response then
// cost a 512 KiB malloc on the curl thread and its free on the JS thread (another thread's
// arena, with coalescing) -- the largest allocation cost on both threads.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace curlnet {

class ChunkPool {
 public:
  // A chunk that starts at most this big gets a small buffer; it can still grow.
  static constexpr size_t kSmallCapacity = 16 * 1024;
  // Idle buffers kept per class: small ones cover many small responses in flight at once for
  // little memory (only pages that were written count), bulk ones a few windows of data.
  static constexpr size_t kMaxIdleSmall = 256;
  static constexpr size_t kMaxIdleBulk = 32;
  // A bulk chunk: one libcurl receive buffer (CURLOPT_BUFFERSIZE).
  static constexpr size_t kBulkCapacity = 512 * 1024;

  // A buffer with at least `capacity` bytes reserved, empty.
  std::vector<char> Take(size_t capacity) {
    bool small = capacity <= kSmallCapacity;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::vector<std::vector<char>>& idle = small ? idle_small_ : idle_bulk_;
      while (!idle.empty()) {
        std::vector<char> chunk = std::move(idle.back());
        idle.pop_back();
        if (chunk.capacity() >= capacity) {
          chunk.clear();
          return chunk;
        }
      }
    }
    std::vector<char> fresh;
    fresh.reserve(small ? kSmallCapacity : capacity);
    return fresh;
  }

  // Bytes currently lent to JS as external Buffers (JS thread only).
  size_t outstanding() const { return outstanding_; }
  void Lent(size_t bytes) { outstanding_ += bytes; }
  void Returned(size_t bytes) { outstanding_ -= bytes; }

  void Give(std::vector<char>&& chunk) {
    size_t capacity = chunk.capacity();
    if (capacity < kSmallCapacity) return;
    std::lock_guard<std::mutex> lock(mutex_);
    // A small buffer that grew is still a small one until it can hold a bulk chunk.
    bool bulk = capacity >= kBulkCapacity;
    std::vector<std::vector<char>>& idle = bulk ? idle_bulk_ : idle_small_;
    if (idle.size() < (bulk ? kMaxIdleBulk : kMaxIdleSmall)) idle.push_back(std::move(chunk));
  }

 private:
  std::mutex mutex_;
  std::vector<std::vector<char>> idle_small_;
  std::vector<std::vector<char>> idle_bulk_;
  size_t outstanding_ = 0;
};

}  // namespace curlnet
