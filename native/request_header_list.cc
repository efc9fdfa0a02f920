#include "request_header_list.h"

#include <strings.h>

#include <cstring>
#include <new>

namespace curlnet {
namespace {

// The characters libcurl trims off a custom header's value before deciding that the value is
// empty, which makes "Name: <blank>" mean "remove this header". libcurl 8.14.1 (the bundled one)
// trims SP and HTAB only; older versions (7.88 is Debian 12's) trim every isspace() character,
// so a value of only \v or \f there must go out in the empty form too, or the header is lost.
const char* BlankToLibcurl() {
  static const char* const blank =
      curl_version_info(CURLVERSION_NOW)->version_num >= 0x080e01 ? " \t" : " \t\v\f";
  return blank;
}

bool NameIs(std::string_view line, std::string_view name) {
  return line.size() > name.size() && line[name.size()] == ':' &&
         strncasecmp(line.data(), name.data(), name.size()) == 0;
}

// Chromium sends neither Expect nor a default Accept or Content-Type; libcurl would, unless
// the list holds the name with no value.
constexpr std::string_view kNoExpect = "Expect:";
constexpr std::string_view kNoAccept = "Accept:";
constexpr std::string_view kNoContentType = "Content-Type:";

}  // namespace

bool RequestHeaderList::Build(std::string_view joined, bool sends_body) {
  const char* blank = BlankToLibcurl();
  size_t lines = 0;
  bool has_accept = false, has_content_type = false, has_expect = false;
  for (size_t start = 0; start < joined.size();) {
    size_t end = joined.find('\n', start);
    if (end == std::string_view::npos) end = joined.size();
    std::string_view line = joined.substr(start, end - start);
    if (!line.empty()) {
      ++lines;
      has_accept = has_accept || NameIs(line, "accept");
      has_content_type = has_content_type || NameIs(line, "content-type");
      has_expect = has_expect || NameIs(line, "expect");
    }
    start = end + 1;
  }
  const bool add_expect = !has_expect, add_accept = !has_accept;
  const bool add_content_type = sends_body && !has_content_type;
  const size_t nodes = lines + add_expect + add_accept + add_content_type;
  if (nodes == 0) return true;
  // Each line ends in a NUL where its '\n' was (one more for the last line), then the added
  // lines, each with its NUL.
  const size_t text_bytes = joined.size() + 1 + (add_expect ? kNoExpect.size() + 1 : 0) +
                            (add_accept ? kNoAccept.size() + 1 : 0) +
                            (add_content_type ? kNoContentType.size() + 1 : 0);
  storage_.reset(new (std::nothrow) char[nodes * sizeof(curl_slist) + text_bytes]);
  if (!storage_) return false;
  // new char[] is aligned for any fundamental type, so the nodes may start the block.
  curl_slist* node = reinterpret_cast<curl_slist*>(storage_.get());
  char* text = storage_.get() + nodes * sizeof(curl_slist);
  curl_slist* previous = nullptr;
  auto link = [&](char* data) {
    node->data = data;
    node->next = nullptr;
    if (previous) previous->next = node;
    else head_ = node;
    previous = node++;
  };
  for (size_t start = 0; start < joined.size();) {
    size_t end = joined.find('\n', start);
    if (end == std::string_view::npos) end = joined.size();
    const size_t length = end - start;
    if (length > 0) {
      memcpy(text, joined.data() + start, length);
      text[length] = '\0';
      char* colon = static_cast<char*>(memchr(text, ':', length));
      if (colon && colon[1 + strspn(colon + 1, blank)] == '\0') {
        // "Name:" would tell libcurl to remove the header; "Name;" sends it with an empty value.
        colon[0] = ';';
        colon[1] = '\0';
      }
      link(text);
      text += length + 1;
    }
    start = end + 1;
  }
  for (auto [add, line] : {std::pair{add_expect, kNoExpect}, std::pair{add_accept, kNoAccept},
                           std::pair{add_content_type, kNoContentType}}) {
    if (!add) continue;
    memcpy(text, line.data(), line.size());
    text[line.size()] = '\0';
    link(text);
    text += line.size() + 1;
  }
  return true;
}

}  // namespace curlnet
