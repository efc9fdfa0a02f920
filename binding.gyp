{
  # End-user fallback build (node-gyp-build runs it when no prebuild fits). It reads the same
  # source list as CMakeLists.txt from native/build.json.
  "targets": [
    {
      "target_name": "curl_net",
      "sources": ["<!@(node -p \"require('./native/build.json').sources.join(' ')\")"],
      "defines": ["<!@(node -p \"require('./native/build.json').defines.join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fvisibility=hidden"],
      "cflags": ["-fvisibility=hidden"],
      "conditions": [
        ["OS!='win'", {
          "cflags_cc+": [
            "<!@(pkg-config --cflags libcurl 2>/dev/null || curl-config --cflags)",
            "<!@(pkg-config --cflags zlib libbrotlidec libzstd)"
          ],
          "libraries": [
            "<!@(pkg-config --libs libcurl 2>/dev/null || curl-config --libs)",
            "<!@(pkg-config --libs zlib libbrotlidec libzstd)"
          ]
        }],
        ["OS!='win' and '<!(pkg-config --exists \'openssl >= 3.0\' && echo 1 || echo 0)'=='1'", {
          "defines": ["CURL_NET_OPENSSL=1"],
          "cflags_cc+": ["<!@(pkg-config --cflags openssl)"],
          "libraries": ["<!@(pkg-config --libs openssl)"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES"
          }
        }]
      ]
    }
  ]
}
