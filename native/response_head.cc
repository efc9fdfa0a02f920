#include "response_head.h"

#include <strings.h>

namespace curlnet {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool ContainsTokenIgnoreCase(std::string_view value, std::string_view token) {
  for (size_t i = 0; i + token.size() <= value.size(); ++i) {
    if (strncasecmp(value.data() + i, token.data(), token.size()) == 0) return true;
  }
  return false;
}

// Reads a decimal number at the front of `s` (and drops it); 0 when there is none.
int TakeNumber(std::string_view* s) {
  int n = 0;
  while (!s->empty() && s->front() >= '0' && s->front() <= '9' && n < 100000000) {
    n = n * 10 + (s->front() - '0');
    s->remove_prefix(1);
  }
  return n;
}

}  // namespace

ResponseHeadParser::Line ResponseHeadParser::Feed(const char* data, size_t length) {
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) {
    in_block_ = false;
    return Line::kBlockComplete;
  }
  if (line.substr(0, 5) == "HTTP/") {
    std::string fields = std::move(block_.fields);
    fields.clear();  // the capacity serves the next block (a 1xx or an auth round before it)
    block_ = ResponseHead();
    block_.fields = std::move(fields);
    block_.fields.reserve(512);
    content_length_.clear();
    location_.clear();
    in_block_ = true;
    ParseStatusLine(line);
    return Line::kStatus;
  }
  if (!in_block_) return Line::kOutsideBlock;
  if (IsSpace(line.front())) {
    // Obsolete line folding: the continuation belongs to the previous field's value, which
    // is the end of the joined string.
    std::string_view more = Trim(line);
    if (block_.field_count > 0 && !more.empty()) {
      if (block_.fields.back() != '\n') block_.fields.push_back(' ');
      block_.fields.append(more);
    }
    return Line::kField;
  }
  AddField(line);
  return Line::kField;
}

void ResponseHeadParser::ParseStatusLine(std::string_view line) {
  // "HTTP/1.1 200 OK", "HTTP/2 200", "HTTP/1.0 404"
  std::string_view rest = line.substr(5);
  block_.version_major = TakeNumber(&rest);
  block_.version_minor = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    block_.version_minor = TakeNumber(&rest);
  }
  while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
  block_.status = TakeNumber(&rest);
  if (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
  block_.reason.assign(Trim(rest));
}

void ResponseHeadParser::AddField(std::string_view line) {
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    while (!name.empty() && IsSpace(name.back())) name.remove_suffix(1);
    value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "transfer-encoding") && ContainsTokenIgnoreCase(value, "chunked")) {
      block_.chunked = true;
    } else if (EqualsIgnoreCase(name, "content-length")) {
      if (block_.has_content_length && value != content_length_) block_.conflicting_content_length = true;
      block_.has_content_length = true;
      content_length_.assign(value);
    } else if (EqualsIgnoreCase(name, "location")) {
      if (!location_.empty() && value != location_) block_.conflicting_location = true;
      location_.assign(value);
    }
  }
  std::string& out = block_.fields;
  if (block_.field_count > 0) out.push_back('\n');
  out.append(name);
  out.push_back('\n');
  out.append(value);
  ++block_.field_count;
}

}  // namespace curlnet
