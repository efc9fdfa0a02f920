// Negotiate (Kerberos/SPNEGO) for the bundled build without a load-time dependency, as Chromium
// does on Linux. The static libcurl is compiled against MIT's GSS-API headers only
// (scripts/bundled/build-deps.sh, build_krb5); every gss_* function and data symbol it uses is
// defined here. The first call opens the system's libgssapi_krb5.so.2 (RTLD_LOCAL: its symbols
// stay out of the process's global scope) and forwards from then on. Where the library is
// missing, every call fails with GSS_S_FAILURE and a minor status that gss_display_status turns
// into a sentence naming the package to install; libcurl then treats Negotiate as failed, and
// the TypeScript layer (ts/login.ts) asks curl_net_gssapi_unavailable() to tell the user why.
// Requests that use other schemes never load anything.
//
// CURL_NET_GSSAPI_LIBRARY names another library to open instead (a path or a soname, e.g. a
// krb5 installed under /opt); the tests use a path that does not exist. It is read with
// secure_getenv, so it is ignored in set-user-ID programs.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // secure_getenv
#endif

#include "gssapi_loader.h"

#include <dlfcn.h>
#include <gssapi/gssapi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIBRARY "libgssapi_krb5.so.2"
#define PACKAGE_HINT                                                                            \
  "Install the MIT Kerberos GSS-API library: libgssapi-krb5-2 on Debian and Ubuntu, krb5-libs " \
  "on RHEL, Fedora and Amazon Linux, krb5 on openSUSE."

// The minor status of every call made while the library is unavailable ("CuN" + 1). Real minor
// statuses only ever come from the library, so this one cannot be mistaken for one of them.
#define MINOR_UNAVAILABLE ((OM_uint32)0x43754e01u)

