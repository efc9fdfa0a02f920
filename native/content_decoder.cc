#include "content_decoder.h"

#include <brotli/decode.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

namespace curlnet {

// One coding. Run() decodes from *in into *out, advancing both pointers and shrinking both
// sizes; it returns false (with *error) on corrupt input. Given room, it always makes progress
// while it has input or holds decoded bytes back.
class ContentDecoder::Stage {
 public:
  virtual ~Stage() = default;
  virtual bool Run(const unsigned char** in, size_t* in_size, unsigned char** out, size_t* out_size,
                   std::string* error) = 0;

 protected:
  // Bytes after the end of the encoded stream are dropped, as Chromium drops them.
  static void DropRest(const unsigned char** in, size_t* in_size) {
    *in += *in_size;
    *in_size = 0;
  }
};

namespace {

using Stage = ContentDecoder::Stage;

class ZlibStage : public Stage {
 public:
  explicit ZlibStage(bool gzip) : gzip_(gzip) {}
  ~ZlibStage() override {
    if (initialized_) inflateEnd(&z_);
  }

  bool Run(const unsigned char** in, size_t* in_size, unsigned char** out, size_t* out_size,
           std::string* error) override {
    if (finished_) {
      DropRest(in, in_size);
      return true;
    }
    if (!initialized_) {
      int window_bits = 15 + 32;  // gzip, and zlib-wrapped data labelled gzip (as libcurl)
      if (!gzip_) {
        // "deflate" is meant to be zlib-wrapped, but some servers send raw deflate. Like
        // Chromium and libcurl, tell them apart by whether the first two bytes are a valid
        // zlib header (RFC 1950: method 8, window <= 32 KiB, check bits).
        while (sniffed_ < 2 && *in_size > 0) {
          head_[sniffed_++] = **in;
          ++*in;
          --*in_size;
        }
        if (sniffed_ < 2) return true;
        bool wrapped = (head_[0] & 0x0f) == 8 && (head_[0] >> 4) <= 7 && ((head_[0] << 8) | head_[1]) % 31 == 0;
        window_bits = wrapped ? 15 : -15;
        head_left_ = 2;
      }
      if (inflateInit2(&z_, window_bits) != Z_OK) {
        *error = "zlib initialisation failed";
        return false;
      }
      initialized_ = true;
    }
    if (head_left_ > 0) {
      const unsigned char* head = head_ + (2 - head_left_);
      size_t left = head_left_;
      if (!Inflate(&head, &left, out, out_size, error)) return false;
      head_left_ = left;
      if (head_left_ > 0) return true;
      if (finished_) {
        DropRest(in, in_size);
        return true;
      }
    }
    return Inflate(in, in_size, out, out_size, error);
  }

 private:
  bool Inflate(const unsigned char** in, size_t* in_size, unsigned char** out, size_t* out_size,
               std::string* error) {
    // Inputs and outputs here are at most a few MiB, far below uInt's range.
    z_.next_in = const_cast<Bytef*>(*in);
    z_.avail_in = static_cast<uInt>(*in_size);
    z_.next_out = *out;
    z_.avail_out = static_cast<uInt>(*out_size);
    int rc = inflate(&z_, Z_NO_FLUSH);
    *in += *in_size - z_.avail_in;
    *in_size = z_.avail_in;
    *out += *out_size - z_.avail_out;
    *out_size = z_.avail_out;
    if (rc == Z_STREAM_END) {
      finished_ = true;
      DropRest(in, in_size);
      return true;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) return true;  // Z_BUF_ERROR: no progress possible yet
    *error = z_.msg ? z_.msg : "zlib error " + std::to_string(rc);
    return false;
  }

  const bool gzip_;
  z_stream z_{};
  bool initialized_ = false;
  bool finished_ = false;
  unsigned char head_[2] = {};
  size_t sniffed_ = 0;
  size_t head_left_ = 0;  // sniffed bytes not yet given to zlib
};

class BrotliStage : public Stage {
 public:
  BrotliStage() : state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliStage() override {
    if (state_) BrotliDecoderDestroyInstance(state_);
  }
  bool ok() const { return state_ != nullptr; }

  bool Run(const unsigned char** in, size_t* in_size, unsigned char** out, size_t* out_size,
           std::string* error) override {
    if (finished_) {
      DropRest(in, in_size);
      return true;
    }
    BrotliDecoderResult result = BrotliDecoderDecompressStream(state_, in_size, in, out_size, out, nullptr);
    if (result == BROTLI_DECODER_RESULT_ERROR) {
      *error = BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_));
      return false;
    }
    if (result == BROTLI_DECODER_RESULT_SUCCESS) {
      finished_ = true;
      DropRest(in, in_size);
    }
    return true;
  }

 private:
  BrotliDecoderState* state_;
  bool finished_ = false;
};

class ZstdStage : public Stage {
 public:
  // RFC 9659: a zstd content coding uses a window of at most 8 MiB, and decoders may refuse
  // larger ones (Chromium does). Without the limit a frame could demand 128 MiB or more.
  static constexpr int kWindowLogMax = 23;

  ZstdStage() : context_(ZSTD_createDCtx()) {
    if (context_ && ZSTD_isError(ZSTD_DCtx_setParameter(context_, ZSTD_d_windowLogMax, kWindowLogMax))) {
      ZSTD_freeDCtx(context_);
      context_ = nullptr;
    }
  }
  ~ZstdStage() override {
    if (context_) ZSTD_freeDCtx(context_);
  }
  bool ok() const { return context_ != nullptr; }

