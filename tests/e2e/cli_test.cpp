// The real `hookgate` binary: exit codes, sign -> verify round trips across schemes, published
// vectors on the command line, secret sources, user-defined schemes, and no secret in errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "run_process.hpp"

namespace hookgate::e2e {
namespace {

ProcessResult hookgate(std::vector<std::string> args, const std::string& input = "",
                       const std::map<std::string, std::string>& env = {}) {
  args.insert(args.begin(), HOOKGATE_BINARY);
  return run_process(args, input, env);
}

// Turns `hookgate sign` output into --header arguments.
std::vector<std::string> as_header_args(const std::string& signed_headers) {
  std::vector<std::string> out;
  std::istringstream lines(signed_headers);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    out.push_back("--header");
    out.push_back(line);
  }
  return out;
}

std::string temp_file(const std::string& name, const std::string& text) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hookgate-cli-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// "label: value" or a PEM block after "label:".
std::string field(const std::string& text, const std::string& label) {
  const auto at = text.find(label + ":");
  if (at == std::string::npos) return {};
  auto start = at + label.size() + 1;
  if (text[start] == '\n') {
    const auto end = text.find("-----END", start);
    return text.substr(start + 1, text.find('\n', end) - start);
  }
  ++start;
  return text.substr(start, text.find('\n', start) - start);
}

TEST(Cli, GitHubDocumentedVector) {
  const std::vector<std::string> args = {
      "verify",
      "--scheme",
      "github",
      "--secret",
      "It's a Secret to Everybody",
      "--header",
      "X-Hub-Signature-256: "
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"};
  const auto ok = hookgate(args, "Hello, World!");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("valid"), std::string::npos);
  const auto bad = hookgate(args, "Hello, World?");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("no_match"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("It's a Secret"), std::string::npos);
  EXPECT_EQ(bad.err.find("757107ea"), std::string::npos);
}

TEST(Cli, StandardWebhooksVectorAndTolerance) {
  const std::vector<std::string> args = {
      "verify",
      "--scheme",
      "standard-webhooks",
      "--secret",
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "--header",
      "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
      "--header",
      "webhook-timestamp: 1614265330",
      "--header",
      "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="};
  auto with_now = args;
  with_now.insert(with_now.end(), {"--now", "1614265330"});
  EXPECT_EQ(hookgate(with_now, R"({"test": 2432232314})").exit_code, 0);
  const auto stale = hookgate(args, R"({"test": 2432232314})");
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("timestamp_too_old"), std::string::npos) << stale.err;
  auto tolerant = with_now;
  tolerant[tolerant.size() - 1] = "1614265400";
  tolerant.insert(tolerant.end(), {"--tolerance", "60"});
  EXPECT_EQ(hookgate(tolerant, R"({"test": 2432232314})").exit_code, 1);
}

TEST(Cli, SignThenVerifyAcrossSchemes) {
  const std::string body = "{\"event\":\"paid\",\"note\":\"caf\xc3\xa9\"}";
  const struct {
    const char* scheme;
    std::vector<std::string> extra;
  } cases[] = {
      {"standard-webhooks", {}},
      {"stripe", {}},
      {"github", {}},
      {"slack", {}},
      {"twilio", {"--url", "https://example.com/sms?x=1"}},
      {"paddle", {}},
      {"box", {}},
      {"hubspot", {"--url", "https://example.com/hook"}},
      {"zoho-projects", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.scheme);
    const auto secret = field(hookgate({"secret", "--scheme", c.scheme}).out, "secret");
    ASSERT_FALSE(secret.empty());
    std::vector<std::string> sign_args = {"sign", "--scheme", c.scheme, "--secret", secret};
    sign_args.insert(sign_args.end(), c.extra.begin(), c.extra.end());
    const auto signed_headers = hookgate(sign_args, body);
    ASSERT_EQ(signed_headers.exit_code, 0) << signed_headers.err;
    std::vector<std::string> verify_args = {"verify", "--scheme", c.scheme, "--secret", secret};
    verify_args.insert(verify_args.end(), c.extra.begin(), c.extra.end());
    const auto headers = as_header_args(signed_headers.out);
    verify_args.insert(verify_args.end(), headers.begin(), headers.end());
    const auto verified = hookgate(verify_args, body);
    EXPECT_EQ(verified.exit_code, 0) << signed_headers.out << verified.err;
    EXPECT_EQ(hookgate(verify_args, body + " ").exit_code, 1);
  }
}

