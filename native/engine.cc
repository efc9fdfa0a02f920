#include "engine.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace curlnet {
namespace {

// The curl thread runs at a lower priority than the JS thread. Where the two share a core, a
// timer or input event on the JS thread otherwise waits out the curl thread's time slice: 64
// downloads on one core gave event-loop delay p99 4.1-4.8 ms at equal priority and 1.5-2.6 ms
// at +10, at the same throughput. A thread's nice value only weighs it against threads of the
// same scheduling group (the process's session autogroup or its cgroup), and the thread still
// gets every cycle nobody else in that group wants. Of +0, +5 and +10 through the benchmark
// harness, only +10 kept that delay under 3 ms (4.8 / 3.4 / 2.1 ms); the unpinned h1 cell moved
// within its run-to-run spread at all three (benchmarks/results/issue16-thread-nice3-*.json).
// ts/native.ts chooses the increment (10 unless CURL_NET_THREAD_NICE says otherwise).
constexpr int kMaxNice = 19;

void LowerThisThreadsPriority(int increment) {
#ifdef __linux__
  if (increment <= 0) return;
  // Linux keeps a nice value per thread: PRIO_PROCESS with a thread id changes only that thread.
  id_t tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  setpriority(PRIO_PROCESS, tid, std::min(current + increment, kMaxNice));
#else
  (void)increment;
#endif
}

}  // namespace

Engine::~Engine() { Stop(); }

napi_status Engine::Start(napi_env env, napi_value dispatcher, int thread_nice_increment) {
  napi_status status = sink_.Open(env, dispatcher);
  if (status != napi_ok) return status;
  // Everything is initialised here, before the thread exists, so Post() can never race it.
  thread_nice_increment_ = thread_nice_increment;
  uv_loop_init(&loop_);
  wake_.Init([this](uv_async_t* async) {
    async->data = this;
    return uv_async_init(&loop_, async, &Engine::OnCommands);
  });
  // Events are handed over twice per loop turn: before the loop blocks in poll (timer-driven
  // progress, e.g. a hop that fails before it has a socket) and after poll (socket and
  // command activity). Anything later would strand them until the next wake-up.
  before_poll_.Init([this](uv_prepare_t* prepare) {
    prepare->data = this;
    return uv_prepare_init(&loop_, prepare);
  });
  uv_prepare_start(before_poll_.get(), [](uv_prepare_t* h) { static_cast<Engine*>(h->data)->FlushEvents(); });
  turn_end_.Init([this](uv_check_t* check) {
    check->data = this;
    return uv_check_init(&loop_, check);
  });
  uv_check_start(turn_end_.get(), &Engine::OnLoopTurnEnd);
  more_commands_.Init([this](uv_idle_t* idle) {
    idle->data = this;
    return uv_idle_init(&loop_, idle);
  });
  if (uv_thread_create(&thread_, &Engine::ThreadMain, this) != 0) {
    CloseLoopHandles();
    uv_run(&loop_, UV_RUN_DEFAULT);  // runs the close callbacks
    uv_loop_close(&loop_);
    sink_.Close();
    return napi_generic_failure;
  }
  running_ = true;
  return napi_ok;
}

void Engine::Post(Command&& command) {
  commands_.Push(std::move(command));
}

void Engine::Wake() {
  // uv_async_send coalesces: one wake-up drains every command queued so far.
  if (running_) uv_async_send(wake_.get());
}

void Engine::Stop() {
  if (!running_) return;
  Command shutdown;
  shutdown.type = CommandType::kShutdown;
  Post(std::move(shutdown));
  Wake();
  uv_thread_join(&thread_);
  running_ = false;
  uv_loop_close(&loop_);
  sink_.Close();
}

void Engine::ThreadMain(void* self) {
  prctl(PR_SET_NAME, "curl-net", 0, 0, 0);
  LowerThisThreadsPriority(static_cast<Engine*>(self)->thread_nice_increment_);
  auto* engine = static_cast<Engine*>(self);
  uv_run(&engine->loop_, UV_RUN_DEFAULT);
}

void Engine::OnCommands(uv_async_t* async) { static_cast<Engine*>(async->data)->RunCommands(); }

void Engine::OnLoopTurnEnd(uv_check_t* check) { static_cast<Engine*>(check->data)->FlushEvents(); }

// Hops started per loop turn. Each costs the curl thread some 10 µs to configure and as much
// again to send; a burst of 256 taken at once reached JS only after all of it was configured
// and sent. In parts, libcurl sends the first part on the next turn while the rest wait, and
// its answers come back while the burst is still being started: with a busy JS thread (the
// benchmark's 8 ms slices), only answers that arrive in the gap between two slices let it start
// the next requests before the next slice. Smaller parts (16) cost a pinned core a fifth of its
// throughput in extra loop turns and wake-ups; bursts of up to 64 are not split at all.
constexpr int kStartsPerTurn = 64;

void Engine::RunCommands() {
  for (Command& command : commands_.Drain()) backlog_.push_back(std::move(command));
  int starts = 0;
  while (!backlog_.empty()) {
    // Commands keep their order: whatever follows a deferred start waits with it.
    if (backlog_.front().type == CommandType::kStart && starts == kStartsPerTurn) break;
    Command command = std::move(backlog_.front());
    backlog_.pop_front();
    if (command.type == CommandType::kStart) ++starts;
    if (!Apply(command)) return;
  }
  if (backlog_.empty()) {
    uv_idle_stop(more_commands_.get());
  } else {
    uv_idle_start(more_commands_.get(), [](uv_idle_t* idle) { static_cast<Engine*>(idle->data)->RunCommands(); });
  }
}

