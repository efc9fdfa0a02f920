#include "transfer.h"

#include "error_snapshot.h"
#include "session_multi.h"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <new>
#include <string_view>
#include <vector>

namespace curlnet {
namespace {

// Chromium refuses response heads larger than this (net::ERR_RESPONSE_HEADERS_TOO_BIG).
constexpr uint64_t kMaxResponseHeaderBytes = 256u * 1024u;
// libcurl's receive and upload buffer sizes per hop.
constexpr long kReceiveBufferSize = static_cast<long>(ChunkPool::kBulkCapacity);
constexpr long kUploadBufferSize = 256 * 1024;
// Consumed upload bytes are reported to JS in steps of kUploadReportStep (contract.json), at
// most half of JS's kUploadWindow, so writes are released before libcurl runs dry.
static_assert(kUploadReportStep * 2 <= kUploadWindow, "contract.json uploadReportStep");
// Chromium reports upload progress at most this often.
constexpr uint64_t kUploadProgressIntervalMs = 100;

uint64_t NowMs() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// Freed transfers' memory, for the next ones. Process-wide (every engine's transfers are the
// same size) and never destroyed, so a transfer deleted during exit still finds it. Under
// AddressSanitizer memory is not recycled, so a use after free is still caught.
class RecycledTransfers {
 public:
  static constexpr size_t kKeep = 256;

  RecycledTransfers() { free_.reserve(kKeep); }

  void* Take(size_t size) {
#ifndef __SANITIZE_ADDRESS__
    std::lock_guard<std::mutex> lock(mutex_);
    if (size == sizeof(Transfer) && !free_.empty()) {
      void* memory = free_.back();
      free_.pop_back();
      return memory;
    }
#endif
    return ::operator new(size);
  }

  void Give(void* memory, size_t size) {
#ifndef __SANITIZE_ADDRESS__
    std::lock_guard<std::mutex> lock(mutex_);
    if (size == sizeof(Transfer) && free_.size() < kKeep) {
      free_.push_back(memory);
      return;
    }
#endif
    ::operator delete(memory, size);
  }

 private:
  std::mutex mutex_;
  std::vector<void*> free_;
};

RecycledTransfers& Recycled() {
  static RecycledTransfers* const recycled = new RecycledTransfers();
  return *recycled;
}

bool IsHttps(const std::string& url) { return strncasecmp(url.c_str(), "https:", 6) == 0; }

}  // namespace

Transfer::Transfer(TransferHost* host, SessionMulti* session, EasyPool* pool, ChunkPool* chunks,
                   std::unique_ptr<TransferSpec> spec)
    : host_(host), session_(session), pool_(pool), chunks_(chunks), spec_(std::move(spec)) {
  facts_.id = spec_->id;
  facts_.session_id = spec_->session_id;
  facts_.flags = spec_->flags;
  facts_.body_mode = spec_->body_mode;
  facts_.via_proxy = !spec_->proxy.empty();
  const HopExtras& extras = spec_->extras();
  facts_.http_auth = extras.http_auth != 0;
  facts_.proxy_auth = extras.proxy_auth != 0;
  facts_.watch_certificate_request = extras.watch_certificate_request != 0;
  facts_.certificate_gate = extras.certificate_gate;
  if (spec_->given_extras && !spec_->given_extras->accepted_chains.empty()) {
    rare().accepted_chains = std::move(spec_->given_extras->accepted_chains);
  }
  // Header blocks before the connection is ready (CURLOPT_PREREQFUNCTION) can only be
  // responses to a proxy's CONNECT. A reused tunnel has none.
  tunnel_pending_ = facts_.via_proxy;
  if (spec_->body_mode == BodyMode::kBuffer) {
    upload_received_ = spec_->body.size();
    QueueUpload(std::move(spec_->body));
    upload_ended_ = true;
  }
}

void* Transfer::operator new(size_t size) { return Recycled().Take(size); }

void Transfer::operator delete(void* memory, size_t size) { Recycled().Give(memory, size); }

Transfer::~Transfer() {
  if (easy_) {
    session_->Remove(easy_);  // a no-op if it was never added
    pool_->Give(easy_);
  }
  if (connect_to_) curl_slist_free_all(connect_to_);
  if (resolve_) curl_slist_free_all(resolve_);
}

bool Transfer::Configure(std::string* error) {
  easy_ = pool_->Take();
  if (!easy_) {
    *error = "curl_easy_init failed";
    return false;
  }
  if (!ConfigureRequest(error)) return false;
  ConfigureProxy();
  ConfigureAuth();
  ConfigureTls();
  ConfigureBody();
  bool sends_body = spec_->body_mode != BodyMode::kNone || (spec_->flags & kFlagForceContentLength);
  if (!headers_.Build(spec_->header_lines, sends_body)) {
    *error = "out of memory building the request headers";
    return false;
  }
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_.list());
  // libcurl has its own copies of every string option, headers_ its own of the header lines;
  // what the spec still decides is in facts_.
  spec_.reset();
  return true;
}

