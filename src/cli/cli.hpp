// The `hookgate` command's verbs. Each returns the process exit code; exit codes are a contract:
// 0 success (or "valid"), 1 "invalid" (verify only), 2 usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/schemes/catalogue.hpp"

namespace hookgate::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

// Options shared by sign and verify.
struct SchemeOptions {
  std::string scheme;
  std::vector<std::string> scheme_files;
};

struct SignOptions {
  SchemeOptions scheme;
  std::vector<std::string> secrets;
  std::string key_file;
  std::string id;
  std::string timestamp;  // unix seconds; empty = now
  std::string url;
  std::string method = "POST";
};

struct VerifyOptions {
  SchemeOptions scheme;
  std::vector<std::string> secrets;
  std::vector<std::string> public_keys;
  std::vector<std::string> headers;
  std::string url;
  std::string method = "POST";
  std::string now;        // unix seconds; empty = the clock
  std::string tolerance;  // seconds; empty = the scheme's
};

struct SecretOptions {
  std::string scheme;
  std::string kind;
  std::vector<std::string> scheme_files;
};

struct EstablishOptions {
  std::string config;
  std::string source;
  std::string resource;
  std::string token = "env:ASANA_ACCESS_TOKEN";  // inline, env:NAME or file:PATH
  std::string api_base = "https://app.asana.com/api/1.0";
  int window_seconds = 60;
  std::string ca_file;  // extra CA certificates for the API's TLS (tests, proxies)
};

// What `listen` and `tail` share: which gateway streams to read and how.
struct StreamOptions {
  std::string url;                   // the gateway's base URL
  std::vector<std::string> sources;  // one reader each
  std::string token;                 // inline, env:NAME or file:PATH; never printed
  std::string ca_file;               // extra PEM CA certificates for the gateway's TLS
  std::vector<std::string> events;   // event types to keep; empty: all
  std::string from;                  // "now", a seq, or empty (the saved cursor, else now)
  std::size_t max_event_bytes = 16U << 20;
};

struct ListenOptions {
  StreamOptions stream;
  std::string forward_to;
  std::string sign;    // whsec_...: re-sign with Standard Webhooks (inline, env:, file:)
  std::string replay;  // a seq: re-send that one event and exit
  bool quiet = false;
  bool json = false;
};

struct TailOptions {
  StreamOptions stream;
  std::size_t body_bytes = 64U << 10;  // of each body's printed form
};

// Exit codes of listen and tail beyond 0/1/2 (docs/cli.md): the values of relay::StopReason.
inline constexpr int kExitRefused = 3;
inline constexpr int kExitUnknownSource = 4;
inline constexpr int kExitUnreachable = 5;
inline constexpr int kExitProtocol = 6;

int run_listen(const ListenOptions& options);
int run_tail(const TailOptions& options);
int run_sign(const SignOptions& options);
int run_establish(const EstablishOptions& options);
int run_verify(const VerifyOptions& options);
int run_schemes(const std::vector<std::string>& scheme_files);
int run_secret(const SecretOptions& options);
int run_serve(const std::string& config_path);

// Helpers shared by the verbs (common.cpp).
Result<schemes::Catalogue> load_catalogue(const std::vector<std::string>& scheme_files);
Result<const schemes::Scheme*> find_scheme(const schemes::Catalogue& catalogue,
                                           const std::string& name);
// The whole of standard input, in binary; Error beyond the cap.
Result<std::string> read_stdin(std::size_t cap);
Result<std::int64_t> parse_unix(const std::string& text, const std::string& flag);
int usage_error(const std::string& message);
// Wall-clock unix milliseconds (the store's and the wire's times).
std::int64_t now_ms();

inline constexpr std::size_t kMaxBodyBytes = 64u << 20;

}  // namespace hookgate::cli
