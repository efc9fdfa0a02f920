#include "response_head.h"

#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace curlnet {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string Trim(const char* begin, const char* end) {
  while (begin < end && IsSpace(*begin)) ++begin;
  while (end > begin && IsSpace(end[-1])) --end;
  return std::string(begin, end);
}

bool EqualsIgnoreCase(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

bool ContainsTokenIgnoreCase(const std::string& value, const char* token) {
  size_t n = strlen(token);
  for (size_t i = 0; i + n <= value.size(); ++i) {
    if (strncasecmp(value.c_str() + i, token, n) == 0) return true;
  }
  return false;
}

}  // namespace

std::string ResponseHead::JoinFields() const {
  std::string out;
  size_t total = 0;
  for (const auto& f : fields) total += f.first.size() + f.second.size() + 2;
  out.reserve(total);
  for (const auto& f : fields) {
    if (!out.empty()) out.push_back('\n');
    out.append(f.first);
    out.push_back('\n');
    out.append(f.second);
  }
  return out;
}

ResponseHeadParser::Line ResponseHeadParser::Feed(const char* data, size_t length) {
  const char* end = data + length;
  while (end > data && (end[-1] == '\n' || end[-1] == '\r')) --end;
  if (end == data) {
    in_block_ = false;
    return Line::kBlockComplete;
  }
  if (length >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    block_ = ResponseHead();
    content_length_.clear();
    location_.clear();
    in_block_ = true;
    ParseStatusLine(std::string(data, end));
    return Line::kStatus;
  }
  if (!in_block_) return Line::kOutsideBlock;
  if (IsSpace(*data)) {
    // Obsolete line folding: the continuation belongs to the previous field's value.
    if (!block_.fields.empty()) {
      std::string more = Trim(data, end);
      std::string& value = block_.fields.back().second;
      if (!more.empty()) {
        if (!value.empty()) value.push_back(' ');
        value.append(more);
      }
    }
    return Line::kField;
  }
  AddField(std::string(data, end));
  return Line::kField;
}

void ResponseHeadParser::ParseStatusLine(const std::string& line) {
  // "HTTP/1.1 200 OK", "HTTP/2 200", "HTTP/1.0 404"
  const char* p = line.c_str() + 5;
  char* next = nullptr;
  block_.version_major = static_cast<int>(strtol(p, &next, 10));
  block_.version_minor = 0;
  if (next && *next == '.') block_.version_minor = static_cast<int>(strtol(next + 1, &next, 10));
  while (next && IsSpace(*next)) ++next;
  block_.status = next ? static_cast<int>(strtol(next, &next, 10)) : 0;
  if (next && IsSpace(*next)) ++next;
  block_.reason = next ? Trim(next, line.c_str() + line.size()) : std::string();
}

void ResponseHeadParser::AddField(const std::string& line) {
  size_t colon = line.find(':');
  if (colon == std::string::npos) {
    block_.fields.emplace_back(line, std::string());
    return;
  }
  std::string name(line, 0, colon);
  while (!name.empty() && IsSpace(name.back())) name.pop_back();
  std::string value = Trim(line.c_str() + colon + 1, line.c_str() + line.size());
  if (EqualsIgnoreCase(name, "transfer-encoding") && ContainsTokenIgnoreCase(value, "chunked")) {
    block_.chunked = true;
  } else if (EqualsIgnoreCase(name, "content-length")) {
    if (block_.has_content_length && value != content_length_) block_.conflicting_content_length = true;
    block_.has_content_length = true;
    content_length_ = value;
  } else if (EqualsIgnoreCase(name, "location")) {
    if (!location_.empty() && value != location_) block_.conflicting_location = true;
    location_ = value;
  }
  block_.fields.emplace_back(std::move(name), std::move(value));
}

}  // namespace curlnet
