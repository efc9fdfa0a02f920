// A plain description of one hop, built on the JS thread and handed to the curl thread.
// Nothing in here refers to JS or libcurl objects, so it can cross threads by value.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "contract.h"

namespace curlnet {

enum class BodyMode : uint8_t {
  kNone = 0,     // no request body
  kBuffer = 1,   // whole body known up front (Electron's default, buffered until end())
  kStream = 2,   // chunked: bytes arrive through Write commands until EndUpload
};

struct TransferSpec {
  uint32_t id = 0;
  uint32_t session_id = 0;
  std::string url;
  std::string method;
  // Complete header lines in wire order ("Name: value"), '\n'-separated as TS joined them,
  // already validated by TS.
  std::string header_lines;
  BodyMode body_mode = BodyMode::kNone;
  std::vector<char> body;  // kBuffer only
  uint32_t flags = 0;      // SpecFlags (contract.h)
  // Proxy URL understood by libcurl ("" = direct; never unset, so the environment never leaks in).
  std::string proxy;
  std::string accept_encoding;  // value advertised; decoding is always on
  std::string ca_file;          // PEM bundle for server verification ("" = libcurl default)
  // The optional per-hop options (contract.json hopExtras), most hops have none: ~600 bytes
  // allocated only when JS passes some (a burst of 5,000 requests left each hop's unused
  // extras as a hole in the JS thread's malloc arena).
  std::unique_ptr<HopExtras> given_extras;
  const HopExtras& extras() const { return given_extras ? *given_extras : NoExtras(); }

 private:
  static const HopExtras& NoExtras() {
    static const HopExtras none;
    return none;
  }
};

}  // namespace curlnet
