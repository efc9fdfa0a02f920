#include "addon.h"

#include <curl/curl.h>

#ifdef CURL_NET_BUNDLED
#include "curl_net_bundled_sources.h"  // generated into the dependency prefix
#include "bundled/gssapi_loader.h"
#endif

#include <mutex>

namespace curlnet {
namespace {

std::once_flag global_init_once;

}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) : env_(env) {
  // Process-wide and never undone: other environments may still be using libcurl.
  std::call_once(global_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  DefineAddon(exports, {
      InstanceMethod("init", &Addon::InitEngine),
      InstanceMethod("start", &Addon::StartHop),
      InstanceMethod("write", &Addon::WriteUpload),
      InstanceMethod("endUpload", &Addon::EndUpload),
      InstanceMethod("ack", &Addon::Acknowledge),
      InstanceMethod("abort", &Addon::AbortHop),
      InstanceMethod("configureSession", &Addon::SetConnectionLimits),
      InstanceMethod("closeConnections", &Addon::CloseConnections),
      InstanceMethod("preconnect", &Addon::Preconnect),
      InstanceMethod("ref", &Addon::Ref),
      InstanceMethod("unref", &Addon::Unref),
      InstanceMethod("versions", &Addon::Versions),
      InstanceMethod("gssapiUnavailable", &Addon::GssapiUnavailable),
      InstanceMethod("wake", &Addon::Wake),
      InstanceMethod("pull", &Addon::Pull),
      InstanceMethod("contract", &Addon::Contract),
  });
}

Addon::~Addon() {
  if (cleanup_hook_registered_) napi_remove_env_cleanup_hook(env_, &Addon::OnEnvironmentCleanup, this);
  StopEngine();
}

Engine& Addon::RequireEngine(Napi::Env env) {
  if (!engine_) throw Napi::Error::New(env, "curl-net: the engine is not initialised");
  return *engine_;
}

void Addon::OnEnvironmentCleanup(void* self) {
  auto* addon = static_cast<Addon*>(self);
  addon->cleanup_hook_registered_ = false;
  addon->StopEngine();
}

void Addon::StopEngine() {
  if (engine_) engine_->Stop();
  engine_.reset();
}

Napi::Value Addon::InitEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (engine_) return env.Undefined();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "init(dispatcher, threadNiceIncrement) needs a function");
  // ts/native.ts parses and validates CURL_NET_THREAD_NICE; anything else here is a caller bug.
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "init(dispatcher, threadNiceIncrement) needs a number");
  double nice = info[1].As<Napi::Number>().DoubleValue();
  if (!(nice >= 0 && nice <= 19) || nice != static_cast<int>(nice)) {
    throw Napi::RangeError::New(env, "threadNiceIncrement must be a whole number from 0 to 19");
  }
  auto engine = std::make_unique<Engine>();
  if (engine->Start(env, info[0], static_cast<int>(nice)) != napi_ok) {
    throw Napi::Error::New(env, "curl-net: could not start the curl thread");
  }
  engine_ = std::move(engine);
  // Registered after the threadsafe function exists, so this hook runs before Node's own
  // teardown of that function: the curl thread is joined while the function is still valid.
  napi_add_env_cleanup_hook(env, &Addon::OnEnvironmentCleanup, this);
  cleanup_hook_registered_ = true;
  return env.Undefined();
}

Napi::Value Addon::Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
  Napi::Object out = Napi::Object::New(env);
  out.Set("libcurl", v->version);
  out.Set("ssl", v->ssl_version ? v->ssl_version : "");
  out.Set("libz", v->libz_version ? v->libz_version : "");
  out.Set("nghttp2", v->nghttp2_version ? v->nghttp2_version : "");
  out.Set("brotli", v->brotli_version ? v->brotli_version : "");
#if LIBCURL_VERSION_NUM >= 0x074800
  out.Set("zstd", v->zstd_ver_num ? v->zstd_version : "");
#endif
  Napi::Object features = Napi::Object::New(env);
  features.Set("http2", (v->features & CURL_VERSION_HTTP2) != 0);
  // Response bodies are decoded by the addon itself (content_decoder.h), which always links
  // brotli and zstd, whatever libcurl was built with.
  features.Set("brotli", true);
  features.Set("zstd", true);
  features.Set("ntlm", (v->features & CURL_VERSION_NTLM) != 0);
  features.Set("gssapi", (v->features & CURL_VERSION_GSSAPI) != 0);
  features.Set("spnego", (v->features & CURL_VERSION_SPNEGO) != 0);
  features.Set("httpsProxy", (v->features & CURL_VERSION_HTTPS_PROXY) != 0);
  features.Set("asynchDns", (v->features & CURL_VERSION_ASYNCHDNS) != 0);
  out.Set("features", features);
#ifdef CURL_NET_BUNDLED
  // The exact Debian sources this prebuild was compiled from (scripts/bundled/build-deps.sh).
  struct BundledSource {
    const char* name;
    const char* debianVersion;
    bool debianPatches;
    const char* sha256;
  };
  static const BundledSource kSources[CURL_NET_BUNDLED_SOURCE_COUNT] = {CURL_NET_BUNDLED_SOURCES};
  Napi::Array sources = Napi::Array::New(env, CURL_NET_BUNDLED_SOURCE_COUNT);
  for (uint32_t i = 0; i < CURL_NET_BUNDLED_SOURCE_COUNT; ++i) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", kSources[i].name);
    entry.Set("debianVersion", kSources[i].debianVersion);
    entry.Set("debianPatches", kSources[i].debianPatches);
    entry.Set("sha256", kSources[i].sha256);
    sources.Set(i, entry);
  }
  out.Set("bundledSources", sources);
#endif
  return out;
}

Napi::Value Addon::GssapiUnavailable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef CURL_NET_BUNDLED
  // The prebuild opens the system's GSS-API library on first use (bundled/gssapi_loader.c).
  if (const char* why = curl_net_gssapi_unavailable()) return Napi::String::New(env, why);
#endif
  // A system libcurl links its GSS-API library (if any) at load time: nothing can be missing.
  return env.Null();
}

}  // namespace curlnet

using CurlNetAddon = curlnet::Addon;
NODE_API_ADDON(CurlNetAddon)