bool Transfer::ConfigureRequest(std::string* error) {
  CURL* h = easy_;
  const TransferSpec& s = *spec_;
  const HopExtras& extras = s.extras();
  curl_easy_setopt(h, CURLOPT_PRIVATE, this);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer_);
  CURLcode rc = curl_easy_setopt(h, CURLOPT_URL, s.url.c_str());
  if (rc != CURLE_OK) {
    *error = curl_easy_strerror(rc);
    return false;
  }
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  // Redirects and login are decided per hop by the TS layer. (libcurl's cookie engine is never
  // switched on: no CURLOPT_COOKIEFILE.)
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  // The URL was normalised by the WHATWG parser already; send it exactly.
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Transfer::WriteCallback);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Transfer::HeaderCallback);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, this);
  if (tunnel_pending_ || GateOn()) {
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, &Transfer::PrereqCallback);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, this);
  }
  curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &SessionMulti::CloseSocket);
  curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, session_);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &SessionMulti::OpenSocket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, session_);
  curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, &SessionMulti::SockOpt);
  curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, session_);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 45L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 45L);

  // Decoding is always on (as in Chromium); the advertised list depends on the origin. libcurl
  // sends Accept-Encoding but delivers the body as received: the transfer decodes it itself,
  // in steps the response window allows (content_decoder.h says why).
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, s.accept_encoding.c_str());
  curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (IsHttps(s.url)) curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
  // libcurl's 16 KiB default halves bulk throughput on fast links; the buffer's pages are only
  // touched as far as data arrives, so small responses do not pay for its size.
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, kReceiveBufferSize);
  if (extras.stream_weight > 0) curl_easy_setopt(h, CURLOPT_STREAM_WEIGHT, extras.stream_weight);
  if (extras.connect_timeout_ms > 0) curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, extras.connect_timeout_ms);
  if (extras.max_recv_speed > 0) curl_easy_setopt(h, CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(extras.max_recv_speed));
  if (extras.max_send_speed > 0) curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(extras.max_send_speed));
  // libcurl's DNS cache lives in the multi handle and has no flush: an entry is stale for a hop
  // once it is as old as the hop's DNS_CACHE_TIMEOUT, so a timeout of the whole seconds since
  // the clear makes every answer from before it stale (and a few from just after, re-resolved).
  if (extras.resolver_cleared_ms_ago > 0) {
    curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, extras.resolver_cleared_ms_ago / 1000);
  }
  if (s.flags & kFlagObserved) {
    // What an observer (NetLog) records about TLS: libcurl's handshake summary through the
    // debug callback (VERBOSE sends it there, not to stderr), and the certificate chain.
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &Transfer::DebugCallback);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, this);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    if (IsHttps(s.url)) curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
  }
  if (!extras.connect_to.empty()) {
    connect_to_ = curl_slist_append(nullptr, extras.connect_to.c_str());
    if (connect_to_ == nullptr) {
      *error = "out of memory";
      return false;
    }
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to_);
  }
  if (!extras.resolve.empty()) {
    resolve_ = curl_slist_append(nullptr, extras.resolve.c_str());
    if (resolve_ == nullptr) {
      *error = "out of memory";
      return false;
    }
    curl_easy_setopt(h, CURLOPT_RESOLVE, resolve_);
  }
  return true;
}

void Transfer::ConfigureProxy() {
  CURL* h = easy_;
  const TransferSpec& s = *spec_;
  // Always explicit so http_proxy/no_proxy in the environment never apply behind the caller's
  // back.
  curl_easy_setopt(h, CURLOPT_PROXY, s.proxy.c_str());
  curl_easy_setopt(h, CURLOPT_NOPROXY, "");
}

