// Verification cost per scheme for a 1 KiB body, next to the reference measured in the same
// run: OpenSSL's one-shot HMAC() of the same 1 KiB. The ratio BM_Verify/github : BM_RawHmacSha256
// is the figure the issue's 1.2x bound is about.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/secret.hpp"
#include "hookgate/schemes/sign.hpp"
#include "hookgate/schemes/verify.hpp"

namespace {

using namespace hookgate::schemes;

const std::string& body_1k() {
  static const std::string body = [] {
    std::string b = R"({"type":"event","data":")";
    while (b.size() < 1022)
      b += static_cast<char>('a' + b.size() % 26);
    return b + "\"}";
  }();
  return body;
}

void BM_RawHmacSha256(benchmark::State& state) {
  const std::string key = "It's a Secret to Everybody";
  const auto& body = body_1k();
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &len);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RawHmacSha256);

struct Prepared {
  const Scheme* scheme;
  std::vector<Key> verify_keys;
  HeaderList headers;
  std::string body;
  std::chrono::system_clock::time_point signed_at;
};

// 1 KiB of JSON; schemes that read their timestamp from the body (Linear) find it there.
std::string body_for(const Scheme& scheme, std::chrono::system_clock::time_point at) {
  if (scheme.timestamp.kind != Location::Kind::json_field) return body_1k();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  std::string body = body_1k();
  body.insert(1, "\"" + scheme.timestamp.name + "\":" + std::to_string(ms) + ",");
  return body;
}

// Signs the body once with a fresh key so the verify loop measures a valid verification.
std::optional<Prepared> prepare(const Scheme& scheme) {
  if (!scheme.procedure.empty() || !scheme.signature_json_field.empty()) return std::nullopt;
  auto generated = generate_secret(scheme);
  std::string secret_text = generated ? generated->secret : "bench-secret-0123456789";
  hookgate::Result<Key> signer = generated && !generated->public_key.empty()
                                     ? Key::parse_private_key(scheme, secret_text)
                                     : Key::parse_secret(scheme, secret_text);
  if (!signer) return std::nullopt;
  const Key sign_keys[] = {signer.value()};
  const auto now = std::chrono::system_clock::now();
  std::string body = body_for(scheme, now);
  auto headers =
      sign(scheme, SignInput{"POST", "https://hooks.example.com/in", body, "", now}, sign_keys);
  if (!headers) return std::nullopt;
  Prepared p{&scheme, {}, std::move(headers.value()), std::move(body), now};
  if (generated && !generated->public_key.empty()) {
    auto pub = Key::parse_public_key(scheme, generated->public_key);
    if (!pub) return std::nullopt;
    p.verify_keys.push_back(pub.value());
  } else {
    p.verify_keys.push_back(signer.value());
  }
  return p;
}

void register_schemes() {
  static const Catalogue catalogue = Catalogue::with_builtins().value();
  for (const auto& scheme : catalogue.all()) {
    auto prepared = prepare(scheme);
    if (!prepared) continue;
    benchmark::RegisterBenchmark(
        ("BM_Verify/" + scheme.name).c_str(), [p = std::move(*prepared)](benchmark::State& state) {
          const RequestView req{"POST", "https://hooks.example.com/in", p.headers, p.body};
          // Evaluated at signing time: Paddle's window is 5 s.
          VerifyOptions options;
          options.now = p.signed_at;
          for (auto _ : state) {
            auto v = verify(*p.scheme, req, p.verify_keys, options);
            if (!v.ok()) {
              state.SkipWithError(v.detail.c_str());
              break;
            }
            benchmark::DoNotOptimize(v);
          }
        });
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Registered from main, not a static initialiser: the catalogue is built before any benchmark.
  register_schemes();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
