// The JS-facing half of the contract: unpacks arguments into commands. Kept positional and
// flat so starting a hop costs a handful of Node-API calls, not an object walk; only the
// optional per-hop extras are an object, read by the keys contract.json lists. The TS side of
// this contract is ts/native.ts.
#include <napi.h>

#include <cstring>

#include "addon.h"

namespace curlnet {
namespace {

// Arguments are read with one Node-API call each where that is enough: a hop's start reads
// eleven of them on the JS thread, and node-addon-api's IsString() + Utf8Value() would make
// three calls (type, length, copy) for every string.
// The string's UTF-8 bytes, or false when `value` is not a string.
bool Utf8Of(napi_env env, napi_value value, std::string* out) {
  // Most strings (URL, method, header block, proxy) fit; a longer one is measured first.
  char scratch[1024];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, scratch, sizeof(scratch), &length) != napi_ok) return false;
  // Node-API stops before a character that does not fit, up to 3 bytes short of the end: a
  // shorter result is the whole string.
  if (length + 4 < sizeof(scratch)) {
    out->assign(scratch, length);
    return true;
  }
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->assign(length, '\0');
  napi_get_value_string_utf8(env, value, out->data(), length + 1, &length);
  out->resize(length);
  return true;
}

std::string StringArg(const Napi::CallbackInfo& info, size_t index) {
  std::string result;
  if (index < info.Length()) Utf8Of(info.Env(), info[index], &result);
  return result;
}

uint32_t U32Arg(const Napi::CallbackInfo& info, size_t index) {
  uint32_t result = 0;
  if (index >= info.Length() || napi_get_value_uint32(info.Env(), info[index], &result) != napi_ok) return 0;
  return result;
}

double NumberArg(const Napi::CallbackInfo& info, size_t index) {
  double result = 0;
  if (index >= info.Length() || napi_get_value_double(info.Env(), info[index], &result) != napi_ok) return 0;
  return result;
}

std::vector<char> BytesArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Value value = info[index];
  if (!value.IsTypedArray()) return {};
  auto array = value.As<Napi::Uint8Array>();
  const char* data = reinterpret_cast<const char*>(array.Data());
  return std::vector<char>(data, data + array.ByteLength());
}

void ReadExtra(const Napi::Value& value, std::string* out) {
  std::string text;
  if (Utf8Of(value.Env(), value, &text)) *out = std::move(text);
}

void ReadExtra(const Napi::Value& value, long* out) {
  if (value.IsNumber()) *out = static_cast<long>(value.As<Napi::Number>().Int64Value());
}

void ReadExtra(const Napi::Value& value, std::vector<char>* out) {
  if (!value.IsTypedArray()) return;
  auto array = value.As<Napi::Uint8Array>();
  const char* data = reinterpret_cast<const char*>(array.Data());
  out->assign(data, data + array.ByteLength());
}

void ReadExtras(Napi::Object object, HopExtras* extras) {
  ForEachHopExtra(*extras, [&](const char* key, auto* field) { ReadExtra(object.Get(key), field); });
}

}  // namespace

// start(id, sessionId, url, method, headerLines, body, flags, proxy, acceptEncoding, caFile, extras?)
Napi::Value Addon::StartHop(const Napi::CallbackInfo& info) {
  Engine& engine = RequireEngine(info.Env());
  auto spec = std::make_unique<TransferSpec>();
  spec->id = U32Arg(info, 0);
  spec->session_id = U32Arg(info, 1);
  spec->url = StringArg(info, 2);
  spec->method = StringArg(info, 3);
  spec->header_lines = StringArg(info, 4);
  spec->flags = U32Arg(info, 6);
  if (info[5].IsTypedArray()) {
    spec->body_mode = BodyMode::kBuffer;
    spec->body = BytesArg(info, 5);
  } else if (spec->flags & kFlagStreamBody) {
    spec->body_mode = BodyMode::kStream;
  }
  spec->proxy = StringArg(info, 7);
  spec->accept_encoding = StringArg(info, 8);
  spec->ca_file = StringArg(info, 9);
  if (info.Length() > 10 && info[10].IsObject()) {
    spec->given_extras = std::make_unique<HopExtras>();
    ReadExtras(info[10].As<Napi::Object>(), spec->given_extras.get());
  }
  Command command;
  command.type = CommandType::kStart;
  command.spec = std::move(spec);
  engine.Post(std::move(command));
  return info.Env().Undefined();
}

