// Undoes a response's content codings (Content-Encoding: gzip, deflate, br, zstd) in steps
// bounded by the output space the caller offers.
//
// Why not libcurl's own decoding: libcurl decodes a whole network read at once, and when the
// write callback pauses the transfer part-way, libcurl must keep the rest of that read's
// decoded output. A 512 KiB read of a 1000:1 body is 512 MiB decoded; libcurl caps what it
// keeps for a paused transfer (64 MiB) and fails with CURLE_OUT_OF_MEMORY. Here libcurl hands
// over raw bytes only (CURLOPT_HTTP_CONTENT_DECODING=0), and the decoder never produces more
// than the caller has room for: what it has not consumed stays encoded, so what waits while a
// transfer is paused is one raw chunk plus each decoder's fixed-size state, at any ratio.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace curlnet {

class ContentDecoder {
 public:
  // More codings than this fail the response, as libcurl's decoding always did here: each
  // stage may hold a window of up to 16 MiB (brotli), so the count bounds memory.
  static constexpr size_t kMaxCodings = 5;

  class Stage;

  // The decoder for the Content-Encoding field values of a response, in wire order. Returns
  // nullptr when the body is to be delivered as it is: no coding, or a coding Chromium does not
  // know ("identity" included), in which case Chromium passes the whole body through. Sets
  // *error (and returns nullptr) when the body cannot be decoded at all.
  static std::unique_ptr<ContentDecoder> ForContentEncoding(const std::vector<std::string_view>& values,
                                                            std::string* error);

  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Consumes from [*input, *input + *input_size) (advancing both) and writes at most out_size
  // decoded bytes to out; returns how many. Fewer than out_size means every input byte was
  // consumed and nothing decoded is held back; exactly out_size means there may be more, from
  // the input left or from inside the decoders, and the caller calls again with more room.
  size_t Decode(const char** input, size_t* input_size, char* out, size_t out_size);

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  // Bytes between two stages: fixed size, so a stage that cannot pass its output on waits.
  struct Buffer {
    static constexpr size_t kSize = 64 * 1024;
    std::unique_ptr<unsigned char[]> bytes{new unsigned char[kSize]};
    size_t begin = 0;
    size_t end = 0;
  };

  explicit ContentDecoder(std::vector<std::unique_ptr<Stage>> stages);

  // Stages in decoding order: the last coding listed is undone first.
  std::vector<std::unique_ptr<Stage>> stages_;
  std::vector<Buffer> between_;  // between_[i] holds stage i's output for stage i + 1
  std::string error_;
};

}  // namespace curlnet
