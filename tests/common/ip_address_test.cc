#include "common/ip_address.h"

#include <doctest/doctest.h>

#include "common/host_port.h"
#include "common/socket_address.h"

namespace ringest {

TEST_CASE("parse_ip reads IPv4 and every IPv6 spelling") {
  SourceAddress a;
  REQUIRE(parse_ip("192.0.2.17", a));
  CHECK(a.family == SourceAddress::kIPv4);
  CHECK(a.addr[0] == 192);
  CHECK(a.addr[3] == 17);
  REQUIRE(parse_ip("::1", a));
  CHECK(a.family == SourceAddress::kIPv6);
  CHECK(a.addr[15] == 1);
  REQUIRE(parse_ip("2001:db8::8:800:200c:417a", a));
  CHECK(a.addr[0] == 0x20);
  CHECK(a.addr[1] == 0x01);
  CHECK(a.addr[10] == 0x08);
  CHECK(a.addr[15] == 0x7a);
  REQUIRE(parse_ip("::ffff:10.1.2.3", a));
  CHECK(a.addr[10] == 0xff);
  CHECK(a.addr[12] == 10);
  REQUIRE(parse_ip("1:2:3:4:5:6:7:8", a));
  CHECK(a.addr[14] == 0);
  CHECK(a.addr[15] == 8);
  REQUIRE(parse_ip("::", a));
  for (const char* bad : {"", "1.2.3", "1.2.3.256", "1.2.3.4.5", "01234::", "1::2::3", "1:2:3:4:5:6:7:8:9", "::g",
                          "1:", ":1", "1.2.3.4/8", "localhost"})
    CHECK_MESSAGE(!parse_ip(bad, a), bad);
}

TEST_CASE("source addresses print in RFC 5952 form") {
  auto text = [](const char* ip, uint16_t port) {
    SourceAddress a;
    REQUIRE(parse_ip(ip, a));
    a.port = port;
    return a.to_string();
  };
  CHECK(text("2001:db8::1", 8125) == "[2001:db8::1]:8125");
  CHECK(text("2001:0DB8:0000:0000:0000:0000:0000:0001", 1) == "[2001:db8::1]:1");
  CHECK(text("::ffff:192.0.2.1", 514) == "[::ffff:192.0.2.1]:514");
  CHECK(text("2001:db8:0:0:1:0:0:1", 2) == "[2001:db8::1:0:0:1]:2");  // the first of two equal runs
  CHECK(text("2001:db8:0:1:1:1:1:1", 3) == "[2001:db8:0:1:1:1:1:1]:3");  // one zero group stays
  CHECK(text("::1", 0) == "[::1]:0");
  CHECK(text("192.0.2.1", 8125) == "192.0.2.1:8125");
  CHECK(SourceAddress{}.to_string().empty());
  SourceAddress peer = SourceAddress::unix_peer(4242, 0xfffffffe);
  CHECK(peer.to_string() == "pid=4242,uid=4294967294");
  CHECK(peer.addr[0] == 0x92);  // little-endian on every host, as the segment format says
  CHECK(peer.addr[1] == 0x10);
}

TEST_CASE("unix:// addresses: an absolute path, short enough for sockaddr_un") {
  std::string path;
  CHECK(unix_socket_path("unix:///run/ringest/dsd.socket", path));
  CHECK(path == "/run/ringest/dsd.socket");
  CHECK_FALSE(unix_socket_path("127.0.0.1:8125", path));
  CHECK(check_unix_address("unix:///run/ringest/dsd.socket").empty());
  CHECK(check_unix_address("127.0.0.1:8125").empty());  // not one: nothing to say
  CHECK(check_unix_address("unix://dsd.socket").find("unix:///absolute/path") != std::string::npos);
  CHECK(check_unix_address("unix://").find("unix:///absolute/path") != std::string::npos);
  CHECK(check_unix_address("unix:///run/ringest/").find("names a file") != std::string::npos);
  CHECK(check_unix_address("unix:///" + std::string(106, 'a')).empty());  // 107 bytes
  CHECK(check_unix_address("unix:///" + std::string(107, 'a')).find("at most 107") != std::string::npos);
}

TEST_CASE("a CIDR block contains what its prefix covers") {
  Cidr c;
  SourceAddress a;
  REQUIRE(parse_cidr("10.0.0.0/8", c));
  REQUIRE(parse_ip("10.200.3.4", a));
  CHECK(c.contains(a));
  REQUIRE(parse_ip("11.0.0.1", a));
  CHECK_FALSE(c.contains(a));
  REQUIRE(parse_ip("::ffff:10.9.9.9", a));
  CHECK(c.contains(a));  // IPv4-mapped IPv6 source
  REQUIRE(parse_cidr("192.168.1.0/23", c));
  REQUIRE(parse_ip("192.168.0.255", a));
  CHECK(c.contains(a));
  REQUIRE(parse_ip("192.168.2.0", a));
  CHECK_FALSE(c.contains(a));
  REQUIRE(parse_cidr("2001:db8::/32", c));
  REQUIRE(parse_ip("2001:db8:ffff::1", a));
  CHECK(c.contains(a));
  REQUIRE(parse_ip("2001:db9::1", a));
  CHECK_FALSE(c.contains(a));
  REQUIRE(parse_cidr("127.0.0.1", c));  // a bare address is all bits
  CHECK(c.prefix == 32);
  REQUIRE(parse_cidr("0.0.0.0/0", c));
  REQUIRE(parse_ip("8.8.8.8", a));
  CHECK(c.contains(a));
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "/8"}) CHECK_MESSAGE(!parse_cidr(bad, c), bad);
}