// write(id, bytes): the bytes are copied, so the caller may reuse its buffer at once.
Napi::Value Addon::WriteUpload(const Napi::CallbackInfo& info) {
  Command command;
  command.type = CommandType::kWrite;
  command.id = U32Arg(info, 0);
  command.bytes = BytesArg(info, 1);
  RequireEngine(info.Env()).Post(std::move(command));
  return info.Env().Undefined();
}

Napi::Value Addon::EndUpload(const Napi::CallbackInfo& info) {
  Command command;
  command.type = CommandType::kEndUpload;
  command.id = U32Arg(info, 0);
  RequireEngine(info.Env()).Post(std::move(command));
  return info.Env().Undefined();
}

Napi::Value Addon::Acknowledge(const Napi::CallbackInfo& info) {
  Command command;
  command.type = CommandType::kAck;
  command.id = U32Arg(info, 0);
  command.acknowledged_bytes = static_cast<uint64_t>(NumberArg(info, 1));
  RequireEngine(info.Env()).Post(std::move(command));
  return info.Env().Undefined();
}

Napi::Value Addon::AbortHop(const Napi::CallbackInfo& info) {
  Command command;
  command.type = CommandType::kAbort;
  command.id = U32Arg(info, 0);
  RequireEngine(info.Env()).Post(std::move(command));
  return info.Env().Undefined();
}

// configureSession(sessionId, maxConnectionsPerHost, maxConnections): 0 = no limit.
Napi::Value Addon::SetConnectionLimits(const Napi::CallbackInfo& info) {
  Command command;
  command.type = CommandType::kSetConnectionLimits;
  command.id = U32Arg(info, 0);
  command.max_connections_per_host = static_cast<long>(NumberArg(info, 1));
  command.max_connections = static_cast<long>(NumberArg(info, 2));
  RequireEngine(info.Env()).Post(std::move(command));
  return info.Env().Undefined();
}

Napi::Value Addon::CloseConnections(const Napi::CallbackInfo& info) {
  Command command;
  command.type = CommandType::kCloseConnections;
  command.id = U32Arg(info, 0);
  RequireEngine(info.Env()).Post(std::move(command));
  return info.Env().Undefined();
}

// preconnect(sessionId, address, port, count, idleMs): address is numeric (JS resolved it).
Napi::Value Addon::Preconnect(const Napi::CallbackInfo& info) {
  Command command;
  command.type = CommandType::kPreconnect;
  command.id = U32Arg(info, 0);
  if (info.Length() < 2 || !info[1].IsString()) throw Napi::TypeError::New(info.Env(), "preconnect: address must be a string");
  command.address = info[1].As<Napi::String>().Utf8Value();
  command.port = static_cast<int>(NumberArg(info, 2));
  command.count = static_cast<int>(NumberArg(info, 3));
  command.idle_ms = static_cast<uint64_t>(NumberArg(info, 4));
  RequireEngine(info.Env()).Post(std::move(command));
  return info.Env().Undefined();
}

Napi::Value Addon::Wake(const Napi::CallbackInfo& info) {
  if (engine_) engine_->Wake();
  return info.Env().Undefined();
}

// pull() → [numbers, refs, more] | undefined: the next slice of events, taken by JS itself.
Napi::Value Addon::Pull(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!engine_) return env.Undefined();
  napi_value numbers, refs;
  bool more = false;
  if (!engine_->sink().TakeSlice(env, &numbers, &refs, &more)) return env.Undefined();
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Value(env, numbers));
  result.Set(1u, Napi::Value(env, refs));
  result.Set(2u, Napi::Boolean::New(env, more));
  return result;
}

// contract() → { group: { name: value } }: the contract.json values this addon was compiled
// with, for ts/native.ts to compare with its own before it sends a single command.
Napi::Value Addon::Contract(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object contract = Napi::Object::New(env);
  for (const ContractEntry& entry : kContractEntries) {
    Napi::Value group = contract.Get(entry.group);
    if (!group.IsObject()) {
      group = Napi::Object::New(env);
      contract.Set(entry.group, group);
    }
    group.As<Napi::Object>().Set(entry.name, Napi::Number::New(env, entry.value));
  }
  return contract;
}

Napi::Value Addon::Ref(const Napi::CallbackInfo& info) {
  RequireEngine(info.Env()).sink().Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value Addon::Unref(const Napi::CallbackInfo& info) {
  RequireEngine(info.Env()).sink().Unref(info.Env());
  return info.Env().Undefined();
}

}  // namespace curlnet
