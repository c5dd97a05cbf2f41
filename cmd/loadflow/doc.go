// Command loadflow measures whole sign-ins against a running Foyer, through
// its HTTP API only, on 127.0.0.1 only (scripts/load-flow.sh starts Redis
// and Foyer, pinned to one core, and runs it).
//
// On the dev-mode demo tenant (username and password sign-up, MFA off,
// passkeys with "preferred" resident keys) it:
//
//   - reports memory (-memory): the Redis bytes of the interaction (MEMORY
//     USAGE of foyer:ix:{<cookie>}) after each step of a sign-up that
//     binds a passkey, of one that binds TOTP, and of a passkey and a
//     password sign-in; and the bytes a user, a passkey and a TOTP factor
//     add to the tenant's keys, from a SCAN before and after each sign-up;
//   - seeds users by signing them up: -users with a password and a
//     discoverable ES256 passkey bound at sign-up (tests/authenticator),
//     -password-users with a password only (a user with a passkey must pass
//     it as a second factor after a password);
//   - runs each flow twice: a sequential pass (-seq sign-ins, one at a
//     time), whose Redis counters give the exact round trips
//     (total_reads_processed: one read event per round trip of the server)
//     and commands of one sign-in; then -c workers, each with its own
//     cookies, for -duration, which give sign-ins per second, p50/p99, and
//     the server's CPU and read+write syscalls per sign-in from
//     /proc/<-pid>;
//   - times one ES256 verification (SHA-256 of the signed data and an ECDSA
//     P-256 check) in this process, in CPU time, the floor of a passkey
//     sign-in, and prints the ratio of the two (the goal is at most 4x);
//   - with -profile and -pprof (Foyer's metrics listener), writes a CPU
//     profile of Foyer taken during the first load phase.
//
// A passkey sign-in is four requests: PUT /api/interaction {event: SignIn},
// POST /api/interaction/verification/webauthn-authentication, PUT
// /api/interaction with the assertion as the passkey identifier, POST
// /api/interaction/submit. A password sign-in is two: PUT /api/interaction
// with {username, password} as the identifier, then submit. Every sign-in
// is checked (see package flows) and every failure counted by step, status
// and code; the exit status is 1 when any failed.
//
// Every phase is bounded in count and in time (at most 10 s each), and the
// whole run stops after two minutes. Output is a table for people and
// RESULT / MEMORY lines of key=value pairs for scripts.
package main
