#include "error_snapshot.h"

#include <cstring>

namespace curlnet {
namespace {

long InfoLong(CURL* easy, CURLINFO info) {
  long value = 0;
  curl_easy_getinfo(easy, info, &value);
  return value;
}

}  // namespace

void CaptureOutcome(CURL* easy, CURLcode result, const char* error_buffer, bool detailed, Event* done) {
  done->num[kDoneCurlCode] = result;
  done->num[kDoneOsErrno] = InfoLong(easy, CURLINFO_OS_ERRNO);
  done->num[kDoneConnectCode] = InfoLong(easy, CURLINFO_HTTP_CONNECTCODE);
#if LIBCURL_VERSION_NUM >= 0x074900
  done->num[kDoneProxyError] = InfoLong(easy, CURLINFO_PROXY_ERROR);
#endif
  done->num[kDoneSslVerifyResult] = InfoLong(easy, CURLINFO_SSL_VERIFYRESULT);
  done->num[kDoneProxySslVerifyResult] = InfoLong(easy, CURLINFO_PROXY_SSL_VERIFYRESULT);
  done->num[kDoneResponseCode] = InfoLong(easy, CURLINFO_RESPONSE_CODE);
  done->num[kDoneHttpAuthAvail] = InfoLong(easy, CURLINFO_HTTPAUTH_AVAIL);
  done->num[kDoneProxyAuthAvail] = InfoLong(easy, CURLINFO_PROXYAUTH_AVAIL);
  // A local port exists once TCP connected, whatever happened after (TLS, proxy, timeout);
  // CONNECT_TIME_T stays 0 on some of those paths in 7.88.1.
  if (InfoLong(easy, CURLINFO_LOCAL_PORT) != 0) done->num[kDoneFlags] = kDoneConnected;
  if (detailed) {
    done->num[kDonePrimaryPort] = InfoLong(easy, CURLINFO_PRIMARY_PORT);
    // 0 new connections for a hop that connected: it reused a pooled one.
    done->num[kDoneNumConnects] = InfoLong(easy, CURLINFO_NUM_CONNECTS);
    char* ip = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != nullptr) done->text[kDoneRefPrimaryIp] = ip;
    // Filled only when the hop made a new TLS connection (CURLOPT_CERTINFO); the first
    // certificate is the server's.
    struct curl_certinfo* certs = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_CERTINFO, &certs) == CURLE_OK && certs != nullptr && certs->num_of_certs > 0) {
      for (curl_slist* line = certs->certinfo[0]; line != nullptr; line = line->next) {
        if (strncmp(line->data, "Subject:", 8) == 0) {
          done->text[kDoneRefCertSubject] = line->data + 8;
          break;
        }
      }
    }
  }

  if (error_buffer && error_buffer[0]) {
    done->text[kDoneRefErrorText] = error_buffer;
  } else if (result != CURLE_OK) {
    done->text[kDoneRefErrorText] = curl_easy_strerror(result);
  }
}

}  // namespace curlnet
