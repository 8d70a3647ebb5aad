import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHost, hostAllowList, hostName, isLoopbackHost } from '../../src/server/http-policy.js';

describe('Host checks', () => {
  test('hostName drops the port and lower-cases; IPv6 keeps its brackets', () => {
    assert.equal(hostName('LocalHost:8080'), 'localhost');
    assert.equal(hostName('[::1]:8080'), '[::1]');
    assert.equal(hostName('[::1]'), '[::1]');
    assert.equal(hostName('example.org.'), 'example.org');
    assert.equal(hostName('127.0.0.1'), '127.0.0.1');
  });

  test('loopback interfaces', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'app.localhost', '::1', '[::1]']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', 'example.org', '127.0.0.1.example.org']) assert.ok(!isLoopbackHost(h), h);
  });

  test('bound to loopback: the loopback names, the bound name and the given ones', () => {
    const allow = hostAllowList('127.0.0.2', ['mt.example.org:8080']);
    assert.ok(allow !== null);
    assert.deepEqual([...allow].sort(), ['127.0.0.1', '127.0.0.2', '[::1]', 'localhost', 'mt.example.org']);
    assert.equal(checkHost('mt.example.org', allow), null);
    assert.equal(checkHost('127.0.0.2:80', allow), null);
    assert.match(checkHost('evil.example', allow) ?? '', /^Host "evil\.example" is not allowed/);
    assert.equal(checkHost(undefined, allow), null, 'no Host header: not a browser');
    assert.ok(hostAllowList('::1', undefined)?.has('[::1]'));
  });

  test('bound to a public interface: any Host unless names are given; "*" accepts any', () => {
    assert.equal(hostAllowList('0.0.0.0', undefined), null);
    assert.equal(hostAllowList('0.0.0.0', []), null);
    assert.deepEqual([...(hostAllowList('0.0.0.0', ['mt.example.org']) ?? [])], ['mt.example.org']);
    assert.equal(hostAllowList('127.0.0.1', ['*']), null);
    assert.equal(checkHost('anything', null), null);
  });
});
