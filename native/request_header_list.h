// The request's header lines as the curl_slist libcurl reads (CURLOPT_HTTPHEADER), built in
// one allocation: the nodes, then the lines' text. A hop used to cost a std::string per line
// on the JS thread and a node plus a strdup per line on the curl thread (the profile of the
// curl thread showed malloc/free at ~2.6 µs per small request above the C libcurl loop).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string_view>

namespace curlnet {

class RequestHeaderList {
 public:
  // joined: complete "Name: value" lines separated by '\n', already validated by TS.
  // sends_body: the hop has a request body (libcurl would add a Content-Type).
  // Returns false if memory runs out.
  bool Build(std::string_view joined, bool sends_body);
  curl_slist* list() const { return head_; }

 private:
  std::unique_ptr<char[]> storage_;
  curl_slist* head_ = nullptr;
};

}  // namespace curlnet
