import assert from "node:assert/strict";
import { test } from "node:test";
import { createNetworkPolicy, parseNetwork } from "../../src/delivery/network-policy.js";

const refusedByDefault: readonly [string, string][] = [
  ["127.0.0.1", "loopback"],
  ["127.1", "loopback"],
  ["2130706433", "loopback"],
  ["0x7f000001", "loopback"],
  ["0177.0.0.1", "loopback"],
  ["::1", "loopback"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["10.0.0.1", "private"],
  ["172.16.5.4", "private"],
  ["192.168.1.1", "private"],
  ["100.64.0.1", "shared address space (100.64.0.0/10)"],
  ["fd12:3456::1", "unique local (fc00::/7)"],
  ["169.254.169.254", "link-local"],
  ["::ffff:169.254.169.254", "link-local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["0.0.0.0", "unspecified"],
  ["::", "unspecified"],
  ["224.0.0.1", "multicast"],
  ["ff02::1", "multicast"],
  ["255.255.255.255", "broadcast"],
  ["64:ff9b::a9fe:a9fe", "IPv4-embedded (NAT64)"],
];

test("every private, local and special address is refused by default, in every spelling", () => {
  const policy = createNetworkPolicy([]);
  for (const [address, range] of refusedByDefault) {
    assert.deepEqual(policy.check(address), { allowed: false, range }, address);
  }
  assert.deepEqual(policy.check("localhost"), { allowed: false, range: "not an IP address" });
});

test("public unicast addresses are allowed", () => {
  const policy = createNetworkPolicy([]);
  for (const address of ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"]) {
    assert.deepEqual(policy.check(address), { allowed: true }, address);
  }
});

test("allowed_networks opt ranges back in, and nothing beyond them", () => {
  const policy = createNetworkPolicy(["127.0.0.0/8", "10.1.0.0/16", "fd00::/8", "192.168.7.9"]);
  for (const address of ["127.0.0.1", "::ffff:127.0.0.1", "10.1.200.3", "fd00::5", "192.168.7.9"]) {
    assert.deepEqual(policy.check(address), { allowed: true }, address);
  }
  assert.equal(policy.check("10.2.0.1").allowed, false);
  assert.equal(policy.check("192.168.7.10").allowed, false);
  assert.equal(policy.check("::1").allowed, false, "127.0.0.0/8 does not allow IPv6 loopback");
  assert.equal(policy.check("169.254.169.254").allowed, false);
});

test("a network that is not a CIDR or an address is refused with its text", () => {
  assert.throws(() => parseNetwork("10.0.0.0/33"), /"10.0.0.0\/33" is not an address or a CIDR/);
  assert.throws(() => parseNetwork("example.com"), /is not an address or a CIDR/);
  assert.deepEqual(parseNetwork(" 10.0.0.0/8 ")[1], 8);
  assert.deepEqual(parseNetwork("::1")[1], 128);
});