TEST(Cli, AsymmetricSchemesWithGeneratedKeys) {
  for (const char* scheme : {"discord", "sendgrid"}) {
    SCOPED_TRACE(scheme);
    const auto keys = hookgate({"secret", "--scheme", scheme});
    ASSERT_EQ(keys.exit_code, 0) << keys.err;
    const auto private_key =
        temp_file(std::string(scheme) + ".key", field(keys.out, "private_key"));
    const auto public_key = field(keys.out, "public_key");
    const auto signed_headers = hookgate({"sign", "--scheme", scheme, "--key", private_key}, "{}");
    ASSERT_EQ(signed_headers.exit_code, 0) << signed_headers.err;
    std::vector<std::string> args = {"verify", "--scheme", scheme, "--public-key", public_key};
    const auto headers = as_header_args(signed_headers.out);
    args.insert(args.end(), headers.begin(), headers.end());
    EXPECT_EQ(hookgate(args, "{}").exit_code, 0) << hookgate(args, "{}").err;
    EXPECT_EQ(hookgate(args, "{ }").exit_code, 1);
    // A shared secret where a public key is needed is named as such.
    std::vector<std::string> wrong = {"verify", "--scheme", scheme, "--secret", "not-a-key"};
    wrong.insert(wrong.end(), headers.begin(), headers.end());
    const auto r = hookgate(wrong, "{}");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("wrong_key_type"), std::string::npos) << r.err;
  }
  // Standard Webhooks' asymmetric form: whsk_ signs, whpk_ verifies, v1a on the wire.
  const auto keys = hookgate({"secret", "--scheme", "standard-webhooks", "--kind", "ed25519"});
  const auto whsk = field(keys.out, "private_key");
  const auto whpk = field(keys.out, "public_key");
  ASSERT_TRUE(whsk.starts_with("whsk_") && whpk.starts_with("whpk_")) << keys.out;
  const auto signed_headers =
      hookgate({"sign", "--scheme", "standard-webhooks", "--secret", whsk}, "x");
  EXPECT_NE(signed_headers.out.find("v1a,"), std::string::npos) << signed_headers.out;
  std::vector<std::string> args = {"verify", "--scheme", "standard-webhooks", "--public-key", whpk};
  const auto headers = as_header_args(signed_headers.out);
  args.insert(args.end(), headers.begin(), headers.end());
  EXPECT_EQ(hookgate(args, "x").exit_code, 0);
}

TEST(Cli, RotationSignsWithEverySecret) {
  const auto out = hookgate({"sign", "--scheme", "stripe", "--secret", "old-secret", "--secret",
                             "new-secret", "--timestamp", "1700000000"},
                            "{}");
  ASSERT_EQ(out.exit_code, 0) << out.err;
  const auto headers = as_header_args(out.out);
  for (const char* secret : {"old-secret", "new-secret"}) {
    std::vector<std::string> args = {"verify", "--scheme", "stripe",    "--secret",
                                     secret,   "--now",    "1700000000"};
    args.insert(args.end(), headers.begin(), headers.end());
    EXPECT_EQ(hookgate(args, "{}").exit_code, 0) << secret;
  }
}

