// One hop: a libcurl easy handle plus everything its callbacks need. Lives on the curl thread
// only. The transfer turns libcurl's callbacks into events and applies flow control in both
// directions (response bytes not yet consumed by JS; upload bytes not yet given to JS).
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunk_pool.h"
#include "content_decoder.h"
#include "easy_pool.h"
#include "event.h"
#include "request_header_list.h"
#include "response_head.h"
#include "tls_watch.h"
#include "transfer_spec.h"

namespace curlnet {

class TransferHost {
 public:
  virtual ~TransferHost() = default;
  virtual void Emit(Event&& event) = 0;
  // The transfer has buffered response bytes or upload accounting to flush at the end of
  // this loop turn.
  virtual void MarkDirty(class Transfer* transfer) = 0;
  // Response bytes one transfer may have outstanding in JS before it is paused: a fixed
  // budget shared by all transfers in flight, within [kMinResponseWindow, kResponseHighWater].
  virtual uint64_t ResponseWindow() const = 0;
};

class Transfer {
 public:
  // Response bytes JS may hold unconsumed before libcurl is paused, and the level at which
  // it resumes. Large enough that a reading consumer never causes a pause. (The smallest
  // window, kMinResponseWindow, is in the contract: JS's acknowledgement step depends on it.)
  static constexpr uint64_t kResponseHighWater = 2u << 20;
  static constexpr uint64_t kResponseBudget = 32u << 20;
  // A streamed upload keeps what libcurl has read, up to this much, so libcurl can rewind for
  // its own retries (dead reused connection, auth rounds it runs itself).
  static constexpr uint64_t kReplayLimit = 1u << 20;

  Transfer(TransferHost* host, class SessionMulti* session, EasyPool* pool, ChunkPool* chunks,
           std::unique_ptr<TransferSpec> spec);
  ~Transfer();
  // A transfer's memory is recycled (transfer.cc): just over 1 KB allocated and freed per hop,
  // a "large" request for glibc, was where the curl thread's malloc consolidated its fast bins.
  static void* operator new(size_t size);
  static void operator delete(void* memory, size_t size);
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Takes an easy handle and configures it. Returns false (with error text) on failure.
  bool Configure(std::string* error);

  CURL* easy() const { return easy_; }
  uint32_t id() const { return facts_.id; }
  uint32_t session_id() const { return facts_.session_id; }
  class SessionMulti* session() const { return session_; }

  // Commands from JS, applied on the curl thread.
  void AppendUpload(std::vector<char>&& bytes);
  void EndUpload();
  // Returns true when the transfer has ended with this (its completion event is emitted): it
  // was only waiting to deliver the rest of a decoded body, or decoding failed.
  bool Acknowledge(uint64_t bytes);

  // End of a loop turn: hand buffered body bytes and upload accounting to the host.
  void Flush();
  // libcurl finished the hop: flush, then describe the outcome. Returns false when the
  // outcome waits for the reader: libcurl received the whole encoded body, but the decoded
  // rest does not fit the response window yet. The easy handle is done with either way; the
  // transfer ends in a later Acknowledge().
  bool Complete(CURLcode result);

 private:
  static size_t WriteCallback(char* data, size_t size, size_t count, void* self);
  static size_t HeaderCallback(char* data, size_t size, size_t count, void* self);
  static size_t ReadCallback(char* buffer, size_t size, size_t count, void* self);
  static int SeekCallback(void* self, curl_off_t offset, int origin);
  static int DebugCallback(CURL* easy, curl_infotype type, char* data, size_t size, void* self);
  static int PrereqCallback(void* self, char* primary_ip, char* local_ip, int primary_port, int local_port);

  size_t OnWrite(const char* data, size_t length);
  size_t OnEncodedWrite(const char* data, size_t length);
  // Decodes from [*input, *input + *input_size) into pending_body_ as far as the response
  // window allows. Returns true when it stopped for lack of room (more may be held back).
  bool DecodeIntoWindow(const char** input, size_t* input_size);
  bool DecodeBacklogged() const { return decode_stalled_ || encoded_backlog_offset_ < encoded_backlog_.size(); }
  void AddBody(size_t length);
  Event BuildDone(CURLcode result);
  void EmitDone(Event&& done);
  size_t OnHeader(const char* data, size_t length);
  size_t OnRead(char* buffer, size_t length);
  int OnSeek(curl_off_t offset);

  bool GateOn() const { return facts_.certificate_gate != 0; }
  bool PassesCertificateGate(curl_socket_t fd);
  bool ShouldDeferCommit(const ResponseHead& head) const;
  void CommitHead();
  void ReportUploadProgress(bool force);
  void QueueUpload(std::vector<char>&& bytes);
  void SetPause(int bits_on, int bits_off);

