// Commands from the JS thread to the curl thread. The JS thread only ever pushes; the curl
// thread drains the whole queue at once when the JS thread wakes it (Engine::Wake).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "transfer_spec.h"

namespace curlnet {

enum class CommandType : uint8_t {
  kStart,                // spec: begin a hop
  kWrite,                // id, bytes: append to a streamed upload
  kEndUpload,            // id: no more upload bytes
  kAck,                  // id, acknowledged_bytes: JS consumed this many response bytes
  kAbort,                // id: drop the hop, no event
  kSetConnectionLimits,  // id = session (created on first use), max_connections_per_host, max_connections
  kCloseConnections,     // id = session: close idle connections, fail nothing
  kPreconnect,           // id = session, address, port, count, idle_ms: open connections ahead
  kShutdown,             // environment teardown
};

struct Command {
  CommandType type;
  uint32_t id = 0;  // the hop, or the session for the session commands
  uint64_t acknowledged_bytes = 0;
  long max_connections_per_host = 0;  // 0 = no limit
  long max_connections = 0;           // 0 = no limit
  std::vector<char> bytes;
  std::unique_ptr<TransferSpec> spec;
  std::string address;   // kPreconnect: numeric IPv4/IPv6 address
  int port = 0;          // kPreconnect
  int count = 0;         // kPreconnect
  uint64_t idle_ms = 0;  // kPreconnect
};

class CommandQueue {
 public:
  void Push(Command&& command) {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.push_back(std::move(command));
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
