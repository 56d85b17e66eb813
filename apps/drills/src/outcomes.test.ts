import { describe, expect, it } from 'vitest';
import { AckLedger } from './counters.js';
import { correctnessFailures, DrillCheckError, errorCode } from './outcomes.js';

class ReplyError extends Error {
  override name = 'ReplyError';
}

describe('errorCode', () => {
  it('prefers code, then the reply word, then the class name, then the message', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'POOL_ACQUIRE_TIMEOUT' }))).toBe(
      'POOL_ACQUIRE_TIMEOUT',
    );
    expect(errorCode(new ReplyError('CLUSTERDOWN The cluster is down'))).toBe('CLUSTERDOWN');
    expect(errorCode(new ReplyError('ERR max number of clients reached'))).toBe(
      'ERR max number of clients reached',
    );
    expect(errorCode(new DrillCheckError('WRONG_REPLY', 'x'))).toBe('WRONG_REPLY');
    expect(errorCode(new TypeError('x'))).toBe('TypeError');
    expect(errorCode(new Error('Command timed out'))).toBe('Command timed out');
    expect(errorCode('boom')).toBe('non-error string');
  });
});

describe('AckLedger', () => {
  it('counts lost acknowledged increments per key and extra ones separately', () => {
    const ledger = new AckLedger();
    ledger.ack('a', 10);
    ledger.ack('b', 5);
    const result = ledger.compare(
      new Map([
        ['a', 7],
        ['b', 6],
      ]),
    );
    expect(result).toEqual({ acknowledged: 15, final: 13, lost: 3, extra: 1, keysLost: ['a'] });
  });
});

describe('correctnessFailures', () => {
  it('finds the codes of wrong replies, labelled or not, and nothing else', () => {
    expect(
      correctnessFailures({
        WRONG_REPLY: 1,
        'tx:EXEC_ABORTED': 2,
        'client:WRONG_REPLY': 3,
        POOL_ACQUIRE_TIMEOUT: 4,
        'tx:POOL_QUEUE_FULL': 5,
      }),
    ).toEqual(['WRONG_REPLY', 'tx:EXEC_ABORTED', 'client:WRONG_REPLY']);
  });
});
