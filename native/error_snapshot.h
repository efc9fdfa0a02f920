// Everything the TS layer needs to name a finished hop's outcome as a Chromium net error:
// libcurl's result refined by errno, CONNECT code, SOCKS error, certificate verdicts and
// libcurl's error text. Native code sends the data; TS decides the name.
#pragma once

#include <curl/curl.h>

#include "event.h"

namespace curlnet {

// `detailed`: also the connection's address and whether it was new (HopFlag Observed).
void CaptureOutcome(CURL* easy, CURLcode result, const char* error_buffer, bool detailed, Event* done);

}  // namespace curlnet