  bool Run(const unsigned char** in, size_t* in_size, unsigned char** out, size_t* out_size,
           std::string* error) override {
    // Consecutive frames (and skippable frames) are one body: zstd's streaming API continues
    // with the next frame by itself.
    ZSTD_inBuffer input{*in, *in_size, 0};
    ZSTD_outBuffer output{*out, *out_size, 0};
    size_t rc = ZSTD_decompressStream(context_, &output, &input);
    *in += input.pos;
    *in_size -= input.pos;
    *out += output.pos;
    *out_size -= output.pos;
    if (ZSTD_isError(rc)) {
      *error = ZSTD_getErrorName(rc);
      return false;
    }
    return true;
  }

 private:
  ZSTD_DCtx* context_;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Is(std::string_view token, const char* name) {
  return token.size() == strlen(name) && strncasecmp(token.data(), name, token.size()) == 0;
}

}  // namespace

std::unique_ptr<ContentDecoder> ContentDecoder::ForContentEncoding(const std::vector<std::string_view>& values,
                                                                   std::string* error) {
  std::vector<std::unique_ptr<Stage>> stages;
  size_t codings = 0;
  for (std::string_view value : values) {
    while (!value.empty()) {
      size_t comma = value.find(',');
      std::string_view token = Trim(value.substr(0, comma));
      value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
      if (token.empty()) continue;
      if (++codings > kMaxCodings) {
        *error = "more than " + std::to_string(kMaxCodings) + " content codings";
        return nullptr;
      }
      if (Is(token, "gzip") || Is(token, "x-gzip")) {
        stages.push_back(std::make_unique<ZlibStage>(true));
      } else if (Is(token, "deflate")) {
        stages.push_back(std::make_unique<ZlibStage>(false));
      } else if (Is(token, "br")) {
        auto stage = std::make_unique<BrotliStage>();
        if (!stage->ok()) {
          *error = "brotli decoder initialisation failed";
          return nullptr;
        }
        stages.push_back(std::move(stage));
      } else if (Is(token, "zstd")) {
        auto stage = std::make_unique<ZstdStage>();
        if (!stage->ok()) {
          *error = "zstd decoder initialisation failed";
          return nullptr;
        }
        stages.push_back(std::move(stage));
      } else {
        // Chromium (URLRequestHttpJob::SetUpSourceStream) delivers the raw body when any
        // coding is one it does not decode, identity included.
        return nullptr;
      }
    }
  }
  if (stages.empty()) return nullptr;
  // Content-Encoding lists codings in the order they were applied.
  std::vector<std::unique_ptr<Stage>> decoding_order(std::make_move_iterator(stages.rbegin()),
                                                     std::make_move_iterator(stages.rend()));
  return std::unique_ptr<ContentDecoder>(new ContentDecoder(std::move(decoding_order)));
}

ContentDecoder::ContentDecoder(std::vector<std::unique_ptr<Stage>> stages)
    : stages_(std::move(stages)), between_(stages_.size() - 1) {}

ContentDecoder::~ContentDecoder() = default;

size_t ContentDecoder::Decode(const char** input, size_t* input_size, char* out, size_t out_size) {
  if (failed()) return 0;
  const size_t last = stages_.size() - 1;
  size_t produced = 0;
  for (;;) {
    bool progress = false;
    // Last stage first: room made downstream is used before anything more is decoded upstream,
    // so the buffers between stages stay small and nothing is decoded that has no room.
    for (size_t i = stages_.size(); i-- > 0;) {
      const unsigned char* in;
      size_t in_size;
      if (i == 0) {
        in = reinterpret_cast<const unsigned char*>(*input);
        in_size = *input_size;
      } else {
        Buffer& source = between_[i - 1];
        in = source.bytes.get() + source.begin;
        in_size = source.end - source.begin;
      }
      unsigned char* o;
      size_t o_size;
      if (i == last) {
        o = reinterpret_cast<unsigned char*>(out) + produced;
        o_size = out_size - produced;
      } else {
        Buffer& target = between_[i];
        if (target.begin == target.end) {
          target.begin = target.end = 0;
        } else if (target.end == Buffer::kSize && target.begin > 0) {
          memmove(target.bytes.get(), target.bytes.get() + target.begin, target.end - target.begin);
          target.end -= target.begin;
          target.begin = 0;
        }
        o = target.bytes.get() + target.end;
        o_size = Buffer::kSize - target.end;
      }
      if (o_size == 0) continue;
      const unsigned char* in_start = in;
      unsigned char* o_start = o;
      if (!stages_[i]->Run(&in, &in_size, &o, &o_size, &error_)) {
        if (error_.empty()) error_ = "corrupt encoded data";
        return produced;
      }
      size_t consumed = static_cast<size_t>(in - in_start);
      size_t written = static_cast<size_t>(o - o_start);
      if (i == 0) {
        *input += consumed;
        *input_size -= consumed;
      } else {
        between_[i - 1].begin += consumed;
      }
      if (i == last) {
        produced += written;
      } else {
        between_[i].end += written;
      }
      progress = progress || consumed > 0 || written > 0;
    }
    if (!progress || produced == out_size) break;
  }
  // With room left and no stage able to move, every byte must have been consumed; input left
  // over would wait forever for room that is already there.
  if (produced < out_size && *input_size > 0) error_ = "the decoder stopped consuming its input";
  return produced;
}

}  // namespace curlnet
