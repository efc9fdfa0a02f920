// A plain description of one hop, built on the JS thread and handed to the curl thread.
// Nothing in here refers to JS or libcurl objects, so it can cross threads by value.
#pragma once

#include <cstdint>
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
  HopExtras extras;             // the optional per-hop options (contract.json hopExtras)
};

}  // namespace curlnet
