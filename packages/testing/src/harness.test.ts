import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { startRedisCluster } from './cluster.js';
import { randomPrefix } from './keys.js';
import { startRedisServer } from './redis-server.js';
import { startRedisSentinel } from './sentinel.js';
import { startTcpProxy } from './tcp-proxy.js';

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('harness', () => {
  it('provides a shared standalone server through globalSetup', async () => {
    const redis = new Redis(inject('redisUrl'));
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('starts a standalone server with a password, ACL user and maxclients, and removes it on close', async () => {
    const server = await startRedisServer({
      password: 's3cret',
      maxclients: 16,
      users: [{ name: 'app', password: 'app-pass' }],
    });
    const pid = server.pid;
    const redis = server.connect();
    const app = new Redis({ port: server.port, username: 'app', password: 'app-pass' });
    try {
      expect(await redis.config('GET', 'maxclients')).toEqual(['maxclients', '16']);
      expect(await app.acl('WHOAMI')).toBe('app');
    } finally {
      redis.disconnect();
      app.disconnect();
      await server.close();
    }
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });

  it('kills, restarts on the same port, freezes and thaws', async () => {
    const server = await startRedisServer();
    try {
      const firstPid = server.pid;
      await server.kill();
      expect(server.running).toBe(false);
      await server.start();
      expect(server.pid).not.toBe(firstPid);
      expect((await server.cli('PING')).trim()).toBe('PONG');
      server.freeze();
      const frozen = server.connect({ commandTimeout: 300, maxRetriesPerRequest: 0 });
      await expect(frozen.ping()).rejects.toThrow(/timed out|Connection is closed/i);
      frozen.disconnect();
      server.thaw();
      expect((await server.cli('PING')).trim()).toBe('PONG');
    } finally {
      await server.close();
    }
  });

  it('counts round trips and can blackhole or reset through the TCP proxy', async () => {
    const server = await startRedisServer();
    const proxy = await startTcpProxy(server.port);
    const redis = new Redis({ port: proxy.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      await redis.ping();
      proxy.resetStats();
      const key = `${randomPrefix('proxy')}k`;
      await redis.pipeline().set(key, '1').incr(key).exec();
      expect(proxy.stats.roundTrips).toBe(1);
      await redis.get(key);
      await redis.get(key);
      expect(proxy.stats.roundTrips).toBe(3);
      proxy.blackhole(true);
      await expect(
        Promise.race([redis.ping(), new Promise((r) => setTimeout(() => r('no answer'), 200))]),
      ).resolves.toBe('no answer');
      proxy.blackhole(false);
      const closed = new Promise((resolve) => redis.once('close', resolve));
      proxy.resetConnections();
      await closed;
    } finally {
      redis.disconnect();
      await proxy.close();
      await server.close();
    }
  });

  it('forms a 3-master cluster with synced replicas, finds replicas, moves a slot, and is gone after close', async () => {
    const cluster = await startRedisCluster();
    const client = cluster.connect();
    try {
      const masters = await cluster.masters();
      expect(masters).toHaveLength(3);
      // Resolved only after every replica's first sync.
      for (const node of cluster.nodes) {
        if (masters.includes(node)) continue;
        expect(await node.cli('INFO', 'replication')).toContain('master_link_status:up');
      }
      await client.set('{slot}a', '1');
      expect(await client.get('{slot}a')).toBe('1');
      expect(await cluster.keySlot('name')).toBe(5798);

      const slot = await cluster.keySlot('{slot}a');
      const source = await cluster.masterForSlot(slot);
      const replica = await cluster.replicaOf(source);
      expect(masters).not.toContain(replica);
      expect(await replica.cli('INFO', 'replication')).toMatch(
        new RegExp(`^master_port:${source.port}\\s*$`, 'm'),
      );

      const target = masters.find((node) => node !== source);
      if (!target) throw new Error('no other master');
      expect(await cluster.moveSlot(slot, source, target)).toBe(1);
      expect(await cluster.masterForSlot(slot)).toBe(target);
      expect(await target.cli('GET', '{slot}a')).toBe('1\n');
      expect(await client.get('{slot}a')).toBe('1');
    } finally {
      client.disconnect();
      await cluster.close();
    }
    for (const node of cluster.nodes) {
      expect(node.running).toBe(false);
      expect(existsSync(node.dir)).toBe(false);
    }
  }, 60_000);

  it('forms a sentinel group that fails over and is gone after close', async () => {
    const group = await startRedisSentinel();
    const client = group.connect();
    try {
      await client.set('k', 'v');
      const before = await group.currentMaster();
      const replica = group.dataNodes.find((node) => node !== before);
      // Resolved only after the replica's first sync.
      expect(await replica?.cli('INFO', 'replication')).toContain('master_link_status:up');
      const after = await group.failover();
      expect(after.port).not.toBe(before.port);
    } finally {
      client.disconnect();
      await group.close();
    }
    for (const server of [...group.dataNodes, ...group.sentinels]) {
      expect(server.running).toBe(false);
      expect(existsSync(server.dir)).toBe(false);
    }
  }, 60_000);
});
