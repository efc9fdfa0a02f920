#include "tls_watch.h"

#ifdef CURL_NET_OPENSSL
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstring>
#include <mutex>
#include <string>
#endif

namespace curlnet {

struct TlsWatch::Record {
  bool proxy = false;
  long verify_error = 0;  // the first failure; later ones follow from it
};

#ifdef CURL_NET_OPENSSL
namespace {

using RecordRef = std::shared_ptr<TlsWatch::Record>;

void FreeRecordRef(void* parent, void* ptr, CRYPTO_EX_DATA* ad, int index, long argl, void* argp) {
  delete static_cast<RecordRef*>(ptr);
}

// The SSL_CTX slot holding a heap RecordRef (freed with the SSL_CTX, which belongs to a
// connection and may outlive the hop or die before it ends).
int RecordIndex() {
  static int index = -1;
  static std::once_flag once;
  std::call_once(once, [] { index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeRecordRef); });
  return index;
}

TlsWatch::Record* RecordOf(SSL* ssl) {
  if (ssl == nullptr) return nullptr;
  auto* ref = static_cast<RecordRef*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), RecordIndex()));
  return ref == nullptr ? nullptr : ref->get();
}

bool Verifying(SSL* ssl) { return (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0; }

void Note(TlsWatch::Record* record, long error) {
  if (record != nullptr && record->verify_error == 0) record->verify_error = error;
}

// Keeps OpenSSL's verdict; only remembers it.
int OnVerify(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl != nullptr && Verifying(ssl)) Note(RecordOf(ssl), X509_STORE_CTX_get_error(store));
  return preverify_ok;
}

// True only for a response signed for this chain (by its issuer or a responder it delegated
// to) that names the leaf as revoked. Anything unreadable or unverifiable is no information,
// as in Chromium: the connection goes on.
bool StapleSaysRevoked(SSL* ssl, const unsigned char* der, long length) {
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  if (chain == nullptr || sk_X509_num(chain) < 2) return false;
  OCSP_RESPONSE* response = d2i_OCSP_RESPONSE(nullptr, &der, length);
  if (response == nullptr) return false;
  bool revoked = false;
  OCSP_BASICRESP* basic = OCSP_response_status(response) == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(response) : nullptr;
  X509_STORE* store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
  if (basic != nullptr && store != nullptr && OCSP_basic_verify(basic, chain, store, 0) == 1) {
    OCSP_CERTID* id = OCSP_cert_to_id(nullptr, sk_X509_value(chain, 0), sk_X509_value(chain, 1));
    int status = -1;
    int reason = 0;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    if (id != nullptr && OCSP_resp_find_status(basic, id, &status, &reason, &revoked_at, &this_update, &next_update) == 1) {
      revoked = status == V_OCSP_CERTSTATUS_REVOKED;
    }
    OCSP_CERTID_free(id);
  }
  OCSP_BASICRESP_free(basic);
  OCSP_RESPONSE_free(response);
  ERR_clear_error();  // failed parses must not reach libcurl's error reporting
  return revoked;
}

// Runs once the server's chain was verified, whether or not it stapled. Returning 0 fails the
// handshake (a bad_certificate_status_response alert).
int OnStapledStatus(SSL* ssl, void* arg) {
  if (!Verifying(ssl)) return 1;
  const unsigned char* der = nullptr;
  long length = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
  if (der == nullptr || length <= 0) return 1;
  if (!StapleSaysRevoked(ssl, der, length)) return 1;
  Note(static_cast<TlsWatch::Record*>(arg), X509_V_ERR_CERT_REVOKED);
  return 0;
}

}  // namespace

bool TlsWatch::Available() {
  static const bool available = [] {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info == nullptr || info->ssl_version == nullptr) return false;
    // libcurl writes "OpenSSL/<major.minor.patch>" from the OpenSSL it calls; the same text
    // from ours means both bind to one library (Node exports its OpenSSL, and on Linux both
    // libcurl's and our references may resolve there).
    std::string ours = std::string("OpenSSL/") + OpenSSL_version(OPENSSL_VERSION_STRING);
    return ours == info->ssl_version;
  }();
  return available;
}

void TlsWatch::Attach(CURL* easy, bool https_proxy) {
  https_proxy_ = https_proxy;
  records_.clear();
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &TlsWatch::OnSslContext);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, this);
}

// libcurl calls this for each new TLS connection of the hop, the HTTPS proxy's first, after
// it set the verify mode and before the SSL object exists.
CURLcode TlsWatch::OnSslContext(CURL* easy, void* ssl_ctx, void* self) {
  auto* watch = static_cast<TlsWatch*>(self);
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  auto record = std::make_shared<Record>();
  record->proxy = watch->https_proxy_ && watch->records_.empty();
  auto* ref = new RecordRef(record);
  if (SSL_CTX_set_ex_data(ctx, RecordIndex(), ref) != 1) {
    delete ref;
    return CURLE_OK;  // not watched; libcurl's own verification still applies
  }
  watch->records_.push_back(std::move(record));
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), &OnVerify);
  SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp);
  SSL_CTX_set_tlsext_status_cb(ctx, &OnStapledStatus);
  SSL_CTX_set_tlsext_status_arg(ctx, ref->get());
  return CURLE_OK;
}

HandshakeVerdicts TlsWatch::Verdicts() const {
  HandshakeVerdicts verdicts;
  for (const auto& record : records_) {
    long& slot = record->proxy ? verdicts.proxy : verdicts.origin;
    if (slot == 0) slot = record->verify_error;
  }
  return verdicts;
}

#else  // libcurl's TLS is not reachable from here: nothing is watched

bool TlsWatch::Available() { return false; }
void TlsWatch::Attach(CURL*, bool) {}
CURLcode TlsWatch::OnSslContext(CURL*, void*, void*) { return CURLE_OK; }
HandshakeVerdicts TlsWatch::Verdicts() const { return {}; }

#endif

}  // namespace curlnet
