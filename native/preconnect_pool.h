// ses.preconnect(): TCP connections opened ahead of any request, kept per session until libcurl
// wants a new connection to the same address and port. libcurl never reuses a connection it
// opened with CURLOPT_CONNECT_ONLY for a later transfer, so the connections are opened here and
// handed to libcurl through its CURLOPT_OPENSOCKETFUNCTION (SessionMulti::OpenSocket), which
// then answers CURL_SOCKOPT_ALREADY_CONNECTED for them (SessionMulti::SockOpt).
#pragma once

#include <curl/curl.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <list>

#include "uv_handle.h"

namespace curlnet {

// Curl thread only. Destroying the pool closes every socket it still holds.
class PreconnectPool {
 public:
  explicit PreconnectPool(uv_loop_t* loop);
  ~PreconnectPool();
  PreconnectPool(const PreconnectPool&) = delete;
  PreconnectPool& operator=(const PreconnectPool&) = delete;

  // Starts non-blocking connections to ip:port (a numeric address) until `count` of them are
  // connecting or connected and unused there, as Chromium's socket pools count a preconnect. A
  // connection nobody took within idle_ms is closed (Chromium: unused idle sockets time out).
  // Returns how many it started; 0 for an address it cannot parse.
  int Open(const char* ip, int port, int count, uint64_t idle_ms);
  // An unused, connected socket to exactly this address, now the caller's; CURL_SOCKET_BAD if
  // none. A socket the peer closed (or wrote to: HTTP servers speak second) is never handed
  // out: it is closed and the next one is tried.
  curl_socket_t Take(const struct sockaddr* address, socklen_t length);
  // Closes every socket in the pool (closeAllConnections).
  void Clear();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry;
  using Entries = std::list<UvHandle<Entry>>;

  static void OnPoll(uv_poll_t* poll, int status, int events);
  static void OnTimer(uv_timer_t* timer);
  void Drop(Entry* entry);
  void Expire();
  void ArmTimer();

  uv_loop_t* loop_;
  UvHandle<uv_timer_t> timer_;
  Entries entries_;
};

}  // namespace curlnet
