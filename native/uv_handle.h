// An owned libuv handle. libuv needs a handle's memory until its close callback has run, which
// is later than the owner may want to go away, so the handle lives on the heap and the close
// callback frees it: destroying (or Close()-ing) the owner only starts the close. No callback
// of the handle runs after that, so nothing it points at needs to outlive the owner.
// Close only on the loop's thread, like every other call on the handle.
//
// `Handle` is a uv_*_t, or a standard-layout struct whose first member is one (the struct is
// then freed with its handle, so whatever it holds stays valid for the handle's callbacks).
#pragma once

#include <uv.h>

#include <type_traits>
#include <utility>

namespace curlnet {

template <typename Handle>
class UvHandle {
 public:
  UvHandle() = default;
  ~UvHandle() { Close(); }
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;
  UvHandle(UvHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  UvHandle& operator=(UvHandle&& other) noexcept {
    if (this != &other) {
      Close();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  // Allocates the handle and runs `init(handle)`, which calls its uv_*_init and sets what the
  // callbacks need (handle->data). Returns the init result; on failure nothing is kept.
  template <typename Initializer>
  int Init(Initializer&& init) {
    static_assert(std::is_standard_layout_v<Handle>, "the uv handle must be the first member");
    Close();
    auto* handle = new Handle();
    int rc = init(handle);
    if (rc != 0) {
      delete handle;  // libuv refused it, so it knows nothing of it
      return rc;
    }
    handle_ = handle;
    return 0;
  }

  Handle* get() const { return handle_; }
  explicit operator bool() const { return handle_ != nullptr; }

  // Starts closing the handle (it stops at once); its memory is freed once libuv is done.
  void Close() {
    if (handle_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(std::exchange(handle_, nullptr)),
             [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
  }

 private:
  Handle* handle_ = nullptr;
};

}  // namespace curlnet
