// Commands from the JS thread to the curl thread. The JS thread only ever pushes; the curl
// thread drains the whole queue at once when its uv_async fires.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "transfer_spec.h"

namespace curlnet {

enum class CommandType : uint8_t {
  kStart,             // spec: begin a hop
  kWrite,             // id, bytes: append to a streamed upload
  kEndUpload,         // id: no more upload bytes
  kAck,               // id, amount: JS consumed this many response bytes
  kAbort,             // id: drop the hop, no event
  kOpenSession,       // id = session, amount = max connections per host, amount2 = total
  kCloseSession,      // id = session: abort its hops, close its connections
  kCloseConnections,  // id = session: close idle connections, fail nothing
  kShutdown,          // environment teardown
};

struct Command {
  CommandType type;
  uint32_t id = 0;
  uint64_t amount = 0;
  uint64_t amount2 = 0;
  std::vector<char> bytes;
  std::unique_ptr<TransferSpec> spec;
};

class CommandQueue {
 public:
  // Returns true when the queue was empty, i.e. the consumer may need a wake-up.
  bool Push(Command&& command) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(command));
    return items_.size() == 1;
  }

  std::vector<Command> Drain() {
    std::vector<Command> out;
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(items_);
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<Command> items_;
};

}  // namespace curlnet
