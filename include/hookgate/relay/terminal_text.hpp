// Text from the network made safe for a terminal. Headers and bodies that `hookgate tail` and
// `listen` print come from whoever sent the webhook: an ESC (CSI/OSC sequences that move the
// cursor, rewrite the title, set the clipboard or hide text), other C0 and C1 controls, DEL,
// bidirectional overrides (text that reads differently than it is) or invalid UTF-8 must never
// reach the terminal as themselves. Each is written as a visible escape instead: \e, \r, \t,
// \xNN for a byte, \u{NNNN} for a code point. Printable ASCII and well-formed printable UTF-8
// pass unchanged.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hookgate::relay {

// keep_newlines: LF passes (for multi-line bodies); otherwise it is escaped too.
std::string terminal_safe(std::string_view text, bool keep_newlines = false);

// Serialized JSON made safe for a terminal without breaking it: C1 and bidirectional controls
// (valid JSON string content) become \uXXXX escapes, an invalid UTF-8 byte \ufffd. JSON already
// escapes C0 controls inside strings.
std::string json_terminal_safe(std::string_view json);

// A body for a human: JSON pretty-printed (two-space indent), else UTF-8 text as it is, else a
// hex dump of the first bytes; at most max_bytes of output (then a note of what was left out).
// The result still goes through terminal_safe before it is written.
std::string describe_body(std::string_view body, std::size_t max_bytes);

}  // namespace hookgate::relay
