// Parses the header lines libcurl hands to CURLOPT_HEADERFUNCTION into header blocks: a status
// line, the header fields, a blank line. libcurl shows every block it reads (1xx, intermediate
// auth rounds), so the transfer decides which block becomes "the response".
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace curlnet {

struct ResponseHead {
  int status = 0;
  int version_major = 1;
  int version_minor = 1;
  std::string reason;
  // Names exactly as received, values without surrounding whitespace, in wire order.
  std::vector<std::pair<std::string, std::string>> fields;
  bool chunked = false;
  bool has_content_length = false;
  bool conflicting_content_length = false;
  bool conflicting_location = false;

  // Names and values alternating, '\n'-joined: the JS side splits it straight into rawHeaders.
  std::string JoinFields() const;
};

class ResponseHeadParser {
 public:
  enum class Line {
    kStatus,         // a status line started a new block
    kField,          // a header field was added to the current block
    kBlockComplete,  // the blank line ended the current block
    kOutsideBlock,   // a field with no status line before it (trailers)
  };

  Line Feed(const char* data, size_t length);
  ResponseHead& block() { return block_; }

 private:
  void ParseStatusLine(const std::string& line);
  void AddField(const std::string& line);

  ResponseHead block_;
  bool in_block_ = false;
  std::string content_length_;
  std::string location_;
};

}  // namespace curlnet
