# CMake toolchain for the linux-arm64 prebuild, cross-compiled on x86_64 with Debian's
# g++-aarch64-linux-gnu (glibc and libstdc++ for arm64 under /usr/aarch64-linux-gnu). Used by
# scripts/bundled/build-deps.sh (brotli, nghttp2, curl) and by the addon's own build
# (node scripts/bundled/prebuild.mjs --target linux-arm64). Its text is part of the dependency
# cache key.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
# Programs (perl, pkg-config...) from the build machine; headers and libraries from arm64 only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Configure checks that must run a test program (try_run) run it under qemu-user.
find_program(CURL_NET_QEMU_AARCH64 qemu-aarch64-static)
if(CURL_NET_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${CURL_NET_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu")
endif()
