// SPDX-License-Identifier: Apache-2.0
// The Engine client's pieces without I/O: frame demux, JSON-lines splitting with chunk
// boundaries anywhere, stream-line errors, error mapping and filter encoding.
#include "docker/streams.hpp"
#include "docker/json_codec.hpp"
#include "support/stream_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace supactl::docker {
namespace {

using test::stream_frame;

struct Collected {
  std::string out;
  std::string err;
  int calls = 0;
};

OutputSink collect(Collected& c) {
  return [&c](StreamKind k, std::string_view data) {
    ++c.calls;
    (k == StreamKind::stderr_ ? c.err : c.out).append(data);
    return true;
  };
}

TEST(FrameDemuxer, SplitsStdoutAndStderrFedWhole) {
  Collected c;
  FrameDemuxer d(collect(c));
  ASSERT_TRUE(d.feed(stream_frame(StreamKind::stdout_, "hello\n") + stream_frame(StreamKind::stderr_, "oops\n") +
                     stream_frame(StreamKind::stdout_, "world\n")));
  EXPECT_EQ(c.out, "hello\nworld\n");
  EXPECT_EQ(c.err, "oops\n");
}

TEST(FrameDemuxer, ChunkBoundariesAnywhereGiveTheSameResult) {
  std::string payload(300, 'x');  // length needs more than one byte of the header
  payload[0] = 'a';
  payload[299] = 'z';
  const std::string stream = stream_frame(StreamKind::stdout_, "line one\n") +
                             stream_frame(StreamKind::stderr_, payload) +
                             stream_frame(StreamKind::stdout_, std::string("bin\0ary", 7));
  for (size_t size = 1; size <= stream.size(); size += (size < 16 ? 1 : 37)) {
    Collected c;
    FrameDemuxer d(collect(c));
    for (size_t i = 0; i < stream.size(); i += size) ASSERT_TRUE(d.feed(std::string_view(stream).substr(i, size)));
    EXPECT_EQ(c.out, std::string("line one\nbin\0ary", 16)) << "chunk size " << size;
    EXPECT_EQ(c.err, payload) << "chunk size " << size;
  }
}

TEST(FrameDemuxer, ATtyStreamIsRawStdout) {
  Collected c;
  FrameDemuxer d(collect(c));
  ASSERT_TRUE(d.feed("plain text from a tty\n"));
  ASSERT_TRUE(d.feed("more\n"));
  EXPECT_EQ(c.out, "plain text from a tty\nmore\n");
  EXPECT_EQ(c.err, "");

  Collected forced;
  FrameDemuxer raw(collect(forced));
  raw.force_raw();
  std::string looks_framed = stream_frame(StreamKind::stderr_, "x");
  ASSERT_TRUE(raw.feed(looks_framed));
  EXPECT_EQ(forced.out, looks_framed);
}

TEST(FrameDemuxer, ASinkReturningFalseStopsTheStream) {
  int calls = 0;
  FrameDemuxer d([&](StreamKind, std::string_view) { return ++calls < 2; });
  EXPECT_FALSE(d.feed(stream_frame(StreamKind::stdout_, "1") + stream_frame(StreamKind::stdout_, "2") +
                      stream_frame(StreamKind::stdout_, "3")));
  EXPECT_EQ(calls, 2);
}

TEST(JsonLines, LinesSplitAnywhereParseOnceEach) {
  const std::string stream =
      "{\"status\":\"Pulling fs layer\",\"id\":\"a1\"}\n"
      "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":10,\"total\":100},\"id\":\"a1\"}\r\n"
      "\n"
      "{\"status\":\"Pull complete\",\"id\":\"a1\"}";
  for (size_t size = 1; size <= stream.size(); ++size) {
    std::vector<nlohmann::json> got;
    JsonLines lines([&](const nlohmann::json& j) {
      got.push_back(j);
      return true;
    });
    for (size_t i = 0; i < stream.size(); i += size) ASSERT_TRUE(lines.feed(std::string_view(stream).substr(i, size)));
    ASSERT_TRUE(lines.finish());
    ASSERT_EQ(got.size(), 3u) << "chunk size " << size;
    EXPECT_EQ(got[1]["progressDetail"]["current"], 10);
    EXPECT_EQ(got[2]["status"], "Pull complete");
  }
}

TEST(JsonLines, ASinkReturningFalseStops) {
  int seen = 0;
  JsonLines lines([&](const nlohmann::json&) { return ++seen < 1; });
  EXPECT_FALSE(lines.feed("{\"a\":1}\n{\"b\":2}\n"));
  EXPECT_EQ(seen, 1);
}

TEST(StreamLineError, ErrorsInsideA200StreamAreFound) {
  EXPECT_EQ(stream_line_error(nlohmann::json::parse(R"({"status":"Downloading"})")), "");
  EXPECT_EQ(stream_line_error(
                nlohmann::json::parse(R"({"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"})")),
            "manifest unknown");
  EXPECT_EQ(stream_line_error(nlohmann::json::parse(R"({"error":"toomanyrequests: slow down"})")),
            "toomanyrequests: slow down");
  EXPECT_EQ(stream_line_error(nlohmann::json::parse(R"({"errorDetail":{"message":"denied"}})")), "denied");
}

TEST(ErrorMapping, StatusAndBodyBecomeKindAndMessage) {
  EXPECT_EQ(kind_for_status(404), ErrorKind::not_found);
  EXPECT_EQ(kind_for_status(409), ErrorKind::conflict);
  EXPECT_EQ(kind_for_status(400), ErrorKind::bad_request);
  EXPECT_EQ(kind_for_status(500), ErrorKind::server);
  EXPECT_EQ(kind_for_status(503), ErrorKind::server);
  EXPECT_EQ(error_message_from_body(R"({"message":"No such container: x"})"), "No such container: x");
  EXPECT_EQ(error_message_from_body("plain text failure\n"), "plain text failure");
}

TEST(Filters, EncodeAsTheGoClientDoes) {
  Filters f;
  f.label("com.docker.compose.project", "shop").label("dev.supactl.instance").add("status", "running");
  auto j = nlohmann::json::parse(encode_filters(f));
  EXPECT_EQ(j["label"]["com.docker.compose.project=shop"], true);
  EXPECT_EQ(j["label"]["dev.supactl.instance"], true);
  EXPECT_EQ(j["status"]["running"], true);
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(encode_filters(Filters{}), "{}");
}

}  // namespace
}  // namespace supactl::docker
