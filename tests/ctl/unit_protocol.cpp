// ikectl protocol (ikekit.ctl/1): request lines, error responses, line framing with the
// 64 KiB cap, client-side reply parsing.
#include "ctl/line_framer.hpp"
#include "ctl/protocol.hpp"

#include <catch2/catch.hpp>

using namespace ikekit;
using namespace ikekit::ctl;

TEST_CASE("a request line gives id, command and args", "[ctl][protocol]") {
  auto r = parse_request(R"({"id":7,"command":"list-sas","args":{"ike":"home"}})");
  REQUIRE(r);
  CHECK(r->id == 7);
  CHECK(r->command == "list-sas");
  CHECK(r->args["ike"] == "home");
  auto s = parse_request(R"({"id":"a","command":"status"})");
  REQUIRE(s);
  CHECK(s->id == "a");
  CHECK(s->args.is_object());
  CHECK(s->args.empty());
}

TEST_CASE("bad request lines name the field", "[ctl][protocol]") {
  struct Case {
    const char* line;
    const char* field;
  } cases[] = {
      {"{not json", "line"},
      {"[1,2]", "line"},
      {R"({"id":1})", "command"},
      {R"({"id":1,"command":3})", "command"},
      {R"({"id":[1],"command":"status"})", "id"},
      {R"({"id":1,"command":"status","args":[]})", "args"},
      {R"({"id":1,"command":"status","extra":1})", "extra"},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    auto r = parse_request(c.line);
    REQUIRE_FALSE(r);
    CHECK(r.error().field == c.field);
  }
}

TEST_CASE("the id of a bad request is kept for its error response", "[ctl][protocol]") {
  Json id;
  auto r = parse_request(R"({"id":42,"command":5})", &id);
  REQUIRE_FALSE(r);
  CHECK(id == 42);
  auto line = error_line(id, r.error());
  auto reply = parse_reply(line);
  REQUIRE(reply);
  CHECK(reply->type == "response");
  CHECK(reply->id == 42);
  CHECK_FALSE(reply->ok);
  REQUIRE(reply->error);
  CHECK(reply->error->field == "command");
  CHECK(reply->error->code == Errc::bad_value);
}

TEST_CASE("response, event, done and hello lines round-trip through parse_reply",
          "[ctl][protocol]") {
  auto ok = parse_reply(ok_line(1, Json{{"sa", 3}}));
  REQUIRE(ok);
  CHECK(ok->ok);
  CHECK(ok->result["sa"] == 3);
  auto ev = parse_reply(event_line(2, Json{{"type", "ike_sa_up"}}));
  REQUIRE(ev);
  CHECK(ev->type == "event");
  CHECK(ev->event["type"] == "ike_sa_up");
  Error e = make_error(Errc::timeout, "ike_sa_init.retransmit", "no answer");
  auto done = parse_reply(done_line(2, false, Json{{"type", "failure"}}, &e));
  REQUIRE(done);
  CHECK(done->type == "done");
  CHECK_FALSE(done->ok);
  REQUIRE(done->error);
  CHECK(done->error->code == Errc::timeout);
  auto hello = parse_reply(hello_line("ike-up 0.1", 99));
  REQUIRE(hello);
  CHECK(hello->raw["schema"] == "ikekit.ctl/1");
  CHECK(hello->raw["pid"] == 99);
  for (const char* bad : {"", "{", "42", R"({"id":1})"})
    CHECK_FALSE(parse_reply(bad));
}

TEST_CASE("error responses carry code, field and message; no field is null", "[ctl][protocol]") {
  auto j = error_json(make_error(Errc::not_found, "", "gone"));
  CHECK(j["code"] == "not_found");
  CHECK(j["field"].is_null());
  CHECK(errc_from_name("not_found") == Errc::not_found);
  CHECK(errc_from_name("environment") == Errc::environment);
  CHECK(errc_from_name("nonsense") == Errc::bad_value);
}

TEST_CASE("a request line survives invalid UTF-8 in an echoed id", "[ctl][protocol]") {
  Json id = std::string("\xff\xfe");
  auto line = ok_line(id, Json::object());
  CHECK(line.find("\"ok\":true") != std::string::npos);
}

TEST_CASE("framer: lines split across reads are joined; several in one read are split",
          "[ctl][framer]") {
  LineFramer f;
  f.feed("{\"id\":1,");
  CHECK_FALSE(f.next());
  CHECK(f.buffered() == 8);
  f.feed("\"command\":\"status\"}\n{\"id\":2}\r\n\n{\"id");
  auto a = f.next();
  REQUIRE(a);
  CHECK(a->text == R"({"id":1,"command":"status"})");
  auto b = f.next();
  REQUIRE(b);
  CHECK(b->text == R"({"id":2})"); // '\r' dropped, the blank line skipped
  CHECK_FALSE(f.next());
  f.feed("\":3}\n");
  auto c = f.next();
  REQUIRE(c);
  CHECK(c->text == R"({"id":3})");
}

TEST_CASE("framer: every cut of a two-line input gives the same lines", "[ctl][framer]") {
  const std::string in = "{\"id\":1,\"command\":\"status\"}\n{\"id\":2,\"command\":\"monitor\"}\n";
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    LineFramer f;
    f.feed(std::string_view(in).substr(0, cut));
    f.feed(std::string_view(in).substr(cut));
    std::vector<std::string> got;
    while (auto l = f.next())
      got.push_back(l->text);
    REQUIRE(got.size() == 2);
    CHECK(got[1] == "{\"id\":2,\"command\":\"monitor\"}");
  }
}

TEST_CASE("framer: a line over the cap is reported once and memory stays bounded",
          "[ctl][framer]") {
  LineFramer f(16);
  f.feed(std::string(10, 'a'));
  f.feed(std::string(10, 'b')); // 20 > 16: reported now, the rest discarded
  auto o = f.next();
  REQUIRE(o);
  CHECK(o->oversized);
  CHECK(f.buffered() == 0);
  for (int i = 0; i < 1000; ++i)
    f.feed(std::string(1000, 'c')); // still the same line
  CHECK_FALSE(f.next());
  CHECK(f.buffered() == 0);
  f.feed("ccc\nok\n"); // its end, then a good line
  auto g = f.next();
  REQUIRE(g);
  CHECK_FALSE(g->oversized);
  CHECK(g->text == "ok");
  // Exactly the cap is allowed; one more byte is not, also when the '\n' came with it.
  f.feed(std::string(16, 'x') + "\n" + std::string(17, 'y') + "\nz\n");
  auto x = f.next();
  REQUIRE(x);
  CHECK(x->text.size() == 16);
  auto y = f.next();
  REQUIRE(y);
  CHECK(y->oversized);
  auto z = f.next();
  REQUIRE(z);
  CHECK(z->text == "z");
}

TEST_CASE("framer: the default cap is 64 KiB", "[ctl][framer]") {
  LineFramer f;
  f.feed(std::string(kMaxLineBytes, 'a') + "\n");
  auto a = f.next();
  REQUIRE(a);
  CHECK_FALSE(a->oversized);
  f.feed(std::string(kMaxLineBytes + 1, 'a') + "\n");
  auto b = f.next();
  REQUIRE(b);
  CHECK(b->oversized);
}
