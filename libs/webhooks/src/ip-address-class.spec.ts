// Goal: every address a webhook could be pointed at is classed correctly, including the IPv6
// spellings that embed an IPv4 address (mapped, compatible, NAT64, 6to4), so none of them gets
// around the IPv4 rules; only `public` is allowed unless private hosts are configured.
import { describe, expect, it } from 'vitest';

import { classifyIpAddress, isIpAddressClassAllowed, type IpAddressClass } from './ip-address-class';

describe('classifyIpAddress', () => {
  it.each<[string, IpAddressClass]>([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'private'],
    ['169.254.169.254', 'link_local'],
    ['100.64.0.1', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['203.0.113.5', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::1', 'loopback'],
    ['2002:808:808::1', 'public'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456:789a::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['1:2:3:4:5:6:7::', 'reserved'],
  ])('%s is %s', (address, expected) => {
    expect(classifyIpAddress(address)).toBe(expected);
  });

  it.each(['', 'localhost', 'example.com', '256.0.0.1', '1.2.3', '::g', '1::2::3', '[::1]'])(
    '%j is not an IP address',
    (text) => {
      expect(classifyIpAddress(text)).toBeUndefined();
    },
  );
});

describe('isIpAddressClassAllowed', () => {
  it.each<[IpAddressClass, boolean, boolean]>([
    ['public', false, true],
    ['public', true, true],
    ['loopback', false, false],
    ['loopback', true, true],
    ['private', false, false],
    ['private', true, true],
    ['link_local', false, false],
    ['link_local', true, true],
    ['unique_local', true, true],
    ['shared', true, true],
    ['unspecified', true, false],
    ['multicast', true, false],
    ['reserved', true, false],
  ])('%s with private hosts %s: %s', (addressClass, allowPrivateHosts, expected) => {
    expect(isIpAddressClassAllowed({ addressClass, allowPrivateHosts })).toBe(expected);
  });
});
