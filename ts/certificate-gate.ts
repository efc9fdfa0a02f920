// The values of the per-hop `certificateGate` extra (native/contract.json): whether the native
// side holds an https hop before its request until its connection's chain is one JavaScript
// accepted, and whether libcurl verifies that chain as well.
export const enum CertificateGate {
  Off = 0,
  /** libcurl verifies too: a held hop's chain passed libcurl's verification. */
  WithLibcurl = 1,
  /** libcurl does not verify: only accepted chains get a request. */
  Only = 2,
}