bool Engine::Apply(Command& command) {
  switch (command.type) {
    case CommandType::kStart:
      StartTransfer(std::move(command.spec));
      break;
    case CommandType::kWrite: {
      auto it = transfers_.find(command.id);
      if (it != transfers_.end()) it->second->AppendUpload(std::move(command.bytes));
      break;
    }
    case CommandType::kEndUpload: {
      auto it = transfers_.find(command.id);
      if (it != transfers_.end()) it->second->EndUpload();
      break;
    }
    case CommandType::kAck: {
      auto it = transfers_.find(command.id);
      if (it != transfers_.end() && it->second->Acknowledge(command.acknowledged_bytes)) DropTransfer(command.id);
      break;
    }
    case CommandType::kAbort:
      DropTransfer(command.id);
      break;
    case CommandType::kSetConnectionLimits:
      GetSession(command.id)->SetLimits(command.max_connections_per_host, command.max_connections);
      break;
    case CommandType::kCloseConnections: {
      // Only idle connections can go without failing a hop: recreate the pool when the
      // session has nothing in flight, otherwise leave it (libcurl ages connections out).
      bool busy = false;
      for (auto& entry : transfers_) busy = busy || entry.second->session_id() == command.id;
      auto it = sessions_.find(command.id);
      // Preconnected sockets belong to no hop: they always go.
      if (it != sessions_.end()) it->second->preconnects().Clear();
      if (!busy && it != sessions_.end()) it->second->Reset();
      auto unlimited = unlimited_sessions_.find(command.id);
      if (!busy && unlimited != unlimited_sessions_.end()) unlimited->second->Reset();
      break;
    }
    case CommandType::kPreconnect:
      GetSession(command.id)->preconnects().Open(command.address.c_str(), command.port, command.count, command.idle_ms);
      break;
    case CommandType::kShutdown:
      ShutdownOnThread();
      return false;
  }
  return true;
}

SessionMulti* Engine::GetSession(uint32_t id) { return SessionIn(sessions_, id); }

SessionMulti* Engine::GetUnlimitedSession(uint32_t id) { return SessionIn(unlimited_sessions_, id); }

SessionMulti* Engine::SessionIn(SessionMap& sessions, uint32_t id) {
  std::unique_ptr<SessionMulti>& session = sessions[id];
  if (!session) {
    session = std::make_unique<SessionMulti>(&loop_, id, [this](CURL* easy, CURLcode result) {
      FinishTransfer(easy, result);
    });
  }
  return session.get();
}

void Engine::StartTransfer(std::unique_ptr<TransferSpec> spec) {
  uint32_t id = spec->id;
  SessionMulti* session =
      (spec->flags & kFlagIgnoreLimits) ? GetUnlimitedSession(spec->session_id) : GetSession(spec->session_id);
  auto transfer = std::make_unique<Transfer>(this, session, &easy_pool_, sink_.pool().get(), std::move(spec));
  std::string error;
  if (!transfer->Configure(&error) || !session->Add(transfer->easy())) {
    Event done(EventType::kDone, id);
    done.num[kDoneCurlCode] = CURLE_FAILED_INIT;
    done.text[kDoneRefErrorText] = error.empty() ? "could not start the transfer" : error;
    Emit(std::move(done));
    return;
  }
  transfers_[id] = std::move(transfer);
}

void Engine::FinishTransfer(CURL* easy, CURLcode result) {
  Transfer* transfer = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&transfer));
  if (!transfer) return;
  if (!transfer->Complete(result)) {
    // Decoded body bytes still wait for room in the window: libcurl is done with the handle,
    // the transfer ends in a later Acknowledge() (or an abort).
    transfer->session()->Remove(easy);
    return;
  }
  DropTransfer(transfer->id());
}

void Engine::DropTransfer(uint32_t id) {
  transfers_.erase(id);  // the transfer detaches its easy handle from the session
}

void Engine::FlushEvents() {
  if (!dirty_.empty()) {
    std::vector<uint32_t> dirty;
    dirty.swap(dirty_);
    for (uint32_t id : dirty) {
      auto it = transfers_.find(id);
      if (it != transfers_.end()) it->second->Flush();
    }
  }
  sink_.Post(outbox_);
}

void Engine::ShutdownOnThread() {
  // Transfers before sessions: each detaches its easy handle from its session's multi handle.
  transfers_.clear();
  backlog_.clear();  // commands after the shutdown: nobody waits for them any more
  sessions_.clear();  // cleans up the multi handles, closes their timers and polls
  unlimited_sessions_.clear();
  easy_pool_.Clear();
  outbox_.clear();
  dirty_.clear();
  CloseLoopHandles();
  // uv_run returns once every close callback (these handles, the sessions') has run.
}

void Engine::CloseLoopHandles() {
  wake_.Close();
  more_commands_.Close();
  turn_end_.Close();
  before_poll_.Close();
}

}  // namespace curlnet