// RFC 2744's GSS_C_NT_HOSTBASED_SERVICE, {iso(1) member-body(2) US(840) mit(113554) infosys(1)
// gssapi(2) generic(1) service_name(4)}. libcurl passes it to gss_import_name, which compares
// OIDs by value, so this copy is as good as the library's own (and needs no library to exist).
static gss_OID_desc hostbased_service_oid = {10, (void*)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"};
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &hostbased_service_oid;

// The functions libcurl calls (nm -u of libcurl.a): HTTP Negotiate, plus SOCKS5 GSS-API's.
#define GSSAPI_FUNCTIONS(X) \
  X(gss_import_name)        \
  X(gss_init_sec_context)   \
  X(gss_release_name)       \
  X(gss_release_buffer)     \
  X(gss_delete_sec_context) \
  X(gss_display_status)     \
  X(gss_display_name)       \
  X(gss_inquire_context)    \
  X(gss_wrap)               \
  X(gss_unwrap)

#define DECLARE_POINTER(name) static __typeof__(name)* real_##name;
GSSAPI_FUNCTIONS(DECLARE_POINTER)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;
static char unavailable[1024];

static void load(void) {
  const char* configured = secure_getenv("CURL_NET_GSSAPI_LIBRARY");
  const int overridden = configured != NULL && configured[0] != '\0';
  const char* library = overridden ? configured : DEFAULT_LIBRARY;
  const char* source = overridden ? " (CURL_NET_GSSAPI_LIBRARY)" : "";
  void* handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    const char* why = dlerror();
    snprintf(unavailable, sizeof unavailable,
             "Negotiate (Kerberos) authentication needs the GSS-API library %s%s, which could not be "
             "loaded: %s. " PACKAGE_HINT,
             library, source, why != NULL ? why : "unknown error");
    return;
  }
  const char* missing = NULL;
#define RESOLVE(name)                                                   \
  if (missing == NULL) {                                                \
    real_##name = (__typeof__(name)*)dlsym(handle, #name);              \
    if (real_##name == NULL) missing = #name;                           \
  }
  GSSAPI_FUNCTIONS(RESOLVE)
#undef RESOLVE
  if (missing != NULL) {
    snprintf(unavailable, sizeof unavailable,
             "Negotiate (Kerberos) authentication needs the GSS-API library %s%s, which was loaded "
             "but has no %s: it is not MIT Kerberos' libgssapi_krb5. " PACKAGE_HINT,
             library, source, missing);
    dlclose(handle);
    return;
  }
  loaded = 1;  // the handle stays open for the life of the process
}

const char* curl_net_gssapi_unavailable(void) {
  pthread_once(&load_once, load);
  return loaded ? NULL : unavailable;
}

static int available(void) { return curl_net_gssapi_unavailable() == NULL; }

static OM_uint32 fail_unavailable(OM_uint32* minor_status) {
  if (minor_status != NULL) *minor_status = MINOR_UNAVAILABLE;
  return GSS_S_FAILURE;
}

static void clear_buffer(gss_buffer_t buffer) {
  if (buffer != GSS_C_NO_BUFFER) {
    buffer->length = 0;
    buffer->value = NULL;
  }
}

OM_uint32 gss_import_name(OM_uint32* minor_status, gss_buffer_t input_name_buffer, gss_OID input_name_type,
                          gss_name_t* output_name) {
  if (available()) return real_gss_import_name(minor_status, input_name_buffer, input_name_type, output_name);
  if (output_name != NULL) *output_name = GSS_C_NO_NAME;
  return fail_unavailable(minor_status);
}

OM_uint32 gss_init_sec_context(OM_uint32* minor_status, gss_cred_id_t claimant_cred_handle,
                               gss_ctx_id_t* context_handle, gss_name_t target_name, gss_OID mech_type,
                               OM_uint32 req_flags, OM_uint32 time_req, gss_channel_bindings_t input_chan_bindings,
                               gss_buffer_t input_token, gss_OID* actual_mech_type, gss_buffer_t output_token,
                               OM_uint32* ret_flags, OM_uint32* time_rec) {
  if (available()) {
    return real_gss_init_sec_context(minor_status, claimant_cred_handle, context_handle, target_name, mech_type,
                                     req_flags, time_req, input_chan_bindings, input_token, actual_mech_type,
                                     output_token, ret_flags, time_rec);
  }
  clear_buffer(output_token);
  return fail_unavailable(minor_status);
}

OM_uint32 gss_display_name(OM_uint32* minor_status, gss_name_t input_name, gss_buffer_t output_name_buffer,
                           gss_OID* output_name_type) {
  if (available()) return real_gss_display_name(minor_status, input_name, output_name_buffer, output_name_type);
  clear_buffer(output_name_buffer);
  return fail_unavailable(minor_status);
}

OM_uint32 gss_inquire_context(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_name_t* src_name,
                              gss_name_t* targ_name, OM_uint32* lifetime_rec, gss_OID* mech_type,
                              OM_uint32* ctx_flags, int* locally_initiated, int* open) {
  if (available()) {
    return real_gss_inquire_context(minor_status, context_handle, src_name, targ_name, lifetime_rec, mech_type,
                                    ctx_flags, locally_initiated, open);
  }
  return fail_unavailable(minor_status);
}

OM_uint32 gss_wrap(OM_uint32* minor_status, gss_ctx_id_t context_handle, int conf_req_flag, gss_qop_t qop_req,
                   gss_buffer_t input_message_buffer, int* conf_state, gss_buffer_t output_message_buffer) {
  if (available()) {
    return real_gss_wrap(minor_status, context_handle, conf_req_flag, qop_req, input_message_buffer, conf_state,
                         output_message_buffer);
  }
  clear_buffer(output_message_buffer);
  return fail_unavailable(minor_status);
}

OM_uint32 gss_unwrap(OM_uint32* minor_status, gss_ctx_id_t context_handle, gss_buffer_t input_message_buffer,
                     gss_buffer_t output_message_buffer, int* conf_state, gss_qop_t* qop_state) {
  if (available()) {
    return real_gss_unwrap(minor_status, context_handle, input_message_buffer, output_message_buffer, conf_state,
                           qop_state);
  }
  clear_buffer(output_message_buffer);
  return fail_unavailable(minor_status);
}

// Without the library no name or context was ever created, so there is nothing to release.
OM_uint32 gss_release_name(OM_uint32* minor_status, gss_name_t* input_name) {
  if (available()) return real_gss_release_name(minor_status, input_name);
  if (minor_status != NULL) *minor_status = 0;
  return GSS_S_COMPLETE;
}

OM_uint32 gss_delete_sec_context(OM_uint32* minor_status, gss_ctx_id_t* context_handle, gss_buffer_t output_token) {
  if (available()) return real_gss_delete_sec_context(minor_status, context_handle, output_token);
  clear_buffer(output_token);
  if (minor_status != NULL) *minor_status = 0;
  return GSS_S_COMPLETE;
}

// Without the library the only buffers handed out are gss_display_status's below (malloc'd).
OM_uint32 gss_release_buffer(OM_uint32* minor_status, gss_buffer_t buffer) {
  if (available()) return real_gss_release_buffer(minor_status, buffer);
  if (buffer != GSS_C_NO_BUFFER) free(buffer->value);
  clear_buffer(buffer);
  if (minor_status != NULL) *minor_status = 0;
  return GSS_S_COMPLETE;
}

// libcurl logs a failed call as gss_display_status's text of its minor status: without the
// library, that is the reason and the package to install.
OM_uint32 gss_display_status(OM_uint32* minor_status, OM_uint32 status_value, int status_type, gss_OID mech_type,
                             OM_uint32* message_context, gss_buffer_t status_string) {
  if (available()) {
    return real_gss_display_status(minor_status, status_value, status_type, mech_type, message_context,
                                   status_string);
  }
  clear_buffer(status_string);
  if (minor_status != NULL) *minor_status = 0;
  if (message_context != NULL) *message_context = 0;
  if (status_type != GSS_C_MECH_CODE || status_value != MINOR_UNAVAILABLE) return GSS_S_BAD_STATUS;
  if (status_string == GSS_C_NO_BUFFER) return GSS_S_CALL_INACCESSIBLE_WRITE;
  const size_t length = strlen(unavailable);
  status_string->value = malloc(length + 1);
  if (status_string->value == NULL) return fail_unavailable(minor_status);
  memcpy(status_string->value, unavailable, length + 1);
  status_string->length = length;
  return GSS_S_COMPLETE;
}
