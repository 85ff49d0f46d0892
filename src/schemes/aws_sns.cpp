// AWS SNS canonical signing strings and certificate URL policy (AWS SNS developer guide,
// "Verifying the signatures of Amazon SNS messages").
#include "aws_sns.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <optional>

namespace hookgate::schemes {

Result<SnsSigned> sns_signed_content(const JsonBody& message) {
  const auto type = message.field("Type");
  if (!type) return Error{"field Type is missing"};
  static constexpr std::string_view kNotification[] = {"Message",   "MessageId", "Subject",
                                                       "Timestamp", "TopicArn",  "Type"};
  static constexpr std::string_view kSubscription[] = {
      "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};
  std::span<const std::string_view> keys;
  if (*type == "Notification") {
    keys = kNotification;
  } else if (*type == "SubscriptionConfirmation" || *type == "UnsubscribeConfirmation") {
    keys = kSubscription;
  } else {
    return Error{"unknown message Type"};
  }
  SnsSigned out;
  for (const auto key : keys) {
    auto value = message.field(key);
    if (!value) {
      if (key == "Subject") continue;  // the only optional signed field
      return Error{"field " + std::string(key) + " is missing"};
    }
    out.canonical.append(key).append("\n").append(*value).append("\n");
  }
  const auto version = message.field("SignatureVersion");
  if (!version) return Error{"field SignatureVersion is missing"};
  if (*version == "1") {
    out.algorithm = Algorithm::rsa_sha1;
  } else if (*version == "2") {
    out.algorithm = Algorithm::rsa_sha256;
  } else {
    return Error{"SignatureVersion must be 1 or 2"};
  }
  auto signature = message.field("Signature");
  if (!signature) return Error{"field Signature is missing"};
  out.signature = std::move(*signature);
  auto url = message.field("SigningCertURL");
  if (!url) return Error{"field SigningCertURL is missing"};
  out.certificate_url = std::move(*url);
  return out;
}

namespace {

// ^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$
bool sns_host(std::string_view rest) {
  if (!rest.starts_with("sns.")) return false;
  rest.remove_prefix(4);
  if (rest.ends_with(".amazonaws.com.cn")) {
    rest.remove_suffix(17);
  } else if (rest.ends_with(".amazonaws.com")) {
    rest.remove_suffix(14);
  } else {
    return false;
  }
  return rest.size() >= 3 && std::all_of(rest.begin(), rest.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-';
         });
}

// https on the default port, no userinfo, an SNS host; the path when it is.
std::optional<std::string> sns_https_path(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "https" || parsed->has_userinfo() || parsed->has_port()) {
    return std::nullopt;
  }
  if (!sns_host(parsed->host())) return std::nullopt;
  return std::string(parsed->path());
}

}  // namespace

bool sns_certificate_url_allowed(std::string_view url) {
  const auto path = sns_https_path(url);
  return path && path->size() >= 5 && path->ends_with(".pem");
}

bool sns_subscribe_url_allowed(std::string_view url) {
  return sns_https_path(url).has_value();
}

}  // namespace hookgate::schemes