// Credentials offered up front, to the server and to the proxy.
void Transfer::ConfigureAuth() {
  CURL* h = easy_;
  const TransferSpec& s = *spec_;
  const HopExtras& extras = s.extras();
  if (extras.http_auth != 0) {
    curl_easy_setopt(h, CURLOPT_USERNAME, extras.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, extras.password.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, extras.http_auth);
  }
  if (extras.gssapi_delegation != 0) curl_easy_setopt(h, CURLOPT_GSSAPI_DELEGATION, extras.gssapi_delegation);
  if (!s.proxy.empty() && extras.proxy_auth != 0) {
    curl_easy_setopt(h, CURLOPT_PROXYUSERNAME, extras.proxy_username.c_str());
    curl_easy_setopt(h, CURLOPT_PROXYPASSWORD, extras.proxy_password.c_str());
    curl_easy_setopt(h, CURLOPT_PROXYAUTH, extras.proxy_auth);
  }
}

// Which CAs verify the server and an HTTPS proxy; the certificate gate; the session's TLS
// versions and ciphers; a client certificate.
void Transfer::ConfigureTls() {
  CURL* h = easy_;
  const TransferSpec& s = *spec_;
  const HopExtras& extras = s.extras();
  if (GateOn()) {
    // The chain of every new connection is collected (as PEM) for the gate in PrereqCallback.
    curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
    if (extras.certificate_gate == 2) {
      // Only for chains the session's verify proc accepted, which libcurl would refuse: the
      // gate, not libcurl, then decides whether a request goes over the connection. A
      // different verifypeer setting also keeps these connections out of every other hop's
      // reach (libcurl's pool matches connections by their TLS configuration).
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  if (extras.fresh_connect != 0) curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
  bool https_proxy = IsHttps(s.proxy);
  if ((https_proxy || IsHttps(s.url)) && TlsWatch::Available()) tls_watch_.Attach(h, https_proxy);
  if (extras.watch_certificate_request != 0) {
    // libcurl hands OpenSSL's handshake messages to the debug callback only when verbose.
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &Transfer::DebugCallback);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, this);
  }
  // The session's SSL configuration covers every TLS connection, an HTTPS proxy's too.
  if (extras.ssl_version != 0) {
    curl_easy_setopt(h, CURLOPT_SSLVERSION, extras.ssl_version);
    curl_easy_setopt(h, CURLOPT_PROXY_SSLVERSION, extras.ssl_version);
  }
  if (!extras.ssl_cipher_list.empty()) {
    curl_easy_setopt(h, CURLOPT_SSL_CIPHER_LIST, extras.ssl_cipher_list.c_str());
    curl_easy_setopt(h, CURLOPT_PROXY_SSL_CIPHER_LIST, extras.ssl_cipher_list.c_str());
  }
  if (!extras.tls13_ciphers.empty()) {
    curl_easy_setopt(h, CURLOPT_TLS13_CIPHERS, extras.tls13_ciphers.c_str());
    curl_easy_setopt(h, CURLOPT_PROXY_TLS13_CIPHERS, extras.tls13_ciphers.c_str());
  }
  if (!extras.client_cert.empty()) {
    // Blobs, copied by libcurl: a private key never touches the disk. libcurl's pool matches
    // connections by these too, so a connection with one identity never serves another.
    curl_blob cert{const_cast<char*>(extras.client_cert.data()), extras.client_cert.size(), CURL_BLOB_COPY};
    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, extras.client_cert_type.empty() ? "PEM" : extras.client_cert_type.c_str());
    if (!extras.client_key.empty()) {
      curl_blob key{const_cast<char*>(extras.client_key.data()), extras.client_key.size(), CURL_BLOB_COPY};
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!extras.client_key_password.empty()) curl_easy_setopt(h, CURLOPT_KEYPASSWD, extras.client_key_password.c_str());
  }
  if (!s.ca_file.empty()) {
    // CAINFO alone keeps libcurl's cached X509 store usable across connections.
    curl_easy_setopt(h, CURLOPT_CAINFO, s.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
  }
  if (s.proxy.empty()) return;
  const std::string& proxy_ca = extras.proxy_ca_file.empty() ? s.ca_file : extras.proxy_ca_file;
  if (!proxy_ca.empty()) {
    curl_easy_setopt(h, CURLOPT_PROXY_CAINFO, proxy_ca.c_str());
    curl_easy_setopt(h, CURLOPT_PROXY_CAPATH, nullptr);
  }
  if (!extras.proxy_pinned_public_key.empty()) {
    // An HTTPS proxy's key must be one the session's verify proc accepted. libcurl checks the
    // pin after its own verification, and also with that verification off (vtls/openssl.c,
    // servercert(): the pinned key check follows "when not strict ..." in 7.88.1 and 8.14.1);
    // the pin is part of the connection's SSL configuration, so pooled connections and TLS
    // sessions made under another pin (or none) are never used for this hop.
    curl_easy_setopt(h, CURLOPT_PROXY_PINNEDPUBLICKEY, extras.proxy_pinned_public_key.c_str());
    if (extras.proxy_trust_pinned_only != 0) {
      curl_easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
    }
  }
}

