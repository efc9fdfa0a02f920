# Included by CMakeLists.txt when CURL_NET_BUNDLED=ON (the prebuilt-binary build):
#   cmake-js build --out build-bundled --CDCURL_NET_BUNDLED=ON
# Links the static libcurl + nghttp2 + OpenSSL + zstd + brotli + zlib that
# scripts/bundled/build-deps.sh builds from Debian's source packages, and hides every one of
# their symbols, so that the .node needs only the C runtime and cannot bind to (or be bound by)
# the OpenSSL/nghttp2/zlib/brotli that Node or Electron export. See docs/building.md.
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  message(FATAL_ERROR "CURL_NET_BUNDLED is implemented for Linux only; see docs/building.md for the macOS and Windows plan")
endif()

set(CURL_NET_DEPS_PREFIX "" CACHE PATH
  "Prefix holding the static dependencies (empty: build or reuse them with scripts/bundled/build-deps.sh)")
set(_cn_bundled_dir "${CMAKE_CURRENT_SOURCE_DIR}/scripts/bundled")

if(CURL_NET_DEPS_PREFIX)
  set(_cn_deps "${CURL_NET_DEPS_PREFIX}")
else()
  # Idempotent: a cache hit returns at once; a miss builds everything (several minutes).
  message(STATUS "curl-net: static dependencies (scripts/bundled/build-deps.sh)")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
    set(_cn_target linux-arm64)
  else()
    set(_cn_target linux-x64)
  endif()
  execute_process(
    COMMAND bash "${_cn_bundled_dir}/build-deps.sh" --target "${_cn_target}"
    OUTPUT_VARIABLE _cn_deps
    OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _cn_rc)
  if(NOT _cn_rc EQUAL 0)
    message(FATAL_ERROR "scripts/bundled/build-deps.sh failed (${_cn_rc})")
  endif()
  # New versions or a changed recipe mean a new cache key: reconfigure when they change.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    "${_cn_bundled_dir}/versions.txt" "${_cn_bundled_dir}/build-deps.sh")
endif()
message(STATUS "curl-net: bundled dependencies in ${_cn_deps}")

# Link order: every archive before the archives it uses.
set(_cn_archives "")
foreach(_lib curl nghttp2 ssl crypto zstd brotlidec brotlicommon z)
  set(_archive "${_cn_deps}/lib/lib${_lib}.a")
  if(NOT EXISTS "${_archive}")
    message(FATAL_ERROR "${_archive} is missing: rerun scripts/bundled/build-deps.sh")
  endif()
  list(APPEND _cn_archives "${_archive}")
endforeach()

# Negotiate: libcurl's gss_* calls end in this unit, which opens the system's libgssapi_krb5.so.2
# on first use (dlopen: libdl on glibc < 2.34, part of libc after).
target_sources(${CURL_NET_TARGET} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/native/bundled/gssapi_loader.c")

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

# glibc 2.28 floor: every reference to a glibc symbol versioned after 2.28, in our objects and in
# every static archive, is redirected (--wrap) to glibc-compat.c, which calls the old version.
# The --wrap list is read from the wrappers the file defines, so the two cannot drift.
set(_cn_glibc_compat "${_cn_bundled_dir}/glibc-compat.c")
file(READ "${_cn_glibc_compat}" _cn_compat_text)
string(REGEX MATCHALL "__wrap_[A-Za-z0-9_]+" _cn_wrapped "${_cn_compat_text}")
list(REMOVE_DUPLICATES _cn_wrapped)
set(_cn_wrap_options "")
foreach(_sym ${_cn_wrapped})
  string(REGEX REPLACE "^__wrap_" "" _sym "${_sym}")
  list(APPEND _cn_wrap_options "LINKER:--wrap=${_sym}")
endforeach()
target_sources(${CURL_NET_TARGET} PRIVATE "${_cn_glibc_compat}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_cn_glibc_compat}")

target_compile_definitions(${CURL_NET_TARGET} PRIVATE CURL_STATICLIB CURL_NET_BUNDLED=1 CURL_NET_OPENSSL=1)
# BEFORE: these headers must win over a system libcurl's in /usr/include.
target_include_directories(${CURL_NET_TARGET} BEFORE PRIVATE "${_cn_deps}/include")
target_compile_options(${CURL_NET_TARGET} PRIVATE -fvisibility=hidden -ffunction-sections -fdata-sections)
# libpthread and libdl: on glibc < 2.34 the old pthread_*/dl* versions glibc-compat.c binds to
# live there, not in libc, so they must be loaded with the addon whatever the host process links.
target_link_libraries(${CURL_NET_TARGET} PRIVATE ${_cn_archives} Threads::Threads
  "-Wl,--push-state,--no-as-needed" -l:libpthread.so.0 -l:libdl.so.2 "-Wl,--pop-state")
target_link_options(${CURL_NET_TARGET} PRIVATE
  ${_cn_wrap_options}
  # Symbols from the static archives become local to the .node ...
  "LINKER:--exclude-libs,ALL"
  # ... and only Node-API's entry points are exported at all.
  "LINKER:--version-script=${_cn_bundled_dir}/exports.map"
  # No libstdc++.so/libgcc_s.so from the build machine: ldd shows the C runtime only.
  -static-libstdc++ -static-libgcc
  "LINKER:--gc-sections"
  "LINKER:--as-needed"
  "LINKER:-z,relro,-z,now"
  "LINKER:-z,noexecstack")
set_property(TARGET ${CURL_NET_TARGET} APPEND PROPERTY LINK_DEPENDS "${_cn_bundled_dir}/exports.map")

# Fails the build when anything but the Node-API entry points is exported, when the .node needs
# more than the C runtime, or when a path of the dependency cache was compiled in.
add_custom_command(TARGET ${CURL_NET_TARGET} POST_BUILD
  COMMAND ${CMAKE_COMMAND} -E env "NM=${CMAKE_NM}"
    bash "${_cn_bundled_dir}/check-binary.sh" "$<TARGET_FILE:${CURL_NET_TARGET}>" "${_cn_deps}"
  VERBATIM)
