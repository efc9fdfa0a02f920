// The curl thread of one Node environment: a private libuv loop, one SessionMulti per
// session, the hops in flight. The JS thread talks to it only through Post() (commands) and
// the EventSink (events); only this thread touches libcurl handles.
#pragma once

#include <node_api.h>
#include <uv.h>

#include <atomic>
#include <memory>
#include <unordered_map>
#include <vector>

#include "command_queue.h"
#include "event_sink.h"
#include "session_multi.h"
#include "transfer.h"

namespace curlnet {

class Engine : public TransferHost {
 public:
  Engine() = default;
  ~Engine() override;

  // JS thread.
  napi_status Start(napi_env env, napi_value dispatcher);
  // Queues a command. The curl thread only looks at the queue after Wake(): the JS side wakes
  // it once per turn of its own, not once per command, so one burst of JS work (many requests
  // started, many acknowledgements) costs the curl thread one wake-up.
  void Post(Command&& command);
  void Wake();
  // Stops the curl thread and waits for it. Safe to call more than once.
  void Stop();
  EventSink& sink() { return sink_; }

  // TransferHost (curl thread).
  void Emit(Event&& event) override { outbox_.push_back(std::move(event)); }
  void MarkDirty(Transfer* transfer) override { dirty_.push_back(transfer->id()); }
  uint64_t ResponseWindow() const override {
    uint64_t share = Transfer::kResponseBudget / (transfers_.empty() ? 1 : transfers_.size());
    if (share > Transfer::kResponseHighWater) return Transfer::kResponseHighWater;
    return share < Transfer::kMinResponseWindow ? Transfer::kMinResponseWindow : share;
  }

 private:
  static void ThreadMain(void* self);
  static void OnCommands(uv_async_t* async);
  static void OnLoopTurnEnd(uv_check_t* check);

  void RunCommands();
  void StartTransfer(std::unique_ptr<TransferSpec> spec);
  void FinishTransfer(CURL* easy, CURLcode result);
  void DropTransfer(uint32_t id);
  SessionMulti* GetSession(uint32_t id);
  void CloseSession(uint32_t id);
  void FlushEvents();
  void ShutdownOnThread();

  uv_loop_t loop_;
  uv_async_t wake_;
  uv_prepare_t before_poll_;
  uv_check_t turn_end_;
  uv_thread_t thread_;
  bool running_ = false;

  CommandQueue commands_;
  EventSink sink_;

  // Curl-thread state.
  EasyPool easy_pool_;
  std::unordered_map<uint32_t, std::unique_ptr<Transfer>> transfers_;
  std::unordered_map<uint32_t, SessionMulti*> sessions_;
  std::vector<Event> outbox_;
  std::vector<uint32_t> dirty_;
};

}  // namespace curlnet
