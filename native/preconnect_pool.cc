#include "preconnect_pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace curlnet {
namespace {

bool SameEndpoint(const sockaddr_storage& a, const sockaddr* b, socklen_t b_length) {
  if (b == nullptr || a.ss_family != b->sa_family) return false;
  if (a.ss_family == AF_INET && b_length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    const auto* y = reinterpret_cast<const sockaddr_in*>(b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6 && b_length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
    const auto* y = reinterpret_cast<const sockaddr_in6*>(b);
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

// Whether a connected, idle socket can still carry a request: the peer has neither closed it
// nor sent anything (an HTTP server that speaks first is closing: a 408, or TLS alerts).
bool StillQuiet(int fd) {
  char byte;
  ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

struct PreconnectPool::Entry {
  uv_poll_t poll;  // first: UvHandle closes the entry as this handle and frees it with it
  PreconnectPool* owner;
  int fd;
  bool connected;
  uint64_t deadline;  // uv_now() after which nobody may take it
  sockaddr_storage peer;
  socklen_t peer_length;
};

PreconnectPool::PreconnectPool(uv_loop_t* loop) : loop_(loop) {
  timer_.Init([this](uv_timer_t* timer) {
    timer->data = this;
    return uv_timer_init(loop_, timer);
  });
}

PreconnectPool::~PreconnectPool() { Clear(); }

void PreconnectPool::Clear() {
  while (!entries_.empty()) Drop(entries_.front().get());
  if (timer_) uv_timer_stop(timer_.get());
}

int PreconnectPool::Open(const char* ip, int port, int count, uint64_t idle_ms) {
  sockaddr_storage peer{};
  socklen_t peer_length = 0;
  if (uv_ip4_addr(ip, port, reinterpret_cast<sockaddr_in*>(&peer)) == 0) {
    peer_length = sizeof(sockaddr_in);
  } else if (uv_ip6_addr(ip, port, reinterpret_cast<sockaddr_in6*>(&peer)) == 0) {
    peer_length = sizeof(sockaddr_in6);
  } else {
    return 0;
  }
  int already = 0;
  for (const auto& handle : entries_) {
    if (SameEndpoint(handle.get()->peer, reinterpret_cast<const sockaddr*>(&peer), peer_length)) ++already;
  }
  int started = 0;
  const uint64_t deadline = uv_now(loop_) + idle_ms;
  for (int i = already; i < count; ++i) {
    int fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) break;
    bool connected = false;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&peer), peer_length) == 0) {
      connected = true;
    } else if (errno != EINPROGRESS) {
      close(fd);  // refused, unreachable: the request will find out for itself
      break;
    }
    UvHandle<Entry> entry;
    int rc = entry.Init([&](Entry* e) {
      e->owner = this;
      e->fd = fd;
      e->connected = connected;
      e->deadline = deadline;
      e->peer = peer;
      e->peer_length = peer_length;
      e->poll.data = e;
      return uv_poll_init_socket(loop_, &e->poll, fd);
    });
    if (rc != 0) {
      close(fd);
      break;
    }
    // Connecting: wait for the outcome. Connected: any readable event means the peer closed
    // (or spoke first), and the socket is dropped at once.
    uv_poll_start(&entry.get()->poll, connected ? UV_READABLE | UV_DISCONNECT : UV_WRITABLE, &PreconnectPool::OnPoll);
    entries_.push_back(std::move(entry));
    ++started;
  }
  ArmTimer();
  return started;
}

curl_socket_t PreconnectPool::Take(const struct sockaddr* address, socklen_t length) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry* entry = it->get();
    if (!entry->connected || !SameEndpoint(entry->peer, address, length)) {
      ++it;
      continue;
    }
    int fd = entry->fd;
    it = entries_.erase(it);  // closes the poll handle (takes fd out of epoll), not the fd
    if (StillQuiet(fd)) {
      ArmTimer();
      return fd;
    }
    close(fd);
  }
  ArmTimer();
  return CURL_SOCKET_BAD;
}

void PreconnectPool::Drop(Entry* entry) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->get() != entry) continue;
    int fd = entry->fd;
    entries_.erase(it);  // the poll handle first: libuv must be done with the fd before close
    close(fd);
    return;
  }
}

void PreconnectPool::OnPoll(uv_poll_t* poll, int status, int events) {
  auto* entry = static_cast<Entry*>(poll->data);
  PreconnectPool* pool = entry->owner;
  if (status < 0) {
    pool->Drop(entry);
  } else if (!entry->connected) {
    if (!(events & UV_WRITABLE)) return;
    int error = 0;
    socklen_t length = sizeof(error);
    if (getsockopt(entry->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      pool->Drop(entry);
      return;
    }
    entry->connected = true;
    uv_poll_start(poll, UV_READABLE | UV_DISCONNECT, &PreconnectPool::OnPoll);
  } else {
    pool->Drop(entry);
  }
  pool->ArmTimer();
}

void PreconnectPool::OnTimer(uv_timer_t* timer) { static_cast<PreconnectPool*>(timer->data)->Expire(); }

void PreconnectPool::Expire() {
  const uint64_t now = uv_now(loop_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry* entry = it->get();
    ++it;
    if (entry->deadline <= now) Drop(entry);
  }
  ArmTimer();
}

void PreconnectPool::ArmTimer() {
  if (!timer_) return;
  if (entries_.empty()) {
    uv_timer_stop(timer_.get());
    return;
  }
  uint64_t earliest = UINT64_MAX;
  for (const auto& handle : entries_) {
    if (handle.get()->deadline < earliest) earliest = handle.get()->deadline;
  }
  const uint64_t now = uv_now(loop_);
  uv_timer_start(timer_.get(), &PreconnectPool::OnTimer, earliest > now ? earliest - now : 0, 0);
}

}  // namespace curlnet
