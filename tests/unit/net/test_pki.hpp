// A test PKI for the HTTPS tests: a CA generated in memory, certificates it issues for given
// subject alternative names, and PEM files written under a per-process temporary directory.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace hookgate::net::testing {

struct Pem {
  std::string cert, key;
};

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

inline std::string to_pem(X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  const long len = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(b);
  return out;
}

inline std::string to_pem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(b);
  return out;
}

// A test PKI: one CA, and certificates it issues for given subject alternative names.
class TestCa {
 public:
  TestCa() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {
    cert_.reset(make("Hookgate Test CA", nullptr, key_.get(), "critical,CA:TRUE"));
  }
  std::string pem() const { return to_pem(cert_.get()); }
  // san: "DNS:localhost,IP:127.0.0.1"; client: a client-authentication certificate.
  Pem issue(const std::string& cn, const std::string& san) const {
    std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    std::unique_ptr<X509, X509Free> cert(make(cn, key.get(), key_.get(), "critical,CA:FALSE", san));
    return Pem{to_pem(cert.get()), to_pem(key.get())};
  }

 private:
  X509* make(const std::string& cn, EVP_PKEY* subject_key, EVP_PKEY* signing_key,
             const char* constraints, const std::string& san = {}) const {
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, subject_key ? subject_key : signing_key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509* issuer = subject_key ? cert_.get() : x;
    X509_set_issuer_name(x, X509_get_subject_name(issuer));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
    std::vector<std::pair<int, std::string>> exts = {{NID_basic_constraints, constraints}};
    if (!san.empty()) exts.emplace_back(NID_subject_alt_name, san);
    for (const auto& [nid, value] : exts) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      X509_add_ext(x, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(x, signing_key, EVP_sha256());
    return x;
  }

  std::unique_ptr<EVP_PKEY, KeyFree> key_;
  std::unique_ptr<X509, X509Free> cert_;
  mutable long serial_ = 0;
};

inline std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hookgate-client-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace hookgate::net::testing
