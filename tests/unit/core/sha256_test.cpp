// SPDX-License-Identifier: Apache-2.0
// SHA-256 against the known answers of FIPS 180-2 (appendix B: "abc", the 448-bit two-block
// message, one million 'a') and the empty string, in one call and streamed in odd chunk sizes
// that cross the 64-byte block boundary everywhere.
#include <supactl/core/sha256.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace supactl::core {
namespace {

struct KnownAnswer {
  std::string message;
  const char* digest;
};

std::vector<KnownAnswer> known_answers() {
  return {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
}

TEST(Sha256, OneBufferGivesTheFips180KnownAnswers) {
  for (const KnownAnswer& k : known_answers()) {
    EXPECT_EQ(sha256_hex(k.message), k.digest) << "message of " << k.message.size() << " bytes";
  }
}

TEST(Sha256, StreamingInOddChunkSizesGivesTheSameKnownAnswers) {
  for (const KnownAnswer& k : known_answers()) {
    for (size_t chunk :
         {size_t{1}, size_t{3}, size_t{55}, size_t{63}, size_t{64}, size_t{65}, size_t{127}, size_t{4097}}) {
      Sha256 h;
      for (size_t at = 0; at < k.message.size(); at += chunk) {
        h.update(std::string_view(k.message).substr(at, chunk));
      }
      EXPECT_EQ(h.hex(), k.digest) << "message of " << k.message.size() << " bytes in chunks of " << chunk;
    }
  }
}

TEST(Sha256, EmptyUpdatesChangeNothing) {
  Sha256 h;
  h.update("");
  h.update("ab");
  h.update("");
  h.update("c");
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace supactl::core
