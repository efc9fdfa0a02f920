// The addon's own view of a hop's TLS handshakes, on builds whose libcurl uses the same OpenSSL
// as the addon (the prebuild, and the system build on OpenSSL distributions):
//  - every handshake asks the server to staple an OCSP response, and one that is validly signed
//    for the server's certificate and says "revoked" fails the handshake (libcurl can only ask
//    for a staple with CURLOPT_SSL_VERIFYSTATUS, which fails every server that does not staple);
//  - the first verification failure of each handshake is recorded with whose it was (origin or
//    HTTPS proxy): libcurl loses the origin's verdict when its handshake runs inside an HTTPS
//    proxy's TLS, and reports a refused staple only as a handshake error.
// Only handshakes libcurl verifies are judged: a hop with verification off (the certificate
// gate's own hops) records and refuses nothing.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <vector>

namespace curlnet {

// OpenSSL X509_V_ERR_* codes (X509_V_ERR_CERT_REVOKED for a revoked staple); 0 = none recorded.
struct HandshakeVerdicts {
  long origin = 0;
  long proxy = 0;
};

class TlsWatch {
 public:
  // Whether libcurl's TLS backend is the very OpenSSL the addon calls (checked once): an
  // SSL_CTX from another library must never reach these calls.
  static bool Available();

  // Watches the handshakes of the hop about to run on `easy` (after curl_easy_reset).
  // `https_proxy`: the hop's first handshake is an HTTPS proxy's.
  void Attach(CURL* easy, bool https_proxy);
  HandshakeVerdicts Verdicts() const;

  struct Record;  // one handshake's; shared with its SSL_CTX, which may outlive the hop

 private:
  static CURLcode OnSslContext(CURL* easy, void* ssl_ctx, void* self);

  bool https_proxy_ = false;
  std::vector<std::shared_ptr<Record>> records_;  // in handshake order
};

}  // namespace curlnet
