// SPDX-License-Identifier: Apache-2.0
#pragma once

// Values in KEY=value files (secrets.env and rendered/.env), written so that supactl, compose
// (Go and Python) and a shell's `set -a; . file` all read back the same bytes.

#include <string>

namespace supactl::core {

/// `value` as it must stand after `KEY=`: bare when it holds only letters, digits and
/// `_./:@+,=%~-`; in single quotes (literal everywhere) when it holds no single quote and no
/// control character; otherwise in double quotes with `\`, `"`, `$`, newline, tab and CR
/// escaped.
std::string env_quote(const std::string& value);

/// The inverse of env_quote for one value (the text after `KEY=`): single quotes are
/// literal, double quotes take the escapes above, a bare value is taken as it is.
std::string env_unquote(const std::string& text);

/// Appends what `\` followed by `next` means inside double quotes: \n, \t, \r, \", \\ and
/// \$ are decoded, any other pair is kept as written.
void append_env_escape(char next, std::string& out);

}  // namespace supactl::core
