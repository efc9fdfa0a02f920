// A plain description of one hop, built on the JS thread and handed to the curl thread.
// Nothing in here refers to JS or libcurl objects, so it can cross threads by value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace curlnet {

enum class BodyMode : uint8_t {
  kNone = 0,     // no request body
  kBuffer = 1,   // whole body known up front (Electron's default, buffered until end())
  kStream = 2,   // chunked: bytes arrive through Write commands until EndUpload
};

// Bit flags the TS layer packs into one number.
enum SpecFlags : uint32_t {
  kFlagHead = 1u << 0,            // method is HEAD: no response body expected
  kFlagVerbose = 1u << 1,         // CURLOPT_VERBOSE, for debugging only
  kFlagForceContentLength = 1u << 2,  // send Content-Length: 0 for a bodiless request
  kFlagHttp1Only = 1u << 3,       // never negotiate HTTP/2
  kFlagTunnelProxy = 1u << 4,     // tunnel through the HTTP proxy even for http:// targets
  kFlagInsecureProxy = 1u << 5,   // skip verification of an HTTPS proxy's certificate (tests)
  kFlagStreamBody = 1u << 6,      // body arrives through Write commands (chunked upload)
};

struct TransferSpec {
  uint32_t id = 0;
  uint32_t session_id = 0;
  std::string url;
  std::string method;
  // Complete header lines in wire order ("Name: value"), already validated by TS.
  std::vector<std::string> headers;
  BodyMode body_mode = BodyMode::kNone;
  std::vector<char> body;  // kBuffer only
  uint32_t flags = 0;
  // Proxy URL understood by libcurl ("" = direct; never unset, so the environment never leaks in).
  std::string proxy;
  std::string proxy_username;
  std::string proxy_password;
  long proxy_auth = 0;  // CURLAUTH_* mask; 0 = do not offer credentials to the proxy
  std::string username;
  std::string password;
  long http_auth = 0;  // CURLAUTH_* mask; 0 = do not offer credentials to the server
  std::string accept_encoding;  // value advertised; decoding is always on
  std::string ca_file;          // PEM bundle for server verification ("" = libcurl default)
  std::string proxy_ca_file;    // PEM bundle for an HTTPS proxy ("" = same as ca_file)
  long buffer_size = 0;         // CURLOPT_BUFFERSIZE, 0 = libcurl default
  long stream_weight = 0;       // HTTP/2 weight, 0 = libcurl default
  long connect_timeout_ms = 0;  // 0 = libcurl default
};

}  // namespace curlnet