void Transfer::ConfigureBody() {
  CURL* h = easy_;
  const TransferSpec& s = *spec_;
  const std::string& method = s.method;
  bool has_body = s.body_mode != BodyMode::kNone;
  if (has_body) curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferSize);
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (has_body || (s.flags & kFlagForceContentLength)) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    if (has_body) {
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &Transfer::ReadCallback);
      curl_easy_setopt(h, CURLOPT_READDATA, this);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &Transfer::SeekCallback);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, this);
      curl_off_t size = s.body_mode == BodyMode::kBuffer ? static_cast<curl_off_t>(upload_received_) : -1;
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, size);
    } else {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
    }
    if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
}

// ---- response side -------------------------------------------------------------------------

int Transfer::PrereqCallback(void* self, char* primary_ip, char* local_ip, int primary_port, int local_port) {
  auto* transfer = static_cast<Transfer*>(self);
  transfer->tunnel_pending_ = false;
  if (!transfer->GateOn()) return CURL_PREREQFUNC_OK;
  curl_socket_t fd = transfer->session_->SocketFor(local_ip, local_port, primary_ip, primary_port);
  return transfer->PassesCertificateGate(fd) ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

// The connection is up (TLS done, tunnel or not) and no byte of the request has been sent.
// The hop goes on only if the chain its connection presented is one JS accepted for it; else
// it ends with the chain (CertificateHeld), JS asks the session's verify proc, and retries.
// The curl thread never waits: the abort ends this hop only.
bool Transfer::PassesCertificateGate(curl_socket_t fd) {
  // libcurl resets the certificate info at the start of every transfer, so a chain here was
  // presented in this transfer's own handshake: the connection is new.
  std::string chain;
  curl_certinfo* info = nullptr;
  if (curl_easy_getinfo(easy_, CURLINFO_CERTINFO, &info) == CURLE_OK && info != nullptr) {
    for (int i = 0; i < info->num_of_certs; i++) {
      for (curl_slist* field = info->certinfo[i]; field != nullptr; field = field->next) {
        if (strncmp(field->data, "Cert:", 5) != 0) continue;
        chain.append(field->data + 5);
        if (chain.empty() || chain.back() != '\n') chain.push_back('\n');
      }
    }
  }
  if (fd == CURL_SOCKET_BAD) {
    unknown_connection_ = true;
    return false;
  }
  if (!chain.empty()) {
    session_->RecordPeerChain(fd, chain);
  } else {
    // A pooled connection: judged by the chain recorded when it was new. One the gate never
    // saw (an HTTP/2 stream that joined a connection before its first hop passed the gate)
    // gets no request; JS retries on a fresh connection.
    const std::string* known = session_->PeerChain(fd);
    if (known == nullptr) {
      unknown_connection_ = true;
      return false;
    }
    chain = *known;
  }
  std::string_view accepted = rare_ ? std::string_view(rare_->accepted_chains) : std::string_view();
  while (!accepted.empty()) {
    size_t end = accepted.find('|');
    std::string_view one = accepted.substr(0, end);
    if (one == chain) return true;
    if (end == std::string_view::npos) break;
    accepted.remove_prefix(end + 1);
  }
  rare().held_chain = std::move(chain);
  return false;
}

size_t Transfer::WriteCallback(char* data, size_t size, size_t count, void* self) {
  return static_cast<Transfer*>(self)->OnWrite(data, size * count);
}

size_t Transfer::HeaderCallback(char* data, size_t size, size_t count, void* self) {
  return static_cast<Transfer*>(self)->OnHeader(data, size * count);
}

bool Transfer::ShouldDeferCommit(const ResponseHead& head) const {
  // When libcurl holds credentials it may answer this challenge itself and read another
  // block; the challenge only becomes the response if libcurl gives up (body or completion).
  return (head.status == 401 && facts_.http_auth) || (head.status == 407 && facts_.proxy_auth);
}

void Transfer::CommitHead() {
  if (!block_ready_ || head_committed_) return;
  block_ready_ = false;
  head_committed_ = true;
  ResponseHead& head = parser_.block();
  head_chunked_ = head.chunked;
  std::vector<std::string_view> codings;
  head.ForEachField([&codings](std::string_view name, std::string_view value) {
    constexpr std::string_view kContentEncoding = "content-encoding";
    if (name.size() == kContentEncoding.size() &&
        strncasecmp(name.data(), kContentEncoding.data(), kContentEncoding.size()) == 0) {
      codings.push_back(value);
    }
  });
  if (!codings.empty()) decoder_ = ContentDecoder::ForContentEncoding(codings, &decoder_refusal_);
  Event event(EventType::kHead, id());
  event.num[kHeadStatus] = head.status;
  event.num[kHeadVersionMajor] = head.version_major;
  event.num[kHeadVersionMinor] = head.version_minor;
  uint32_t flags = 0;
  if (head.chunked) flags |= kHeadChunked;
  event.num[kHeadFlags] = flags;
  // Nothing reads the block once it is the response (trailers are ignored).
  event.text[kHeadRefFields] = std::move(head.fields);
  event.text[kHeadRefReason] = head.reason;
  if (facts_.flags & kFlagPeerAddress) {
    // libcurl's own copy of the connection's peer: a getinfo, no system call.
    char* ip = nullptr;
    if (curl_easy_getinfo(easy_, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != nullptr) event.text[kHeadRefPrimaryIp] = ip;
  }
  host_->Emit(std::move(event));
}

size_t Transfer::OnHeader(const char* data, size_t length) {
  if (head_committed_) return length;  // trailers: Electron does not expose them
  header_bytes_ += length;
  if (header_bytes_ > kMaxResponseHeaderBytes) {
    headers_too_big_ = true;
    return 0;
  }
  switch (parser_.Feed(data, length)) {
    case ResponseHeadParser::Line::kStatus:
      block_ready_ = false;  // a new block replaces a deferred challenge
      header_bytes_ = length;
      break;
    case ResponseHeadParser::Line::kField:
    case ResponseHeadParser::Line::kOutsideBlock:
      break;
    case ResponseHeadParser::Line::kBlockComplete: {
      const ResponseHead& head = parser_.block();
      if (head.status >= 100 && head.status < 200) break;  // 100-continue, 103 hints
      if (tunnel_pending_) {
        // A CONNECT response is never "the response". Keep a refusal's challenges for
        // 'login' (curl_easy_header(CURLH_CONNECT) cannot see them in 7.88.1).
        if (head.status < 200 || head.status >= 300) {
          if (rare_) rare_->connect_challenges.clear();
          head.ForEachField([this](std::string_view name, std::string_view value) {
            constexpr std::string_view kChallenge = "proxy-authenticate";
            if (name.size() != kChallenge.size() || strncasecmp(name.data(), kChallenge.data(), kChallenge.size()) != 0) return;
            std::string& challenges = rare().connect_challenges;
            if (!challenges.empty()) challenges.push_back('\n');
            challenges.append(value);
          });
        }
        break;
      }
      if (head.conflicting_location) {
        multiple_locations_ = true;
        return 0;
      }
      if (head.conflicting_content_length) {
        multiple_content_length_ = true;
        return 0;
      }
      block_ready_ = true;
      if (!ShouldDeferCommit(head)) CommitHead();
      break;
    }
  }
  return length;
}

size_t Transfer::OnWrite(const char* data, size_t length) {
  CommitHead();
  if (!decoder_refusal_.empty()) decode_error_ = decoder_refusal_;
  if (!decode_error_.empty()) return 0;  // fails the transfer; Complete() says why
  if (decoder_) return OnEncodedWrite(data, length);
  // Pausing needs at least half the smallest window outstanding: JS acknowledges in steps of
  // at most that much (kAckQuantum), so once it has read everything, what is left
  // unacknowledged is below the resume level and the transfer always resumes.
  static_assert(kAckQuantum <= kMinResponseWindow / 2, "contract.json ackQuantum");
  if (unacknowledged_ >= kMinResponseWindow / 2 && unacknowledged_ + length > host_->ResponseWindow()) {
    // libcurl keeps this chunk and offers it again once the transfer is unpaused. Pausing
    // right here, rather than later in the loop turn, is what bounds memory: one socket
    // action can read far more than one chunk.
    pause_bits_ |= CURLPAUSE_RECV;
    return CURL_WRITEFUNC_PAUSE;
  }
  if (pending_body_.capacity() == 0) {
    // Most responses are small and arrive in one write: they get a small buffer, not a
    // receive-buffer-sized one.
    pending_body_ = chunks_->Take(length <= ChunkPool::kSmallCapacity
                                      ? length
                                      : std::max<size_t>(length, static_cast<size_t>(kReceiveBufferSize)));
  }
  pending_body_.insert(pending_body_.end(), data, data + length);
  AddBody(length);
  return length;
}

void Transfer::AddBody(size_t length) {
  unacknowledged_ += length;
  body_bytes_ += length;
  if (length > 0 && !dirty_) {
    dirty_ = true;
    host_->MarkDirty(this);
  }
}

// Raw bytes of an encoded body. They are decoded only as far as the window has room; the rest
// of this chunk is kept encoded, and while anything is kept, further chunks are refused with
// CURL_WRITEFUNC_PAUSE (libcurl keeps those, still encoded). So a pause never leaves libcurl
// with decoded output to hold, and what waits is bounded by raw chunk sizes, not by the ratio.
size_t Transfer::OnEncodedWrite(const char* data, size_t length) {
  if (DecodeBacklogged()) {
    pause_bits_ |= CURLPAUSE_RECV;
    return CURL_WRITEFUNC_PAUSE;
  }
  const char* input = data;
  size_t left = length;
  decode_stalled_ = DecodeIntoWindow(&input, &left);
  if (!decode_error_.empty()) return 0;
  encoded_backlog_.assign(input, input + left);
  encoded_backlog_offset_ = 0;
  return length;
}

bool Transfer::DecodeIntoWindow(const char** input, size_t* input_size) {
  // Decoded in steps, so that a chunk decoding to little does not cost a window-sized buffer.
  // resize() zero-fills each step before the decoder writes it, so a body that has been small
  // so far starts with small steps (and a small buffer), doubling while the decoder fills them:
  // a compressed response of a few hundred bytes used to zero 64 KiB of a 512 KiB buffer.
  constexpr uint64_t kDecodeStep = 64 * 1024;
  constexpr uint64_t kFirstSmallDecodeStep = 4 * 1024;
  const bool small_so_far = body_bytes_ < ChunkPool::kSmallCapacity;
  uint64_t step_limit = small_so_far ? kFirstSmallDecodeStep : kDecodeStep;
  for (;;) {
    uint64_t window = host_->ResponseWindow();
    if (unacknowledged_ >= window) return true;
    size_t step = static_cast<size_t>(std::min(window - unacknowledged_, step_limit));
    if (pending_body_.capacity() == 0) {
      pending_body_ = chunks_->Take(small_so_far ? ChunkPool::kSmallCapacity : static_cast<size_t>(kReceiveBufferSize));
    }
    size_t start = pending_body_.size();
    pending_body_.resize(start + step);
    size_t produced = decoder_->Decode(input, input_size, pending_body_.data() + start, step);
    pending_body_.resize(start + produced);
    AddBody(produced);
    if (decoder_->failed()) {
      decode_error_ = decoder_->error();
      return false;
    }
    if (produced < step) return false;
    step_limit = std::min(step_limit * 2, kDecodeStep);
  }
}

bool Transfer::Acknowledge(uint64_t bytes) {
  unacknowledged_ = bytes >= unacknowledged_ ? 0 : unacknowledged_ - bytes;
  bool resume = unacknowledged_ <= host_->ResponseWindow() / 2;
  if (resume && decoder_ && DecodeBacklogged() && decode_error_.empty()) {
    const char* input = encoded_backlog_.data() + encoded_backlog_offset_;
    size_t left = encoded_backlog_.size() - encoded_backlog_offset_;
    decode_stalled_ = DecodeIntoWindow(&input, &left);
    encoded_backlog_offset_ = encoded_backlog_.size() - left;
    if (left == 0) {
      encoded_backlog_.clear();
      encoded_backlog_offset_ = 0;
    }
  }
  if (!decode_error_.empty()) {
    // Corrupt data found outside libcurl's callbacks: end the transfer now rather than when
    // (or if) libcurl next delivers something. The engine removes the easy handle.
    if (deferred_done_) {
      deferred_done_->num[kDoneCurlCode] = CURLE_BAD_CONTENT_ENCODING;
      deferred_done_->text[kDoneRefErrorText] = "Error while processing content unencoding: " + decode_error_;
      Event done = std::move(*deferred_done_);
      deferred_done_.reset();
      EmitDone(std::move(done));
    } else {
      EmitDone(BuildDone(CURLE_BAD_CONTENT_ENCODING));
    }
    return true;
  }
  if (deferred_done_) {
    if (DecodeBacklogged()) return false;
    Event done = std::move(*deferred_done_);
    deferred_done_.reset();
    done.num[kDoneBodyBytes] = static_cast<double>(body_bytes_);
    EmitDone(std::move(done));
    return true;
  }
  if ((pause_bits_ & CURLPAUSE_RECV) && resume && !DecodeBacklogged()) {
    SetPause(0, CURLPAUSE_RECV);
  }
  return false;
}

void Transfer::SetPause(int bits_on, int bits_off) {
  pause_bits_ = (pause_bits_ | bits_on) & ~bits_off;
  // May call the write/read callbacks before it returns; they update pause_bits_ themselves.
  curl_easy_pause(easy_, pause_bits_);
}

// ---- upload side ---------------------------------------------------------------------------

size_t Transfer::ReadCallback(char* buffer, size_t size, size_t count, void* self) {
  return static_cast<Transfer*>(self)->OnRead(buffer, size * count);
}

int Transfer::SeekCallback(void* self, curl_off_t offset, int origin) {
  if (origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  return static_cast<Transfer*>(self)->OnSeek(offset);
}

size_t Transfer::OnRead(char* buffer, size_t length) {
  if (upload_read_ >= upload_received_) {
    if (upload_ended_) return 0;
    pause_bits_ |= CURLPAUSE_SEND;
    return CURL_READFUNC_PAUSE;
  }
  size_t copied = 0;
  uint64_t chunk_start = upload_base_;
  for (const std::vector<char>& chunk : *upload_chunks_) {  // bytes were received: it exists
    uint64_t chunk_end = chunk_start + chunk.size();
    if (upload_read_ < chunk_end) {
      size_t offset = static_cast<size_t>(upload_read_ - chunk_start);
      size_t n = std::min(length - copied, chunk.size() - offset);
      memcpy(buffer + copied, chunk.data() + offset, n);
      copied += n;
      upload_read_ += n;
      if (copied == length) break;
    }
    chunk_start = chunk_end;
  }
  if (facts_.body_mode == BodyMode::kStream) {
    // Past the replay limit, consumed bytes are released; libcurl can no longer rewind.
    while (upload_read_ > kReplayLimit && !upload_chunks_->empty() &&
           upload_base_ + upload_chunks_->front().size() <= upload_read_) {
      upload_base_ += upload_chunks_->front().size();
      upload_chunks_->pop_front();
      upload_rewindable_ = false;
    }
    // Every report wakes the JS thread. libcurl 8 reads a chunked body 64 KiB at a time, so a
    // report per read would mean a wake-up per 64 KiB; reporting in steps still releases JS
    // writes in time, and a queue that ran dry is always reported.
    uint64_t unreported = upload_read_ - upload_reported_;
    if (unreported > 0 && !dirty_ && (unreported >= kUploadReportStep || upload_read_ == upload_received_)) {
      dirty_ = true;
      host_->MarkDirty(this);
    }
  } else {
    ReportUploadProgress(upload_read_ == upload_received_);
  }
  return copied;
}

int Transfer::OnSeek(curl_off_t offset) {
  uint64_t target = static_cast<uint64_t>(offset);
  if (offset < 0 || target < upload_base_ || target > upload_received_) {
    upload_rewindable_ = false;
    return CURL_SEEKFUNC_CANTSEEK;
  }
  upload_read_ = target;
  return CURL_SEEKFUNC_OK;
}

void Transfer::ReportUploadProgress(bool force) {
  uint64_t now = NowMs();
  if (upload_read_ == last_progress_value_) return;
  if (!force && now - last_progress_ms_ < kUploadProgressIntervalMs) return;
  last_progress_ms_ = now;
  last_progress_value_ = upload_read_;
  Event event(EventType::kUploadProgress, id());
  event.num[kUploadProgressPosition] = static_cast<double>(upload_read_);
  event.num[kUploadProgressTotal] = static_cast<double>(upload_received_);
  host_->Emit(std::move(event));
}

void Transfer::QueueUpload(std::vector<char>&& bytes) {
  if (!upload_chunks_) upload_chunks_ = std::make_unique<std::deque<std::vector<char>>>();
  upload_chunks_->push_back(std::move(bytes));
}

void Transfer::AppendUpload(std::vector<char>&& bytes) {
  if (upload_ended_ || bytes.empty()) return;
  upload_received_ += bytes.size();
  QueueUpload(std::move(bytes));
  if (pause_bits_ & CURLPAUSE_SEND) SetPause(0, CURLPAUSE_SEND);
}

void Transfer::EndUpload() {
  upload_ended_ = true;
  if (pause_bits_ & CURLPAUSE_SEND) SetPause(0, CURLPAUSE_SEND);
}

// ---- hand-off ------------------------------------------------------------------------------

void Transfer::Flush() {
  dirty_ = false;
  if (!pending_body_.empty()) {
    Event event(EventType::kData, id());
    event.data.swap(pending_body_);
    host_->Emit(std::move(event));
  }
  if (facts_.body_mode == BodyMode::kStream && upload_read_ > upload_reported_) {
    Event event(EventType::kUploadConsumed, id());
    event.num[kUploadConsumedBytes] = static_cast<double>(upload_read_ - upload_reported_);
    upload_reported_ = upload_read_;
    host_->Emit(std::move(event));
  }
}

bool Transfer::Complete(CURLcode result) {
  if (result == CURLE_OK) CommitHead();
  if (result == CURLE_OK && decoder_ && DecodeBacklogged() && decode_error_.empty()) {
    deferred_done_ = std::make_unique<Event>(BuildDone(result));
    return false;
  }
  EmitDone(BuildDone(result));
  return true;
}

void Transfer::EmitDone(Event&& done) {
  Flush();
  host_->Emit(std::move(done));
}

// libcurl's debug callback serves two hops, each with VERBOSE on for it alone:
// - watchCertificateRequest: OpenSSL's handshake messages, through libcurl; a received one
//   starts with its type (13: CertificateRequest, RFC 8446 4.3.2 and RFC 5246 7.4.4). Record
//   headers start with a content type (20-24) and alerts are two bytes, so nothing else matches.
// - HopFlag Observed (NetLog): libcurl's "SSL connection using ..." line.
int Transfer::DebugCallback(CURL*, curl_infotype type, char* data, size_t size, void* self) {
  Transfer* transfer = static_cast<Transfer*>(self);
  if (type == CURLINFO_SSL_DATA_IN) {
    if (transfer->facts_.watch_certificate_request && size >= 4 && static_cast<unsigned char>(data[0]) == 13) {
      transfer->certificate_requested_ = true;
    }
    return 0;
  }
  static constexpr char kPrefix[] = "SSL connection using ";
  constexpr size_t kPrefixSize = sizeof(kPrefix) - 1;
  if (type != CURLINFO_TEXT || size <= kPrefixSize || memcmp(data, kPrefix, kPrefixSize) != 0) return 0;
  size_t end = size;
  while (end > kPrefixSize && (data[end - 1] == '\n' || data[end - 1] == '\r')) --end;
  transfer->rare().tls_info.assign(data + kPrefixSize, end - kPrefixSize);
  return 0;
}

Event Transfer::BuildDone(CURLcode result) {
  Event event(EventType::kDone, id());
  if (!decode_error_.empty()) result = CURLE_BAD_CONTENT_ENCODING;
  CaptureOutcome(easy_, result, error_buffer_, (facts_.flags & kFlagObserved) != 0, &event);
  if (!decode_error_.empty()) event.text[kDoneRefErrorText] = "Error while processing content unencoding: " + decode_error_;
  if (rare_) {
    event.text[kDoneRefConnectChallenges] = rare_->connect_challenges;
    if (facts_.flags & kFlagObserved) event.text[kDoneRefTlsInfo] = rare_->tls_info;
    event.text[kDoneRefPeerChain] = rare_->held_chain;
  }
  uint32_t flags = static_cast<uint32_t>(event.num[kDoneFlags]);
  if (head_committed_) flags |= kDoneHeadCommitted;
  if (headers_too_big_) flags |= kDoneHeadersTooBig;
  if (head_chunked_) flags |= kDoneResponseChunked;
  if (facts_.via_proxy) flags |= kDoneUsedProxy;
  if (!upload_rewindable_) flags |= kDoneUploadNotRewindable;
  if (multiple_locations_) flags |= kDoneMultipleLocations;
  if (multiple_content_length_) flags |= kDoneMultipleContentLength;
  if (rare_ && !rare_->held_chain.empty()) flags |= kDoneCertificateHeld;
  if (unknown_connection_) flags |= kDoneUnknownConnection;
  if (certificate_requested_) flags |= kDoneCertificateRequested;
  event.num[kDoneFlags] = flags;
  event.num[kDoneBodyBytes] = static_cast<double>(body_bytes_);
  HandshakeVerdicts verdicts = tls_watch_.Verdicts();
  event.num[kDoneOriginTlsVerdict] = static_cast<double>(verdicts.origin);
  event.num[kDoneProxyTlsVerdict] = static_cast<double>(verdicts.proxy);
  return event;
}

}  // namespace curlnet
