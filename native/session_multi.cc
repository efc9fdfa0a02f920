#include "session_multi.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

namespace curlnet {
namespace {

// Whether one end of a socket is `ip` (as libcurl prints it, with inet_ntop) and `port`.
bool EndpointIs(const sockaddr_storage& address, const char* ip, int port) {
  char text[INET6_ADDRSTRLEN] = {};
  int actual_port = -1;
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    actual_port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    actual_port = ntohs(v6->sin6_port);
  } else {
    return false;
  }
  return actual_port == port && ip != nullptr && strcmp(text, ip) == 0;
}

}  // namespace

struct SessionMulti::SocketWatch {
  uv_poll_t poll;  // first: UvHandle closes the watch as this handle and frees it with it
  curl_socket_t fd;
  SessionMulti* owner;
  int events;   // UV_READABLE/UV_WRITABLE libcurl asks for now; 0 after CURL_POLL_REMOVE
  int watched;  // what the poll handle is started with; 0 when stopped
  // Opened through OpenSocket, so it is closed through CloseSocket and its handle can outlive
  // libcurl's interest. Other sockets (the threaded resolver's wake-up pair) are closed behind
  // our back, and their fd numbers come back for new sockets.
  bool pooled;
  // The socket's local port once it has one (SocketFor): it never changes afterwards, and
  // comparing it first spares the certificate gate two system calls per other socket.
  int local_port = -1;
};

// Every uv_poll_start costs two epoll_ctl calls (libuv first takes the fd out of epoll), and
// with keep-alive libcurl removes a socket after each response and asks for it again with the
// next request. So the handle keeps watching a pooled socket libcurl stopped caring about, and
// is only stopped if that socket actually reports something (the server closed an idle
// connection).
void SessionMulti::Watch(SocketWatch* watch, int events) {
  watch->events = events;
  if (!watch->pooled) {
    // Closed behind our back, maybe already replaced by a new socket with the same number:
    // whatever epoll holds for this fd is not to be trusted.
    if (events == 0) {
      DropWatch(watch->fd);
    } else {
      uv_poll_start(&watch->poll, events, &SessionMulti::OnPoll);
      watch->watched = events;
    }
    return;  // `watch` may be gone
  }
  if (events == watch->watched) return;
  if (events == 0) {
    // Writable would fire at once and forever on an idle socket; readable can wait.
    if (!(watch->watched & UV_WRITABLE)) return;
    uv_poll_stop(&watch->poll);
  } else {
    uv_poll_start(&watch->poll, events, &SessionMulti::OnPoll);
  }
  watch->watched = events;
}

bool SessionMulti::MultiplexingIsSafe() {
  return curl_version_info(CURLVERSION_NOW)->version_num >= 0x080100;
}

SessionMulti::SessionMulti(uv_loop_t* loop, uint32_t id, DoneHandler on_done)
    : loop_(loop), id_(id), on_done_(std::move(on_done)) {
  timer_.Init([this](uv_timer_t* timer) {
    timer->data = this;
    return uv_timer_init(loop_, timer);
  });
  soon_.Init([this](uv_idle_t* idle) {
    idle->data = this;
    return uv_idle_init(loop_, idle);
  });
  CreateMulti();
}

// The multi handle goes first: its cleanup closes pooled connections through CloseSocket,
// which needs watches_. The members (timer, idle, remaining polls) then close themselves.
SessionMulti::~SessionMulti() { ReleaseMulti(); }

void SessionMulti::CreateMulti() {
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &SessionMulti::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &SessionMulti::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  // HTTP/2: many streams per connection before libcurl opens another one.
  curl_multi_setopt(multi_, CURLMOPT_MAX_CONCURRENT_STREAMS, 1000L);
  // Idle connections kept for reuse. libcurl's default follows the number of hops attached at
  // the moment a connection is released, which under churn evicts connections that are about
  // to be reused (a new connection for ~1 in 10 keep-alive requests).
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 256L);
  // Before 8.1.0 libcurl corrupts a paused HTTP/2 stream's data when other streams on the
  // same connection keep being read (curl #10525, only narrowed in 7.88.1). Pausing is how
  // flow control works here, so older libcurl gets one stream per connection.
  if (!MultiplexingIsSafe()) curl_multi_setopt(multi_, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_NOTHING));
  SetLimits(max_per_host_, max_total_);
}