TEST_CASE("split_host_port takes host:port and [v6]:port only") {
  HostPort hp;
  REQUIRE(split_host_port("127.0.0.1:8125", hp));
  CHECK(hp.host == "127.0.0.1");
  CHECK(hp.port == 8125);
  REQUIRE(split_host_port("[::1]:0", hp));
  CHECK(hp.host == "::1");
  CHECK(hp.port == 0);
  for (const char* bad : {"::1:80", "host", ":80", "h:65536", "h:-1", "[::1]80", "h:"}) CHECK_MESSAGE(!split_host_port(bad, hp), bad);
}

TEST_CASE("parse_host_port says what is wrong, as the config check reports it") {
  HostPort hp;
  CHECK(parse_host_port("::1:80", hp) == HostPortError::kBareIPv6);
  CHECK(parse_host_port("h:65536", hp) == HostPortError::kPort);
  CHECK(parse_host_port("h:008125", hp) == HostPortError::kPort);
  CHECK(parse_host_port("h:", hp) == HostPortError::kPort);
  CHECK(parse_host_port("[1.2.3.4]:80", hp) == HostPortError::kShape);
  CHECK(parse_host_port("a b:80", hp) == HostPortError::kShape);
  CHECK(parse_host_port("[::1]x:80", hp) == HostPortError::kShape);
  REQUIRE(parse_host_port("[fe80::1%eth0]:8125", hp) == HostPortError::kNone);
  CHECK(hp.host == "fe80::1%eth0");
}

TEST_CASE("parse_ip is inet_pton's: no zone, no short forms") {
  SourceAddress a;
  for (const char* bad : {"fe80::1%eth0", "1.2.3", "1.2.3.4.5", "256.1.1.1", "", ":::", "1::2::3"})
    CHECK_MESSAGE(!parse_ip(bad, a), bad);
  REQUIRE(parse_ip("::ffff:192.0.2.1", a));
  CHECK(a.family == SourceAddress::kIPv6);
  CHECK(a.addr[10] == 0xff);
  CHECK(a.addr[15] == 1);
}

TEST_CASE("resolve takes an IPv6 zone by interface index, and names an unknown interface") {
  sockaddr_storage sa;
  socklen_t len = 0;
  REQUIRE(resolve("[fe80::1%3]:8125", sa, len).ok());
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&sa);
  CHECK(v6->sin6_family == AF_INET6);
  CHECK(v6->sin6_scope_id == 3);
  CHECK(ntohs(v6->sin6_port) == 8125);
  REQUIRE(resolve("[::1]:9", sa, len).ok());
  CHECK(reinterpret_cast<const sockaddr_in6*>(&sa)->sin6_scope_id == 0);
  Status st = resolve("[fe80::1%no-such-interface]:8125", sa, len);
  REQUIRE(!st.ok());
  CHECK(st.message().find("no network interface 'no-such-interface'") != std::string::npos);
}

}  // namespace ringest
