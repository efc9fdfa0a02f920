// ava configuration for the test suite under qemu-user (bash scripts/bundled/test-arm64.sh
// --suite): every test file runs in a worker thread of the one emulated arm64 Node, because the
// kernel cannot start an arm64 process without binfmt_misc. Left out: the files built around
// Node child processes or a host compiler (the node-gyp build, the loader's child-process
// matrix, lifecycle/exit tests, the glibc-compat object built for x86_64, the package and qemu
// tests themselves). The six tests elsewhere that start a child Node (three in net-errors,
// two in pac, one in proxy-servers) fail under emulation for the same reason.
export default {
  files: [
    'dist-test/test/**/*.test.js',
    '!dist-test/test/{build,load-binding,lifecycle,glibc-compat,package-install,arm64-qemu}.test.js',
  ],
  workerThreads: true,
  // Emulation is 5-20x slower than the machine; the hang bounds of the suite stay as they are.
  timeout: '300s',
  concurrency: 2,
};