void SessionMulti::SetLimits(long max_per_host, long max_total) {
  max_per_host_ = max_per_host;
  max_total_ = max_total;
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, max_per_host_);
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_total_);
}

bool SessionMulti::Add(CURL* easy) {
  // Adding sets a 0 ms timeout, so the timer callback kicks the transfer off.
  return curl_multi_add_handle(multi_, easy) == CURLM_OK;
}

void SessionMulti::Remove(CURL* easy) { curl_multi_remove_handle(multi_, easy); }

SessionMulti::SocketWatch* SessionMulti::NewWatch(curl_socket_t fd, bool pooled) {
  static_assert(offsetof(SocketWatch, poll) == 0, "UvHandle<SocketWatch> closes `poll`");
  UvHandle<SocketWatch> watch;
  int rc = watch.Init([&](SocketWatch* w) {
    w->fd = fd;
    w->owner = this;
    w->events = 0;
    w->watched = 0;
    w->pooled = pooled;
    w->poll.data = w;
    return uv_poll_init_socket(loop_, &w->poll, fd);
  });
  if (rc != 0) return nullptr;
  SocketWatch* raw = watch.get();
  watches_[fd] = std::move(watch);
  return raw;
}

void SessionMulti::DropWatch(curl_socket_t fd) {
  // Closing takes the fd out of epoll now; the fd itself may be closed right after.
  watches_.erase(fd);
}

curl_socket_t SessionMulti::OpenSocket(void* self, curlsocktype, struct curl_sockaddr* address) {
  auto* session = static_cast<SessionMulti*>(self);
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (address->socktype == SOCK_STREAM && session->preconnects_.size() > 0) {
    fd = session->preconnects_.Take(&address->addr, address->addrlen);
  }
  const bool preconnected = fd != CURL_SOCKET_BAD;
  if (!preconnected) fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  // A watch left on this fd number belonged to a socket closed without CloseSocket.
  session->DropWatch(fd);
  session->peer_chains_.erase(fd);
  if (!session->NewWatch(fd, true)) {
    close(fd);
    return CURL_SOCKET_BAD;
  }
  if (preconnected) session->handed_over_.insert(fd);
  return fd;
}

int SessionMulti::SockOpt(void* self, curl_socket_t fd, curlsocktype) {
  auto* session = static_cast<SessionMulti*>(self);
  return session->handed_over_.erase(fd) > 0 ? CURL_SOCKOPT_ALREADY_CONNECTED : CURL_SOCKOPT_OK;
}

curl_socket_t SessionMulti::SocketFor(const char* local_ip, int local_port, const char* remote_ip,
                                      int remote_port) const {
  for (const auto& [fd, handle] : watches_) {
    SocketWatch* watch = handle.get();
    if (!watch->pooled) continue;
    sockaddr_storage local{}, remote{};
    socklen_t length = sizeof(local);
    if (watch->local_port < 0) {
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
      int port = local.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port)
                 : local.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                                               : 0;
      if (port != 0) watch->local_port = port;
    }
    if (watch->local_port != local_port) continue;
    length = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
    length = sizeof(remote);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &length) != 0) continue;
    if (EndpointIs(local, local_ip, local_port) && EndpointIs(remote, remote_ip, remote_port)) return fd;
  }
  return CURL_SOCKET_BAD;
}

int SessionMulti::CloseSocket(void* self, curl_socket_t fd) {
  static_cast<SessionMulti*>(self)->handed_over_.erase(fd);
  static_cast<SessionMulti*>(self)->DropWatch(fd);
  static_cast<SessionMulti*>(self)->peer_chains_.erase(fd);
  return close(fd);
}

void SessionMulti::ReleaseMulti() {
  uv_timer_stop(timer_.get());
  uv_idle_stop(soon_.get());
  curl_multi_cleanup(multi_);  // closes pooled connections through CloseSocket
  multi_ = nullptr;
  // Sockets libcurl closed without the callback (e.g. its resolver's socket pair).
  watches_.clear();
}

void SessionMulti::Reset() {
  ReleaseMulti();
  CreateMulti();
}

