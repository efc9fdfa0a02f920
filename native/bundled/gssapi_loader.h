// The bundled build's GSS-API: libcurl's gss_* calls land in gssapi_loader.c, which opens the
// system's MIT Kerberos library on first use. See gssapi_loader.c and docs/building.md.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* Loads the GSS-API library if that has not been tried yet (once per process, thread-safe) and
   returns NULL when it is usable, else why not: a sentence naming the library, the loader's
   reason and the package that provides it. The text lives as long as the process. */
const char* curl_net_gssapi_unavailable(void);

#ifdef __cplusplus
}
#endif
