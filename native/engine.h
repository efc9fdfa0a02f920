// The curl thread of one Node environment: a private libuv loop, one SessionMulti per
// session, the hops in flight. The JS thread talks to it only through Post() (commands) and
// the EventSink (events); only this thread touches libcurl handles.
#pragma once

#include <node_api.h>
#include <uv.h>

#include <atomic>
#include <memory>
#include <deque>
#include <unordered_map>
#include <vector>

#include "command_queue.h"
#include "event_sink.h"
#include "session_multi.h"
#include "transfer.h"
#include "uv_handle.h"

namespace curlnet {

class Engine : public TransferHost {
 public:
  Engine() = default;
  ~Engine() override;

  // JS thread.
  // thread_nice_increment: how many nice levels below the process the curl thread runs (0-19).
  napi_status Start(napi_env env, napi_value dispatcher, int thread_nice_increment);
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
    return share < kMinResponseWindow ? kMinResponseWindow : share;
  }

 private:
  static void ThreadMain(void* self);
  static void OnCommands(uv_async_t* async);
  static void OnLoopTurnEnd(uv_check_t* check);

  void RunCommands();
  // Applies one command; false once the engine shut down (nothing after it may run).
  bool Apply(Command& command);
  void StartTransfer(std::unique_ptr<TransferSpec> spec);
  void FinishTransfer(CURL* easy, CURLcode result);
  void DropTransfer(uint32_t id);
  SessionMulti* GetSession(uint32_t id);
  // The session's multi handle for hops exempt from its connection limits
  // (--ignore-connections-limit): no per-host or total limit, its own connection pool.
  SessionMulti* GetUnlimitedSession(uint32_t id);
  using SessionMap = std::unordered_map<uint32_t, std::unique_ptr<SessionMulti>>;
  // The session's multi handle in `sessions`, made on first use.
  SessionMulti* SessionIn(SessionMap& sessions, uint32_t id);
  void FlushEvents();
  void ShutdownOnThread();
  // Starts closing the engine's own handles; the loop runs their close callbacks.
  void CloseLoopHandles();

  // Member order matters: members are destroyed bottom-up, and each may only refer to those
  // declared above it. The loop outlives every handle on it; the handles, sessions and
  // transfers are all gone (ShutdownOnThread) before the loop is closed.
  uv_loop_t loop_;
  UvHandle<uv_async_t> wake_;  // the JS thread's uv_async_send target: valid while running_
  UvHandle<uv_prepare_t> before_poll_;
  UvHandle<uv_check_t> turn_end_;
  // Runs the rest of backlog_ on the next loop turn (an idle handle keeps poll from blocking).
  UvHandle<uv_idle_t> more_commands_;
  uv_thread_t thread_;
  bool running_ = false;
  int thread_nice_increment_ = 0;  // read on the JS thread in Start(), applied by the curl thread

  CommandQueue commands_;
  // Curl thread: commands taken from commands_ and not yet applied (see RunCommands).
  std::deque<Command> backlog_;
  EventSink sink_;

  // Curl-thread state. A transfer gives its easy handle back to easy_pool_ and detaches it from
  // its session when destroyed, so transfers_ comes after both (and goes first).
  EasyPool easy_pool_;
  SessionMap sessions_;            // never removed before shutdown
  SessionMap unlimited_sessions_;  // likewise
  std::unordered_map<uint32_t, std::unique_ptr<Transfer>> transfers_;
  std::vector<Event> outbox_;
  std::vector<uint32_t> dirty_;
};

}  // namespace curlnet