int SessionMulti::OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data) {
  auto* session = static_cast<SessionMulti*>(self);
  auto* watch = static_cast<SocketWatch*>(socket_data);
  if (what == CURL_POLL_REMOVE) {
    // Not closed: the socket may go back to the pool and serve the next hop. The handle is
    // closed with the socket (CloseSocket).
    if (watch) session->Watch(watch, 0);
    return 0;
  }
  if (!watch) {
    auto found = session->watches_.find(fd);
    if (found != session->watches_.end()) {
      watch = found->second.get();
    } else {
      watch = session->NewWatch(fd, false);
      if (!watch) return -1;
    }
    curl_multi_assign(session->multi_, fd, watch);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  session->Watch(watch, events);
  return 0;
}

int SessionMulti::OnTimer(CURLM* multi, long timeout_ms, void* self) {
  auto* session = static_cast<SessionMulti*>(self);
  // Never drive libcurl from inside its own callback. "Now" (0 ms) runs from an idle handle
  // on the next loop turn, after the loop has polled for I/O and commands: a 0 ms uv timer
  // re-armed from its own callback would run again within the same timer phase, forever
  // (libcurl 8.14.1 keeps asking for 0 ms in some states), while 1 ms would cost a
  // millisecond of latency per request.
  uv_timer_t* timer = session->timer_.get();
  uv_idle_t* soon = session->soon_.get();
  if (timeout_ms < 0) {
    uv_timer_stop(timer);
    uv_idle_stop(soon);
  } else if (timeout_ms == 0) {
    uv_timer_stop(timer);
    uv_idle_start(soon, &SessionMulti::OnSoon);
  } else {
    uv_idle_stop(soon);
    uv_timer_start(timer, &SessionMulti::OnTimerFired, static_cast<uint64_t>(timeout_ms), 0);
  }
  return 0;
}

void SessionMulti::OnTimerFired(uv_timer_t* timer) {
  static_cast<SessionMulti*>(timer->data)->Drive(CURL_SOCKET_TIMEOUT, 0);
}

void SessionMulti::OnSoon(uv_idle_t* idle) {
  uv_idle_stop(idle);
  static_cast<SessionMulti*>(idle->data)->Drive(CURL_SOCKET_TIMEOUT, 0);
}

void SessionMulti::OnPoll(uv_poll_t* poll, int status, int events) {
  auto* watch = static_cast<SocketWatch*>(poll->data);
  if (watch->events == 0) {
    // An idle pooled socket became readable or failed: libcurl finds out when it next checks
    // the connection; until then there is nothing to tell it.
    uv_poll_stop(poll);
    watch->watched = 0;
    return;
  }
  if (status < 0) {
    // libuv reports a socket error (e.g. a reset) without saying what it was, and stops the
    // poll. Let libcurl do the I/O it was waiting for, so it meets the real error and its
    // errno; CURL_CSELECT_ERR alone would end as "select/poll returned error", errno 0.
    events = watch->events ? watch->events : UV_READABLE;
  }
  int action = 0;
  if (events & UV_READABLE) action |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) action |= CURL_CSELECT_OUT;
  watch->owner->Drive(watch->fd, action);
  // Driving libcurl may have closed the socket and with it this handle: only a handle that is
  // not closing still has its watch (and its session).
  auto* handle = reinterpret_cast<uv_handle_t*>(poll);
  if (status < 0 && !uv_is_closing(handle) && !uv_is_active(handle)) {
    // libuv stopped the handle; watch again whatever libcurl still asks for.
    watch->watched = 0;
    if (watch->events) {
      uv_poll_start(poll, watch->events, &SessionMulti::OnPoll);
      watch->watched = watch->events;
    }
  }
}

void SessionMulti::Drive(curl_socket_t fd, int action) {
  if (!multi_) return;
  int running = 0;
  curl_multi_socket_action(multi_, fd, action, &running);
  CollectFinished();
}

void SessionMulti::CollectFinished() {
  CURLMsg* message;
  int left = 0;
  while (multi_ && (message = curl_multi_info_read(multi_, &left)) != nullptr) {
    if (message->msg == CURLMSG_DONE) on_done_(message->easy_handle, message->data.result);
  }
}

}  // namespace curlnet