TEST(Cli, SecretSources) {
  const auto sig = hookgate({"sign", "--scheme", "github", "--secret", "s3cret"}, "b");
  const auto headers = as_header_args(sig.out);
  const auto path = temp_file("secret.txt", "s3cret\n");
  for (const std::string& source : {std::string("env:HG_TEST_SECRET"), "file:" + path}) {
    std::vector<std::string> args = {"verify", "--scheme", "github", "--secret", source};
    args.insert(args.end(), headers.begin(), headers.end());
    EXPECT_EQ(hookgate(args, "b", {{"HG_TEST_SECRET", "s3cret"}}).exit_code, 0) << source;
  }
  const auto unset = hookgate({"verify", "--scheme", "github", "--secret", "env:HG_SURELY_UNSET",
                               "--header", "X-Hub-Signature-256: sha256=00"},
                              "b");
  EXPECT_EQ(unset.exit_code, 2);
  EXPECT_NE(unset.err.find("HG_SURELY_UNSET"), std::string::npos) << unset.err;
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(hookgate({"verify", "--scheme", "nope", "--secret", "x"}).exit_code, 2);
  EXPECT_EQ(hookgate({"verify", "--scheme", "github"}).exit_code, 2);  // no key
  EXPECT_EQ(
      hookgate({"verify", "--scheme", "github", "--secret", "x", "--header", "no colon"}).exit_code,
      2);
  EXPECT_EQ(
      hookgate({"verify", "--scheme", "github", "--secret", "x", "--now", "yesterday"}).exit_code,
      2);
  EXPECT_EQ(hookgate({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(hookgate({}).exit_code, 2);
  EXPECT_EQ(hookgate({"sign", "--scheme", "mailgun", "--secret", "x"}, "{}").exit_code, 2);
  EXPECT_EQ(hookgate({"sign", "--scheme", "twilio", "--secret", "x"}, "").exit_code, 2);  // --url
  const auto zoho = hookgate({"verify", "--scheme", "zoho-projects", "--secret", "short-secret",
                              "--header", "X-ZP-WEBHOOK-SIGNATURE: AAAA"});
  EXPECT_EQ(zoho.exit_code, 2);
  EXPECT_EQ(zoho.err.find("short-secret"), std::string::npos) << zoho.err;
  EXPECT_EQ(hookgate({"--help"}).exit_code, 0);
  EXPECT_EQ(hookgate({"--version"}).exit_code, 0);
}

TEST(Cli, DuplicateSignatureHeaderIsRefused) {
  const auto r =
      hookgate({"verify", "--scheme", "github", "--secret", "s", "--header",
                "X-Hub-Signature-256: sha256=00", "--header", "x-hub-signature-256: sha256=01"},
               "b");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("duplicate_header"), std::string::npos) << r.err;
}

TEST(Cli, SchemesListsTheCatalogue) {
  const auto r = hookgate({"schemes"});
  ASSERT_EQ(r.exit_code, 0);
  std::size_t lines = 0;
  for (const char c : r.out)
    lines += c == '\n' ? 1 : 0;
  EXPECT_GE(lines, 35u);
  for (const char* name : {"stripe ", "zoho-projects ", "standard-webhooks ", "aws-sns "}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

TEST(Cli, SecretFormats) {
  for (int i = 0; i < 5; ++i) {
    const auto zoho = field(hookgate({"secret", "--scheme", "zoho-projects"}).out, "secret");
    EXPECT_GE(zoho.size(), 16u);
    EXPECT_LE(zoho.size(), 128u);
  }
  EXPECT_TRUE(field(hookgate({"secret", "--scheme", "standard-webhooks"}).out, "secret")
                  .starts_with("whsec_"));
  EXPECT_EQ(hookgate({"secret", "--scheme", "aws-sns"}).exit_code, 2);
}

TEST(Cli, UserDefinedSchemeFile) {
  const auto good = temp_file("acme.toml", R"(name = "acme"
content = "{timestamp}.{body}"
[signature]
header = "X-Acme-Signature"
algorithm = "hmac-sha256"
encoding = "base64"
[timestamp]
header = "X-Acme-Timestamp"
tolerance = 60
)");
  const auto signed_headers =
      hookgate({"sign", "--scheme-file", good, "--scheme", "acme", "--secret", "k"}, "b");
  ASSERT_EQ(signed_headers.exit_code, 0) << signed_headers.err;
  std::vector<std::string> args = {"verify", "--scheme-file", good, "--scheme",
                                   "acme",   "--secret",      "k"};
  const auto headers = as_header_args(signed_headers.out);
  args.insert(args.end(), headers.begin(), headers.end());
  EXPECT_EQ(hookgate(args, "b").exit_code, 0);
  const auto broken = temp_file(
      "broken.toml",
      "name = \"acme\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = \"md4\"\n");
  const auto r =
      hookgate({"verify", "--scheme-file", broken, "--scheme", "acme", "--secret", "k"}, "b");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(broken + ":5: key 'signature.algorithm'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hookgate::e2e
