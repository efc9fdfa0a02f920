// Parses the header lines libcurl hands to CURLOPT_HEADERFUNCTION into header blocks: a status
// line, the header fields, a blank line. libcurl shows every block it reads (1xx, intermediate
// auth rounds), so the transfer decides which block becomes "the response".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace curlnet {

struct ResponseHead {
  int status = 0;
  int version_major = 1;
  int version_minor = 1;
  std::string reason;
  // Names exactly as received and values without surrounding whitespace, alternating and
  // '\n'-joined in wire order: the form the JS side splits straight into rawHeaders, built
  // while parsing so a response costs one string rather than two per field.
  std::string fields;
  size_t field_count = 0;
  bool chunked = false;
  bool has_content_length = false;
  bool conflicting_content_length = false;
  bool conflicting_location = false;

  // Calls visit(name, value) for every field, in wire order.
  template <typename Visit>
  void ForEachField(Visit visit) const {
    std::string_view rest(fields);
    for (size_t i = 0; i < field_count; ++i) {
      size_t name_end = rest.find('\n');
      std::string_view name = rest.substr(0, name_end);
      rest.remove_prefix(name_end + 1);
      size_t value_end = rest.find('\n');
      visit(name, rest.substr(0, value_end));
      rest.remove_prefix(value_end == std::string_view::npos ? rest.size() : value_end + 1);
    }
  }
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
  void ParseStatusLine(std::string_view line);
  void AddField(std::string_view line);

  ResponseHead block_;
  bool in_block_ = false;
  std::string content_length_;
  std::string location_;
};

}  // namespace curlnet
