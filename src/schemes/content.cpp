// Template -> pieces of signed content. The body is never copied: it is a view.
#include "content.hpp"

namespace hookgate::schemes {

std::optional<std::string> build_content(const Scheme& scheme, const ContentInputs& in,
                                         std::vector<std::string_view>& pieces,
                                         std::deque<std::string>& storage) {
  for (const Segment& seg : scheme.content) {
    switch (seg.kind) {
      case Segment::Kind::literal:
        pieces.emplace_back(seg.text);
        break;
      case Segment::Kind::body:
        pieces.push_back(in.body);
        break;
      case Segment::Kind::timestamp:
        pieces.push_back(in.timestamp);
        break;
      case Segment::Kind::id:
        pieces.push_back(in.id);
        break;
      case Segment::Kind::method:
        pieces.push_back(in.method);
        break;
      case Segment::Kind::url:
        pieces.push_back(in.url);
        break;
      case Segment::Kind::secret:
        pieces.push_back(in.secret);
        break;
      case Segment::Kind::url_decoded:
        pieces.emplace_back(storage.emplace_back(decode_reserved_escapes(in.url)));
        break;
      case Segment::Kind::form:
        // A JSON body is signed through its hash in the URL instead of as form parameters.
        if (!scheme.body_hash_param.empty() && url_query_param(in.url, scheme.body_hash_param)) {
          break;
        }
        pieces.emplace_back(storage.emplace_back(sorted_form_concatenation(in.body)));
        break;
      case Segment::Kind::header: {
        const auto count = in.headers.count(seg.text);
        if (count != 1) {
          return count == 0 ? "header " + seg.text : "a single " + seg.text + " header";
        }
        pieces.push_back(*in.headers.get(seg.text));
        break;
      }
      case Segment::Kind::json: {
        auto value = in.json != nullptr ? in.json->field(seg.text) : std::nullopt;
        if (!value) return "JSON body field " + seg.text;
        pieces.emplace_back(storage.emplace_back(std::move(*value)));
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace hookgate::schemes
