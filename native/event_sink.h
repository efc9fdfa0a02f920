// The single bridge from the curl thread to JS. The curl thread posts each loop turn's events
// into one pending queue; the first post after JS took everything schedules one
// threadsafe-function call, which hands JS a slice of the queue (TakeSlice) and says whether
// more is pending, which JS then pulls itself. One JS entry per burst, never one per chunk.
#pragma once

#include <node_api.h>

#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "chunk_pool.h"
#include "event.h"

namespace curlnet {

class EventSink {
 public:
  EventSink() = default;
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;

  // JS thread. `dispatcher(numbers: ArrayBuffer, refs: Array, more: boolean)` receives each
  // slice (layout: contract.json events).
  napi_status Open(napi_env env, napi_value dispatcher);
  // JS thread: a ref'd sink keeps the Node event loop alive (transfers are in flight).
  void Ref(napi_env env);
  void Unref(napi_env env);
  // JS thread, after the curl thread has stopped posting.
  void Close();

  // curl thread.
  void Post(std::vector<Event>& batch);

  // JS thread: converts the next slice of pending events (at most kSliceBytes of body data or
  // kSliceEvents events), so no single call materialises an unbounded batch. `more` says
  // whether events remain; JS then pulls them itself (binding.pull) after yielding to the
  // event loop. Returns false when there was nothing to take.
  bool TakeSlice(napi_env env, napi_value* numbers, napi_value* refs, bool* more);

  // Where response chunk memory goes back to once JS is done with it.
  const std::shared_ptr<ChunkPool>& pool() const { return pool_; }

 private:
  static void CallJs(napi_env env, napi_value dispatcher, void* context, void* data);
  napi_value MakeBuffer(napi_env env, std::vector<char>& bytes);
  void Deliver(napi_env env, napi_value dispatcher);

  napi_threadsafe_function tsfn_ = nullptr;
  // Shared: finalizers of Buffers may run after the engine is gone.
  std::shared_ptr<ChunkPool> pool_ = std::make_shared<ChunkPool>();
  std::mutex mutex_;
  static constexpr size_t kSliceBytes = 2u << 20;
  static constexpr size_t kSliceEvents = 1024;
  std::deque<Event> pending_;
  bool scheduled_ = false;
  bool refed_ = false;
};

}  // namespace curlnet
