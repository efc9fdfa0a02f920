// The package under test, loaded the way a user loads it: the repository root (dist/index.js).
// BENCH_CURL_NET=<dir> points the harness at another build of the package (a private copy used
// while the root build is being rebuilt); run.mjs records it in the results when it is set.
module.exports = process.env.BENCH_CURL_NET ? require(require('path').resolve(process.env.BENCH_CURL_NET)) : require('../');
