// The rules HttpClient (blocking, one connection per request) and HttpPool (asynchronous,
// pooled) share, so both refuse the same requests, verify servers the same way and word their
// errors alike: request checks, error texts, address conversions, the TLS client context and the
// per-connection TLS verification settings. Included only by the two Beast translation units.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hookgate/net/http_client.hpp"
#include "hookgate/net/http_url.hpp"
#include "hookgate/net/ip_address.hpp"
#include "hookgate/result.hpp"

namespace hookgate::net::detail {

inline std::string lower_first(std::string text) {
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') {
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  }
  return text;
}

inline IpAddress to_ip(const boost::asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::v4(a.to_v4().to_uint());
  return IpAddress::v6(a.to_v6().to_bytes());
}

inline boost::asio::ip::address to_asio(const IpAddress& ip) {
  if (ip.is_v4()) return boost::asio::ip::address_v4(ip.v4_value());
  return boost::asio::ip::address_v6(ip.v6_bytes());
}

inline std::string describe(const boost::asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  const auto text = to_ip(a).to_string();
  return (a.is_v6() ? "[" + text + "]" : text) + ":" + std::to_string(ep.port());
}

inline bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

inline bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

// Field values may hold visible bytes, spaces and tabs; a CR or LF would start a new header.
inline bool is_field_value(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

inline std::optional<std::string> check_request(const OutboundRequest& request) {
  if (!is_token(request.method)) return "request: malformed method";
  for (const auto& [name, value] : request.headers.items()) {
    if (!is_token(name)) return "request: malformed header name";
    if (!is_field_value(value)) return "request: header " + name + " holds a control byte";
    for (const char* own : {"Host", "Content-Length", "Transfer-Encoding", "Connection"}) {
      if (schemes::iequals(name, own)) return "request: header " + name + " is set by the client";
    }
  }
  return std::nullopt;
}

inline std::string timeout_error(std::chrono::milliseconds timeout, std::string_view step) {
  return "timeout after " + std::to_string(timeout.count()) + " ms (" + std::string(step) + ")";
}

// A TLS alert after the handshake (a server refusing the client certificate under TLS 1.3) is a
// TLS problem, whatever step noticed it.
inline std::string failure(std::string_view step, const boost::beast::error_code& ec) {
  const bool tls = ec.category() == boost::asio::error::get_ssl_category() ||
                   ec.category() == boost::asio::ssl::error::get_stream_category();
  return (tls ? std::string("tls") : std::string(step)) + ": " + lower_first(ec.message());
}

// The client TLS context of HttpClientOptions: TLS 1.2 or later, peer verification against the
// system trust store and/or the CA file, the client certificate when configured. Also checks
// the timeouts, so a client and a pool refuse the same options.
inline Result<std::unique_ptr<boost::asio::ssl::context>> make_client_tls_context(
    const HttpClientOptions& options) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  boost::beast::error_code ec;
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (options.system_trust) {
    ctx->set_default_verify_paths(ec);
    if (ec) return Error{"cannot load the system trust store: " + ec.message()};
  }
  if (!options.ca_file.empty()) {
    ctx->load_verify_file(options.ca_file, ec);
    if (ec) return Error{"cannot load CA file " + options.ca_file + ": " + ec.message()};
  }
  if (options.client_certificate.empty() != options.client_private_key.empty()) {
    return Error{"a client certificate needs both the certificate and its private key"};
  }
  if (!options.client_certificate.empty()) {
    ctx->use_certificate_chain_file(options.client_certificate, ec);
    if (ec) {
      return Error{"cannot load client certificate " + options.client_certificate + ": " +
                   ec.message()};
    }
    ctx->use_private_key_file(options.client_private_key, ssl::context::pem, ec);
    if (ec) {
      return Error{"cannot load client private key " + options.client_private_key + ": " +
                   ec.message()};
    }
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
      return Error{"client private key " + options.client_private_key +
                   " does not match the certificate"};
    }
  }
  if (options.timeout <= std::chrono::milliseconds::zero() ||
      options.connect_timeout <= std::chrono::milliseconds::zero()) {
    return Error{"timeouts must be positive"};
  }
  return ctx;
}

// What one TLS connection to url checks: the host name (SNI sent) or, for an address literal,
// the address as an IP SAN (RFC 6066: no SNI for addresses).
inline void set_tls_peer_checks(SSL* ssl_handle, const HttpUrl& url) {
  std::string name = url.host;
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (url.ip) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_handle, name.c_str());
    SSL_set_hostflags(ssl_handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl_handle, name.c_str());
  }
}

// The error of a failed handshake: the verification failure when there was one.
inline std::string handshake_failure(SSL* ssl_handle, const boost::beast::error_code& ec) {
  const long verify = SSL_get_verify_result(ssl_handle);
  if (verify != X509_V_OK) {
    return std::string("tls: certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  return "tls: " + lower_first(ec.message());
}

}  // namespace hookgate::net::detail
