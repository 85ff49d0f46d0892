// `hookgate`: the command line. Parses arguments (CLI11) and dispatches to one verb; nothing
// escapes main as an exception.
#include <exception>
#include <iostream>

#include "cli.hpp"

namespace {

using namespace hookgate::cli;

void add_stream_options(CLI::App& cmd, StreamOptions& o) {
  cmd.add_option("--url", o.url, "The gateway's base URL (http:// or https://)")->required();
  cmd.add_option("--source", o.sources, "A source to read; repeat for several")->required();
  cmd.add_option("--token", o.token, "The source's pull_token: env:NAME, file:PATH or inline")
      ->required();
  cmd.add_option("--events", o.events, "Only these event types (comma-separated)")->delimiter(',');
  cmd.add_option("--from", o.from, "Start at this seq, or 'now' (default: the saved cursor)");
  cmd.add_option("--ca-file", o.ca_file, "Extra PEM CA certificates trusted for the gateway");
  cmd.add_option("--max-event-bytes", o.max_event_bytes, "Largest event accepted from the stream")
      ->check(CLI::Range(std::size_t{4096}, std::size_t{1} << 30))
      ->capture_default_str();
}

int run(int argc, char** argv) {
  CLI::App app{"Hookgate: verify, sign and route webhooks"};
  app.set_version_flag("--version", "hookgate 0.1.0");
  app.require_subcommand(1);

  SignOptions sign;
  auto* sign_cmd =
      app.add_subcommand("sign", "Print the headers a provider would send with the body on stdin");
  sign_cmd->add_option("--scheme", sign.scheme.scheme, "Scheme name (see `hookgate schemes`)")
      ->required();
  sign_cmd->add_option("--secret", sign.secrets,
                       "Secret: inline, env:NAME or file:PATH; repeat to sign with several");
  sign_cmd->add_option("--key", sign.key_file,
                       "Private key file (PEM, or raw Ed25519 seed in hex/base64)");
  sign_cmd->add_option("--id", sign.id, "Message id (generated when the scheme carries one)");
  sign_cmd->add_option("--timestamp", sign.timestamp, "Unix seconds (default: now)");
  sign_cmd->add_option("--url", sign.url, "Full URL the request is sent to (schemes that sign it)");
  sign_cmd->add_option("--method", sign.method, "HTTP method (default POST)");
  sign_cmd->add_option("--scheme-file", sign.scheme.scheme_files,
                       "Load a user-defined scheme (TOML)");

  VerifyOptions verify;
  auto* verify_cmd =
      app.add_subcommand("verify", "Check the body on stdin and its headers against a scheme");
  verify_cmd->add_option("--scheme", verify.scheme.scheme, "Scheme name (see `hookgate schemes`)")
      ->required();
  verify_cmd->add_option("--secret", verify.secrets,
                         "Secret: inline, env:NAME or file:PATH; repeat for rotation");
  verify_cmd->add_option("--public-key", verify.public_keys,
                         "Public key: PEM, base64 DER or hex; inline, env: or file:");
  verify_cmd->add_option("--header", verify.headers, "A received header, 'Name: value'; repeat");
  verify_cmd->add_option("--url", verify.url, "Full URL the provider addressed");
  verify_cmd->add_option("--method", verify.method, "HTTP method (default POST)");
  verify_cmd->add_option("--now", verify.now, "Evaluate the timestamp check at this unix time");
  verify_cmd->add_option("--tolerance", verify.tolerance,
                         "Accepted timestamp age, both ways, in seconds");
  verify_cmd->add_option("--scheme-file", verify.scheme.scheme_files,
                         "Load a user-defined scheme (TOML)");

  std::vector<std::string> list_files;
  auto* schemes_cmd = app.add_subcommand("schemes", "List every scheme, one line each");
  schemes_cmd->add_option("--scheme-file", list_files, "Also list a user-defined scheme (TOML)");

  SecretOptions secret;
  auto* secret_cmd =
      app.add_subcommand("secret", "Generate a secret or key pair in a scheme's format");
  secret_cmd->add_option("--scheme", secret.scheme, "Scheme name")->required();
  secret_cmd->add_option("--kind", secret.kind,
                         "Override what is made: whsec, hex, alphanumeric, ed25519, ecdsa-p256");
  secret_cmd->add_option("--scheme-file", secret.scheme_files, "Load a user-defined scheme (TOML)");

  std::string config_path;
  auto* serve_cmd =
      app.add_subcommand("serve", "Run the gateway (sources, pull API, health, metrics)");
  serve_cmd->add_option("--config", config_path, "The hookgate.toml to serve")->required();

  EstablishOptions establish;
  auto* establish_cmd = app.add_subcommand(
      "establish", "Create a provider webhook and keep its secret through a secure handshake");
  auto* asana_cmd =
      establish_cmd->add_subcommand("asana", "Establish an Asana webhook for an asana source");
  establish_cmd->require_subcommand(1);
  asana_cmd->add_option("--config", establish.config, "The hookgate.toml the gateway serves")
      ->required();
  asana_cmd->add_option("--source", establish.source, "The [[source]] (scheme asana)")->required();
  asana_cmd->add_option("--resource", establish.resource, "The Asana resource gid to watch")
      ->required();
  asana_cmd
      ->add_option("--token", establish.token,
                   "Personal access token: env:NAME, file:PATH or inline")
      ->capture_default_str();
  asana_cmd->add_option("--api-base", establish.api_base, "Asana API base URL")
      ->capture_default_str();
  asana_cmd
      ->add_option("--window", establish.window_seconds, "Seconds the handshake window stays armed")
      ->check(CLI::Range(5, 600))
      ->capture_default_str();
  asana_cmd->add_option("--ca-file", establish.ca_file,
                        "Extra PEM CA certificates trusted for the API");

  ListenOptions listen;
  auto* listen_cmd = app.add_subcommand(
      "listen", "Forward a gateway's stream(s) to a local server, byte for byte, resumably");
  add_stream_options(*listen_cmd, listen.stream);
  listen_cmd->add_option("--forward-to", listen.forward_to, "Local URL the events are POSTed to")
      ->required();
  listen_cmd->add_option("--sign", listen.sign,
                         "Re-sign with Standard Webhooks: whsec_... inline, env:NAME or file:PATH");
  listen_cmd->add_option("--replay", listen.replay, "Re-send the event of this seq, then exit");
  listen_cmd->add_flag("--quiet", listen.quiet, "Print nothing but errors");
  listen_cmd->add_flag("--json", listen.json, "One JSON object per event on stdout");

  TailOptions tail;
  auto* tail_cmd =
      app.add_subcommand("tail", "Print a gateway's stream(s): verdict, headers, body");
  add_stream_options(*tail_cmd, tail.stream);
  tail_cmd->add_option("--body-bytes", tail.body_bytes, "Most bytes printed of a body")
      ->check(CLI::Range(std::size_t{64}, std::size_t{16} << 20))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (*sign_cmd) return run_sign(sign);
  if (*verify_cmd) return run_verify(verify);
  if (*schemes_cmd) return run_schemes(list_files);
  if (*secret_cmd) return run_secret(secret);
  if (*serve_cmd) return run_serve(config_path);
  if (*asana_cmd) return run_establish(establish);
  if (*listen_cmd) return run_listen(listen);
  if (*tail_cmd) return run_tail(tail);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "hookgate: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "hookgate: unexpected error\n";
  }
  return kExitUsage;
}
