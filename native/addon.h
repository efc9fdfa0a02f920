// Module entry and per-environment state. Every Node environment (main thread, each
// worker_thread) gets its own Addon instance and therefore its own curl thread.
#pragma once

#include <napi.h>

#include <memory>

#include "engine.h"

namespace curlnet {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  ~Addon();

  // JS-facing functions, implemented in engine_binding.cc.
  Napi::Value InitEngine(const Napi::CallbackInfo& info);
  Napi::Value StartHop(const Napi::CallbackInfo& info);
  Napi::Value WriteUpload(const Napi::CallbackInfo& info);
  Napi::Value EndUpload(const Napi::CallbackInfo& info);
  Napi::Value Acknowledge(const Napi::CallbackInfo& info);
  Napi::Value AbortHop(const Napi::CallbackInfo& info);
  Napi::Value SetConnectionLimits(const Napi::CallbackInfo& info);
  Napi::Value CloseConnections(const Napi::CallbackInfo& info);
  Napi::Value Preconnect(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Versions(const Napi::CallbackInfo& info);
  /** null, or why Negotiate cannot work (the bundled build's GSS-API library is missing). */
  Napi::Value GssapiUnavailable(const Napi::CallbackInfo& info);
  Napi::Value Wake(const Napi::CallbackInfo& info);
  Napi::Value Pull(const Napi::CallbackInfo& info);
  Napi::Value Contract(const Napi::CallbackInfo& info);

 private:
  Engine& RequireEngine(Napi::Env env);
  static void OnEnvironmentCleanup(void* self);
  void StopEngine();

  std::unique_ptr<Engine> engine_;
  napi_env env_;
  bool cleanup_hook_registered_ = false;
};

}  // namespace curlnet
