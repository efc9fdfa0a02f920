#include "event_sink.h"

#include <algorithm>
#include <cstring>

namespace curlnet {
namespace {

// Below this size a copy is cheaper than an external buffer's finalizer.
constexpr size_t kExternalBufferMin = 64 * 1024;
// External chunks are only freed when V8 collects their Buffers, which it does not hurry to do
// for memory it cannot see. Past this much outstanding, chunks are copied into V8-managed
// memory instead: bounded memory, and allocation pressure that makes V8 collect the rest.
constexpr size_t kMaxOutstandingExternal = 64u << 20;

// Small chunks of one batch share its buffer up to this much in total, so a retained chunk
// keeps at most this much memory alive (as a slice of a socket read does in node:http).
constexpr size_t kMaxSharedBytes = 256 * 1024;

bool IsSharedChunk(size_t size, size_t shared_so_far) {
  return size > 0 && size < kExternalBufferMin && shared_so_far + size <= kMaxSharedBytes;
}

struct PooledChunk {
  std::vector<char> bytes;
  std::shared_ptr<ChunkPool> pool;
};

}  // namespace

napi_value EventSink::MakeBuffer(napi_env env, std::vector<char>& bytes) {
  napi_value result = nullptr;
  size_t size = bytes.size();
  if (size >= kExternalBufferMin && pool_->outstanding() + size <= kMaxOutstandingExternal) {
    auto* owned = new PooledChunk{std::move(bytes), pool_};
    napi_status status = napi_create_external_buffer(
        env, size, owned->bytes.data(),
        [](napi_env, void*, void* hint) {
          auto* chunk = static_cast<PooledChunk*>(hint);
          chunk->pool->Returned(chunk->bytes.size());
          chunk->pool->Give(std::move(chunk->bytes));
          delete chunk;
        },
        owned, &result);
    if (status == napi_ok) {
      pool_->Lent(size);
      return result;
    }
    // Electron's memory cage refuses external buffers: fall back to one copy.
    bytes = std::move(owned->bytes);
    delete owned;
  }
  void* copy = nullptr;
  napi_create_buffer_copy(env, size, bytes.data(), &copy, &result);
  pool_->Give(std::move(bytes));
  return result;
}

napi_status EventSink::Open(napi_env env, napi_value dispatcher) {
  napi_value name;
  napi_create_string_utf8(env, "curl-net events", NAPI_AUTO_LENGTH, &name);
  napi_status status = napi_create_threadsafe_function(env, dispatcher, nullptr, name, 0, 1,
                                                       nullptr, nullptr, this,
                                                       &EventSink::CallJs, &tsfn_);
  if (status != napi_ok) return status;
  // Idle until the first transfer: an idle process must be able to exit.
  napi_unref_threadsafe_function(env, tsfn_);
  return napi_ok;
}

void EventSink::Ref(napi_env env) {
  if (!refed_ && tsfn_) napi_ref_threadsafe_function(env, tsfn_);
  refed_ = true;
}

void EventSink::Unref(napi_env env) {
  if (refed_ && tsfn_) napi_unref_threadsafe_function(env, tsfn_);
  refed_ = false;
}

void EventSink::Close() {
  if (tsfn_) napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
  tsfn_ = nullptr;
}

void EventSink::Post(std::vector<Event>& batch) {
  if (batch.empty()) return;
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Event& e : batch) pending_.push_back(std::move(e));
    batch.clear();
    if (!scheduled_) scheduled_ = schedule = true;
  }
  if (schedule && tsfn_) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
}

void EventSink::CallJs(napi_env env, napi_value dispatcher, void* context, void* data) {
  // env is null while Node tears the function down: nothing may be touched then.
  if (env == nullptr || dispatcher == nullptr) return;
  static_cast<EventSink*>(context)->Deliver(env, dispatcher);
}

bool EventSink::TakeSlice(napi_env env, napi_value* numbers, napi_value* refs, bool* more) {
  std::vector<Event> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.reserve(std::min(pending_.size(), kSliceEvents));
    size_t bytes = 0;
    while (!pending_.empty() && batch.size() < kSliceEvents && (batch.empty() || bytes < kSliceBytes)) {
      bytes += pending_.front().data.size();
      batch.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    *more = !pending_.empty();
    // While JS will pull the rest itself, new events need no new call.
    if (!*more) scheduled_ = false;
  }
  if (batch.empty()) return false;

  // Numbers go in one Float64Array-shaped buffer (kEventStride per event: type, id, then the
  // type's fields), followed by the bytes of the batch's small chunks, which JS views in place:
  // one backing store per batch instead of one per small response (each is a malloc and work
  // for V8's array-buffer sweeper). Strings and large chunks go in one array, kEventRefs slots
  // per event.
  static_assert(kEventHeaderSlots == 2, "a row starts with the type and the id");
  static_assert(sizeof(Event::num) == kEventNumbers * sizeof(double), "Event::num fills a row");
  const size_t numbers_bytes = batch.size() * kEventStride * sizeof(double);
  size_t shared_bytes = 0;
  for (const Event& event : batch) {
    size_t size = event.data.size();
    if (event.type == EventType::kData && IsSharedChunk(size, shared_bytes)) shared_bytes += size;
  }
  void* raw = nullptr;
  // While Node tears the environment down, JS can no longer run and allocation fails: the
  // batch is dropped (nobody is left to receive it).
  if (napi_create_arraybuffer(env, numbers_bytes + shared_bytes, &raw, numbers) != napi_ok ||
      raw == nullptr || napi_create_array_with_length(env, batch.size() * kEventRefs, refs) != napi_ok) {
    return false;
  }
  double* out = static_cast<double*>(raw);
  char* shared = static_cast<char*>(raw) + numbers_bytes;
  size_t shared_used = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    Event& event = batch[i];
    double* slot = out + i * kEventStride;
    slot[0] = static_cast<double>(event.type);
    slot[1] = static_cast<double>(event.id);
    memcpy(slot + kEventHeaderSlots, event.num, sizeof(event.num));
    const uint32_t first_ref = static_cast<uint32_t>(i * kEventRefs);
    napi_value value;
    if (event.type == EventType::kData) {
      size_t size = event.data.size();
      if (IsSharedChunk(size, shared_used)) {
        memcpy(shared + shared_used, event.data.data(), size);
        slot[kEventHeaderSlots + kDataSharedOffset] = static_cast<double>(numbers_bytes + shared_used);
        slot[kEventHeaderSlots + kDataSharedLength] = static_cast<double>(size);
        shared_used += size;
        pool_->Give(std::move(event.data));
      } else {
        napi_set_element(env, *refs, first_ref + kDataRefChunk, MakeBuffer(env, event.data));
      }
      continue;
    }
    for (uint32_t r = 0; r < kEventRefs; ++r) {
      if (event.text[r].empty()) continue;
      napi_create_string_utf8(env, event.text[r].data(), event.text[r].size(), &value);
      napi_set_element(env, *refs, first_ref + r, value);
    }
  }
  return true;
}

void EventSink::Deliver(napi_env env, napi_value dispatcher) {
  napi_value argv[3];
  bool more = false;
  if (!TakeSlice(env, &argv[0], &argv[1], &more)) return;
  napi_get_boolean(env, more, &argv[2]);
  napi_value global;
  napi_get_global(env, &global);
  napi_value ignored;
  napi_call_function(env, global, dispatcher, 3, argv, &ignored);
}

}  // namespace curlnet
