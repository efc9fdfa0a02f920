// Events from the curl thread to the JS thread. They are plain data; the event sink turns a
// whole batch of them into JS values in one threadsafe-function call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "contract.h"

namespace curlnet {

// The event types, their slots and flags are defined in contract.json (see contract.h).

struct Event {
  EventType type;
  uint32_t id;
  double num[kEventNumbers] = {};  // indexed by the type's *Field enum
  std::string text[kEventRefs];    // indexed by the type's *Ref enum ("" = no ref)
  std::vector<char> data;          // kData only: becomes the Chunk ref or shared bytes

  Event(EventType t, uint32_t transfer_id) : type(t), id(transfer_id) {}
};

}  // namespace curlnet
