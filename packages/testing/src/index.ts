export {
  findBinary,
  findRedisServer,
  RedisBinaryMissingError,
  redisBinary,
} from './binaries.js';
export {
  type MoveSlotOptions,
  type RedisCluster,
  type RedisClusterOptions,
  startRedisCluster,
} from './cluster.js';
export { randomPrefix } from './keys.js';
export { freePort } from './ports.js';
export {
  type ClientOptions,
  type RedisAclUser,
  type RedisServer,
  type RedisServerOptions,
  startRedisServer,
} from './redis-server.js';
export {
  type RedisSentinelGroup,
  type RedisSentinelOptions,
  startRedisSentinel,
} from './sentinel.js';
export { startTcpProxy, type TcpProxy, type TcpProxyStats } from './tcp-proxy.js';
export { answersPing, delay, waitFor, waitUntilReady } from './wait.js';
