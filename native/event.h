// Events from the curl thread to the JS thread. They are plain data; the event sink turns a
// whole batch of them into JS values in one threadsafe-function call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace curlnet {

enum class EventType : uint8_t {
  kHead = 1,            // response head committed (status line + headers of the final block)
  kData = 2,            // response body bytes (coalesced per loop turn)
  kUploadProgress = 3,  // known-size body: bytes read by libcurl so far, total
  kUploadConsumed = 4,  // streamed body: bytes libcurl took from the queue since last event
  kDone = 5,            // hop finished, successfully or not (see DoneField)
};

// Numeric slots of a kHead event.
enum HeadField { kHeadStatus = 0, kHeadVersionMajor, kHeadVersionMinor, kHeadFlags };
enum HeadFlags : uint32_t { kHeadChunked = 1u << 0, kHeadHasContentLength = 1u << 1 };

// Numeric slots of a kDone event.
enum DoneField {
  kDoneCurlCode = 0,
  kDoneOsErrno,
  kDoneConnectCode,
  kDoneProxyError,
  kDoneSslVerifyResult,
  kDoneProxySslVerifyResult,
  kDoneResponseCode,
  kDoneFlags,
  kDoneHttpAuthAvail,
  kDoneProxyAuthAvail,
  kDoneBodyBytes,
};
enum DoneFlags : uint32_t {
  kDoneHeadCommitted = 1u << 0,
  kDoneHeadersTooBig = 1u << 1,
  kDoneResponseChunked = 1u << 2,
  kDoneUsedProxy = 1u << 3,
  kDoneUploadNotRewindable = 1u << 4,
  kDoneConnected = 1u << 5,
  kDoneMultipleLocations = 1u << 6,
  kDoneMultipleContentLength = 1u << 7,
};

// Numeric slots of a kData event whose bytes travel inside the batch's number buffer (small
// chunks; a large chunk is its own Buffer in the refs array and leaves these 0).
enum DataField { kDataSharedOffset = 0, kDataSharedLength };

constexpr int kEventNumbers = 11;

struct Event {
  EventType type;
  uint32_t id;
  double num[kEventNumbers] = {};
  // kHead: header names and values alternating, joined by '\n'; kDone: libcurl's error text.
  std::string text;
  // kHead: reason phrase; kDone: Proxy-Authenticate challenges of a failed CONNECT, '\n'-joined.
  std::string text2;
  std::vector<char> data;  // kData only

  Event(EventType t, uint32_t transfer_id) : type(t), id(transfer_id) {}
};

}  // namespace curlnet
