#include "error_snapshot.h"

namespace curlnet {
namespace {

long InfoLong(CURL* easy, CURLINFO info) {
  long value = 0;
  curl_easy_getinfo(easy, info, &value);
  return value;
}

}  // namespace

void CaptureOutcome(CURL* easy, CURLcode result, const char* error_buffer, Event* done) {
  done->num[kDoneCurlCode] = result;
  done->num[kDoneOsErrno] = InfoLong(easy, CURLINFO_OS_ERRNO);
  long connect_code = InfoLong(easy, CURLINFO_HTTP_CONNECTCODE);
  done->num[kDoneConnectCode] = connect_code;
#if LIBCURL_VERSION_NUM >= 0x074900
  done->num[kDoneProxyError] = InfoLong(easy, CURLINFO_PROXY_ERROR);
#endif
  done->num[kDoneSslVerifyResult] = InfoLong(easy, CURLINFO_SSL_VERIFYRESULT);
  done->num[kDoneProxySslVerifyResult] = InfoLong(easy, CURLINFO_PROXY_SSL_VERIFYRESULT);
  done->num[kDoneResponseCode] = InfoLong(easy, CURLINFO_RESPONSE_CODE);
  done->num[kDoneHttpAuthAvail] = InfoLong(easy, CURLINFO_HTTPAUTH_AVAIL);
  done->num[kDoneProxyAuthAvail] = InfoLong(easy, CURLINFO_PROXYAUTH_AVAIL);
  curl_off_t connect_time = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time);
  if (connect_time > 0) done->num[kDoneFlags] = kDoneConnected;

  if (error_buffer && error_buffer[0]) {
    done->text = error_buffer;
  } else if (result != CURLE_OK) {
    done->text = curl_easy_strerror(result);
  }

#if LIBCURL_VERSION_NUM >= 0x075300
  if (connect_code >= 300) {
    // The challenge of a refused CONNECT, for 'login' on an HTTPS-through-proxy hop.
    struct curl_header* header = nullptr;
    for (size_t i = 0;; ++i) {
      if (curl_easy_header(easy, "Proxy-Authenticate", i, CURLH_CONNECT, -1, &header) != CURLHE_OK) break;
      if (!done->text2.empty()) done->text2.push_back('\n');
      done->text2.append(header->value);
      if (i + 1 >= header->amount) break;
    }
  }
#endif
}

}  // namespace curlnet
