import { isPublicAddress } from './index';

it.each([
  ['203.0.113.66', true],
  ['2001:db8::1', true],
  ['127.0.0.1', false],
  ['10.1.2.3', false],
  ['172.16.0.1', false],
  ['172.32.0.1', true],
  ['192.168.1.1', false],
  ['169.254.1.1', false],
  ['::1', false],
  ['fd00::1', false],
  [undefined, false],
])('watches %s: %s', (ip, expected) => {
  expect(isPublicAddress(ip)).toBe(expected);
});