  // The parts of Configure.
  bool ConfigureRequest(std::string* error);  // URL, callbacks, sockets, protocol
  void ConfigureProxy();
  void ConfigureAuth();
  void ConfigureTls();
  void ConfigureBody();  // method and request body

  TransferHost* host_;
  class SessionMulti* session_;  // outlives the transfer (Engine's member order)
  EasyPool* pool_;               // outlives the transfer (Engine's member order)
  ChunkPool* chunks_;            // the event sink's, which outlives the engine's transfers
  // The hop as JS sent it; freed by Configure once libcurl holds its own copies (an open
  // response would otherwise keep most of a kilobyte of URL, header lines and credentials).
  std::unique_ptr<TransferSpec> spec_;
  // What the spec still decides after Configure.
  struct HopFacts {
    uint32_t id = 0;
    uint32_t session_id = 0;
    uint32_t flags = 0;  // SpecFlags (contract.h)
    BodyMode body_mode = BodyMode::kNone;
    bool via_proxy = false;
    bool http_auth = false;   // libcurl holds server credentials (may answer a 401 itself)
    bool proxy_auth = false;  // likewise for a 407
    bool watch_certificate_request = false;
    long certificate_gate = 0;
  } facts_;
  // What few hops need: kept out of line so an open response does not carry four empty strings.
  struct Rare {
    std::string accepted_chains;    // certificate gate: the chains JS accepted, '|'-separated
    std::string tls_info;           // observed hops: the last TLS handshake's summary
    std::string connect_challenges; // Proxy-Authenticate challenges of a refused CONNECT
    // Certificate gate: the chain of a connection whose chain was not accepted, or of a pooled
    // connection the gate never saw (no request was sent in either case).
    std::string held_chain;
  };
  std::unique_ptr<Rare> rare_;
  Rare& rare() {
    if (!rare_) rare_ = std::make_unique<Rare>();
    return *rare_;
  }
  // Taken from pool_ by Configure; on destruction detached from session_ and given back.
  CURL* easy_ = nullptr;
  RequestHeaderList headers_;  // CURLOPT_HTTPHEADER, alive as long as the handle uses it
  curl_slist* connect_to_ = nullptr;  // CURLOPT_CONNECT_TO, alive as long as the handle uses it
  curl_slist* resolve_ = nullptr;     // CURLOPT_RESOLVE, likewise
  char error_buffer_[CURL_ERROR_SIZE] = {};
  int pause_bits_ = 0;

  // Response side.
  ResponseHeadParser parser_;
  bool block_ready_ = false;     // a complete final-status block waits to be committed
  bool tunnel_pending_ = false;  // CONNECT responses come first
  bool unknown_connection_ = false;
  bool certificate_requested_ = false;  // watchCertificateRequest: the server asked for one
  TlsWatch tls_watch_;                  // staples and verification failures, per handshake
  bool head_committed_ = false;
  bool head_chunked_ = false;
  bool headers_too_big_ = false;
  bool multiple_locations_ = false;
  bool multiple_content_length_ = false;
  uint64_t header_bytes_ = 0;
  std::vector<char> pending_body_;
  // Content decoding (a response with a Content-Encoding we decode). libcurl delivers raw
  // bytes; what the window has no room for yet stays encoded in encoded_backlog_.
  std::unique_ptr<ContentDecoder> decoder_;
  std::string decoder_refusal_;  // the codings cannot be decoded: fails a body, if one comes
  std::string decode_error_;     // set once decoding failed; the transfer fails with it
  std::vector<char> encoded_backlog_;
  size_t encoded_backlog_offset_ = 0;
  bool decode_stalled_ = false;  // the decoder stopped for lack of room, not of input
  std::unique_ptr<Event> deferred_done_;  // libcurl finished; decoded bytes still to deliver
  uint64_t unacknowledged_ = 0;  // delivered or pending, not yet consumed by JS
  uint64_t body_bytes_ = 0;
  bool dirty_ = false;

  // Upload side. Offsets are absolute positions in the body.
  // Made with the first body bytes: libstdc++'s deque allocates even when empty (a map and a
  // 512-byte node), and most hops send no body (nor keep room for one: 80 bytes inline).
  std::unique_ptr<std::deque<std::vector<char>>> upload_chunks_;
  uint64_t upload_base_ = 0;      // absolute offset of upload_chunks_.front()
  uint64_t upload_read_ = 0;      // absolute offset libcurl reads next
  uint64_t upload_received_ = 0;  // bytes JS has handed over
  uint64_t upload_reported_ = 0;  // upload_read_ already reported as consumed
  bool upload_ended_ = false;
  bool upload_rewindable_ = true;
  uint64_t last_progress_ms_ = 0;
  uint64_t last_progress_value_ = UINT64_MAX;
};

}  // namespace curlnet
