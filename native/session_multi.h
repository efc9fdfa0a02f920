// One libcurl multi handle (one Session's connection pool) driven by the curl thread's libuv
// loop: a uv_poll per socket libcurl asks about, one uv_timer for libcurl's timeout.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "preconnect_pool.h"
#include "uv_handle.h"

namespace curlnet {

// Owned by the Engine (one per session id, for the engine's lifetime). Destroying it cleans up
// the multi handle, closing its connections, and closes its timer and socket handles. No hop
// may still be attached: every Transfer refers to its session, so transfers go first.
class SessionMulti {
 public:
  // Called for every hop libcurl reports finished, with the hop's CURLcode.
  using DoneHandler = std::function<void(CURL* easy, CURLcode result)>;

  SessionMulti(uv_loop_t* loop, uint32_t id, DoneHandler on_done);
  ~SessionMulti();
  SessionMulti(const SessionMulti&) = delete;
  SessionMulti& operator=(const SessionMulti&) = delete;

  // Whether the loaded libcurl can pause one HTTP/2 stream while others share its connection.
  static bool MultiplexingIsSafe();

  uint32_t id() const { return id_; }
  CURLM* multi() const { return multi_; }
  void SetLimits(long max_per_host, long max_total);

  // Every hop of this session closes its sockets through here (CURLOPT_CLOSESOCKETFUNCTION),
  // so a socket's poll handle lives exactly as long as the socket.
  static int CloseSocket(void* self, curl_socket_t fd);
  // Every hop's sockets are opened here (CURLOPT_OPENSOCKETFUNCTION), so the session knows
  // which sockets will be closed through CloseSocket.
  // A connection ses.preconnect() opened to the same address is handed out first.
  static curl_socket_t OpenSocket(void* self, curlsocktype purpose, struct curl_sockaddr* address);
  // CURLOPT_SOCKOPTFUNCTION: CURL_SOCKOPT_ALREADY_CONNECTED for a preconnected socket, so
  // libcurl skips its connect().
  static int SockOpt(void* self, curl_socket_t fd, curlsocktype purpose);
  PreconnectPool& preconnects() { return preconnects_; }

  bool Add(CURL* easy);
  void Remove(CURL* easy);
  // The certificate chain (PEM, leaf first) a connection's server presented, by the
  // connection's socket: recorded by the certificate gate when the connection is new, so a
  // hop given the pooled connection later is judged by the same chain. Dropped when the
  // socket closes, so a verdict never outlives the connection it was made for.
  // The socket (opened through OpenSocket) of the TCP connection between these endpoints, as
  // libcurl reports them to CURLOPT_PREREQFUNCTION; CURL_SOCKET_BAD if none. (libcurl's
  // CURLINFO_ACTIVESOCKET only knows a connection once its transfer is done.)
  curl_socket_t SocketFor(const char* local_ip, int local_port, const char* remote_ip, int remote_port) const;
  void RecordPeerChain(curl_socket_t fd, std::string chain) { peer_chains_[fd] = std::move(chain); }
  const std::string* PeerChain(curl_socket_t fd) const {
    auto it = peer_chains_.find(fd);
    return it == peer_chains_.end() ? nullptr : &it->second;
  }
  // Closes every socket libcurl keeps for this session (the multi handle is recreated).
  // Only valid when no hop is attached.
  void Reset();
 private:
  struct SocketWatch;
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int OnTimer(CURLM* multi, long timeout_ms, void* self);
  static void OnTimerFired(uv_timer_t* timer);
  static void OnSoon(uv_idle_t* idle);
  static void OnPoll(uv_poll_t* poll, int status, int events);

  SocketWatch* NewWatch(curl_socket_t fd, bool pooled);
  void DropWatch(curl_socket_t fd);
  void Watch(SocketWatch* watch, int events);
  void CreateMulti();
  // Cleans up the multi handle and closes every poll handle; the timer and idle handles stay.
  void ReleaseMulti();
  void Drive(curl_socket_t fd, int action);
  void CollectFinished();

  uv_loop_t* loop_;
  uint32_t id_;
  DoneHandler on_done_;
  CURLM* multi_ = nullptr;
  UvHandle<uv_timer_t> timer_;
  UvHandle<uv_idle_t> soon_;  // libcurl asked to be driven "now"

  long max_per_host_ = 0;
  long max_total_ = 0;
  // Poll handles by socket. A pooled connection's socket keeps its handle (stopped) between
  // hops instead of a new one per hop. Erasing one closes it; the SocketWatch is freed with its
  // handle, after libuv is done with it, so libcurl's copy of the pointer (curl_multi_assign)
  // stays readable until then.
  std::unordered_map<curl_socket_t, UvHandle<SocketWatch>> watches_;
  std::unordered_map<curl_socket_t, std::string> peer_chains_;
  // Declared after watches_: its sockets close while the poll handles of libcurl's still exist.
  PreconnectPool preconnects_{loop_};
  // Preconnected sockets given to libcurl by OpenSocket whose SockOpt call is still to come.
  std::unordered_set<curl_socket_t> handed_over_;
};

}  // namespace curlnet
